"""Pairs of names from a CSV file, scored: what ``python -m graph match --pairs FILE.csv`` does.

The file has a header with ``name1`` and ``name2`` and optionally ``schema``
(Company, Organization, LegalEntity or Person; Company when blank),
``country1`` and ``country2`` (ISO alpha-3, or alpha-2). Other columns are
kept as they are. Each row comes back with ``score`` (0 to 1) and ``match``
(``true`` or ``false`` at the threshold).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from graph.errors import GraphError
from graph.resolve.match import SCHEMAS, compare_names

REQUIRED = ("name1", "name2")


def read_pairs(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a pairs file; a file that cannot be used is a :class:`GraphError` naming it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GraphError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise GraphError(
            f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x}); save the file as UTF-8"
        ) from None
    if not text.strip():
        raise GraphError(f"{path}: the file is empty; expected a header with name1,name2")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise GraphError(
            f"{path}:1: the header lacks {', '.join(missing)}; expected name1,name2 and optionally schema,country1,country2"
        )
    rows = []
    try:
        for n, row in enumerate(reader, start=2):
            if None in row:
                raise GraphError(f"{path}:{n}: more cells than the header has columns")
            clean = {k: (v or "").strip() for k, v in row.items()}
            schema = clean.get("schema") or "Company"
            if schema not in SCHEMAS:
                raise GraphError(f"{path}:{n}: schema {schema!r} is not one of {', '.join(sorted(SCHEMAS))}")
            rows.append(clean)
    except csv.Error as exc:
        raise GraphError(f"{path}:{reader.line_num}: not a CSV row ({exc})") from None
    if not rows:
        raise GraphError(f"{path}: the header has no rows under it")
    return header, rows


def score_rows(rows: list[dict[str, str]], threshold: float) -> list[dict[str, str]]:
    """Each row with ``score`` and ``match`` added (a row with a blank name scores 0)."""
    out = []
    for row in rows:
        if row["name1"] and row["name2"]:
            s = compare_names(
                row["name1"],
                row["name2"],
                row.get("schema") or "Company",
                _iso3(row.get("country1", "")),
                _iso3(row.get("country2", "")),
            ).value
        else:
            s = 0.0
        out.append({**row, "score": f"{s:.4f}", "match": "true" if s >= threshold else "false"})
    return out


def _iso3(code: str) -> str:
    """An ISO alpha-3 code from alpha-3 or alpha-2 text ("CN" → "CHN"); other text as it is, upper case."""
    code = code.strip().upper()
    if len(code) == 2:
        import pycountry

        c = pycountry.countries.get(alpha_2=code)
        return c.alpha_3 if c else code
    return code
