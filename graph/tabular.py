"""Cells for spreadsheets: every CSV (and any XLSX) the project writes takes its cells from here.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return) as a formula, so a name from data such as
``=HYPERLINK("http://…","click")`` would become a live link or a command. As
OWASP recommends for CSV injection, such a cell is prefixed with a single
quote, which the spreadsheet shows as text. A real number (``-5``, ``+1.5``,
``1e-3``) is not text, so it stays as it is.

>>> safe_cell("=1+1"), safe_cell("-5"), safe_cell(-5), safe_cell("Huawei")
("'=1+1", '-5', -5, 'Huawei')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

# OWASP's list, and the full-width forms that some spreadsheets also take as a formula's start.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet should hold it: text that would start a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document of a header and rows, every cell (header too) through :func:`safe_cell`."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([safe_cell(c) for c in columns])
    w.writerows([safe_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def xlsx_bytes(columns: Sequence[Any], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1") -> bytes:
    """An XLSX workbook of a header and rows, every cell through :func:`safe_cell` and stored as a value:
    openpyxl would otherwise store a string that starts with ``=`` as a formula."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for row in (columns, *rows):
        ws.append([_xlsx_value(safe_cell(v)) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, (bool, int, float)):
        return value
    # Control characters cannot be written to XLSX at all: drop them rather than fail the export.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))
