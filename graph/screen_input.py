"""The names an analyst screens: typed, pasted, or read from a CSV or XLSX file.

A screening batch is a list of :class:`Query`: a name, and optionally a
country and identifiers (LEI, OFAC number, registration number …) that count
for or against a match. Files are read strictly, as the loaders read sources:
a file whose header has no name column, that is not UTF-8 (or Windows-1252)
text, or that is not a readable workbook stops with one line that names the
file and what it expected. A row with no name is skipped and reported, never
dropped silently; columns the screen does not use are named in the notes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from graph.errors import GraphError

MAX_ROWS = 100_000  # one batch; larger lists are screened in parts
NAME_COLUMNS = ("name", "counterparty", "entity", "company", "party", "name1")
COUNTRY_COLUMNS = ("country", "country_code", "jurisdiction", "nationality")
# Identifier columns and the scheme the matcher knows them by ("lei:5493…", "ofac:306"); a generic
# column's values are used when they already say their scheme ("uscc:9144…").
ID_COLUMNS = {
    "identifier": "", "identifiers": "", "id_number": "", "lei": "lei", "ofac": "ofac", "ent_num": "ofac",
    "uscc": "uscc", "unified_social_credit_code": "uscc", "registration": "reg", "registration_number": "reg",
    "imo": "imo", "duns": "duns",
}  # fmt: skip
SCHEMA_COLUMNS = ("schema", "type", "kind")
SCHEMAS = {"company": "Company", "organization": "Organization", "organisation": "Organization",
           "legalentity": "LegalEntity", "person": "Person", "individual": "Person", "entity": "LegalEntity"}  # fmt: skip


class ScreenInputError(GraphError):
    """A screening file or text that cannot be read, with what to change."""


@dataclass(frozen=True)
class Query:
    """One name to screen, where it came from, and what else is known of it."""

    name: str
    country: str | None = None
    identifiers: tuple[str, ...] = ()  # "scheme:value"
    row: int = 0  # the line (CSV) or row (XLSX) it came from; the line number for pasted names
    schema: str = ""  # Company, Organization, LegalEntity or Person; "" when not said (either kind)


@dataclass
class Batch:
    """The queries read, and what was skipped or ignored on the way."""

    queries: list[Query] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def from_text(text: str, country: str | None = None) -> Batch:
    """One name per line (blank lines ignored), as pasted into the Screen page."""
    batch = Batch()
    for line_no, line in enumerate(text.splitlines(), start=1):
        name = " ".join(line.split())
        if name:
            batch.queries.append(Query(name, country, (), line_no))
    _cap(batch, "the pasted text")
    return batch


def from_file(data: bytes, filename: str, country: str | None = None) -> Batch:
    """The rows of a CSV or XLSX file with a header row; ``country`` fills rows that give none."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(data, filename)
    elif suffix in (".csv", ".txt", ""):
        rows = _csv_rows(data, filename)
    else:
        raise ScreenInputError(f"{filename}: expected a .csv or .xlsx file, not {suffix}")
    return _batch(rows, filename, country)


def read_path(path: Path, country: str | None = None) -> Batch:
    """:func:`from_file` on a file on disk (the command line's ``--file``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScreenInputError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    return from_file(data, str(path), country)


def _csv_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    try:
        # Excel's "Unicode text" is UTF-16 with a byte-order mark.
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ScreenInputError(
                f"{filename}: not UTF-8 or Windows-1252 text (byte {exc.start}); save it as UTF-8 CSV"
            ) from exc
    if "\x00" in text:
        raise ScreenInputError(f"{filename}: holds NUL bytes; is it a spreadsheet saved as .csv? Save it as UTF-8 CSV")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ScreenInputError(f"{filename}:{reader.line_num}: not a CSV row ({exc})") from exc


def _xlsx_rows(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ScreenInputError(f"{filename}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = wb.worksheets[0]
        out = []
        for i, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            out.append((i, ["" if c is None else str(c) for c in row]))
            if i > MAX_ROWS + 1:
                break
        return out
    finally:
        wb.close()


def _batch(rows: list[tuple[int, list[str]]], filename: str, country: str | None) -> Batch:
    rows = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ScreenInputError(f"{filename}: empty; expected a header row with a name column, then one row per name")
    header = [c.strip().lower().replace(" ", "_") for c in rows[0][1]]
    name_col = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    if name_col is None:
        raise ScreenInputError(
            f"{filename}:{rows[0][0]}: no name column in the header {rows[0][1]}; "
            f"expected one of {', '.join(NAME_COLUMNS)} (and optionally country and identifier columns)"
        )
    country_col = next((header.index(c) for c in COUNTRY_COLUMNS if c in header), None)
    schema_col = next((header.index(c) for c in SCHEMA_COLUMNS if c in header), None)
    id_cols = {i: ID_COLUMNS[h] for i, h in enumerate(header) if h in ID_COLUMNS}
    used = {name_col, *id_cols} | {c for c in (country_col, schema_col) if c is not None}
    batch = Batch()
    ignored = [rows[0][1][i] for i in range(len(header)) if i not in used and header[i]]
    if ignored:
        batch.notes.append(f"{filename}: column(s) not used for screening: {', '.join(ignored)}")
    for line, row in rows[1:]:
        name = " ".join(_cell(row, name_col).split())
        if not name:
            batch.notes.append(f"{filename}:{line}: no name; row skipped")
            continue
        ids = tuple(i for i in (_identifier(scheme, _cell(row, c)) for c, scheme in id_cols.items()) if i)
        kind = _cell(row, schema_col)
        schema = SCHEMAS.get(kind.lower().replace(" ", ""), "") if kind else ""
        if kind and not schema:
            batch.notes.append(
                f"{filename}:{line}: type {kind!r} is not one of {', '.join(sorted(set(SCHEMAS.values())))}; screened as either kind"
            )
        batch.queries.append(Query(name, _cell(row, country_col) or country, ids, line, schema))
    _cap(batch, filename)
    return batch


def _identifier(scheme: str, value: str) -> str:
    """``scheme:value`` for the matcher; a value of a generic column only when it names its scheme."""
    value = value.strip()
    if not value:
        return ""
    if scheme:
        return f"{scheme}:{value.split(':', 1)[1] if value.lower().startswith(scheme + ':') else value}"
    head, sep, _ = value.partition(":")
    return value if sep and head.isalpha() else ""


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _cap(batch: Batch, where: str) -> None:
    if len(batch.queries) > MAX_ROWS:
        raise ScreenInputError(f"{where}: {len(batch.queries):,} names; screen at most {MAX_ROWS:,} at a time")
