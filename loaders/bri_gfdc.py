"""Belt and Road Initiative members, from GFDC's "Countries of the BRI" workbook.

Reads ``bri-gfdc/23_12_BRI-countries-public.xlsx`` in its published layout
(sheet "BRI countries": Country, Country Code, Region, IncomeGroup, Likely date
of joining, Likely date of exit) and emits the ``bri`` Initiative, the
``MEMBER_OF`` edges with join and exit dates, and region and income group on
each Country. GFDC gives *likely* dates (the MoUs are not all public), so every
membership carries ``confidence: medium``, or ``low`` where the date is unclear.

China initiated the Belt and Road and is not a member of it, as analysts read
it; GFDC's list includes it anyway. Its row is kept (the Country gets GFDC's
region and income group, and the Initiative's note records China as the
initiator with GFDC's date) but no ``MEMBER_OF`` is emitted for it, so every
membership answer (licensing by country, the map, the console) leaves it out.
Curated corrections (``data/curated/corrections/bri-gfdc.yaml``) correct or
qualify single rows (Italy's exit date, South Korea's confidence); each must
name a row that exists with the join date given, or the load stops.

The workbook has no stated licence, so it is not shipped. What the build
needs of it (the same six columns, dates as ISO text) is shipped as a small
derived table, ``bri-gfdc/bri-countries.csv``, citing GFDC; the loader reads
the workbook when it is present and the derived table otherwise, so a fresh
clone builds.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from graph.errors import SourceMissing
from graph.settings import DATA_DIR
from loaders.base import Context, SourceInfo, iso_date

SOURCE = SourceInfo(
    id="src-gfdc-bri-countries-2023",
    publisher="Green Finance & Development Center, FISF Fudan University (Nedopil, Christoph)",
    title="Countries of the Belt and Road Initiative (23_12_BRI-countries-public.xlsx)",
    url="https://greenfdc.org/countries-of-the-belt-and-road-initiative-bri/",
    license="No licence stated; cite as: Nedopil, Christoph (2023): 'Countries of the Belt and Road Initiative'; "
    "Shanghai, Green Finance & Development Center, FISF Fudan University, www.greenfdc.org",
    date="2023-12-01",
    kind="dataset",
    files=("bri-gfdc/23_12_BRI-countries-public.xlsx", "bri-gfdc/bri-countries.csv"),
    expected_rows={"BRI countries": (140, 200)},
)
SHEET = "BRI countries"
HEADER = ("Country", "Country Code", "Region", "IncomeGroup", "Likely date of joining", "Likely date of exit")
BRI_ID = "bri"
INITIATOR = "CHN"  # in GFDC's list, but the initiator, not a member
CORRECTIONS = DATA_DIR / "curated" / "corrections" / "bri-gfdc.yaml"


def _corrections(ctx: Context) -> dict[str, dict[str, Any]]:
    """Curated corrections by country code."""
    ctx.at(CORRECTIONS, 0)
    try:
        doc = yaml.safe_load(CORRECTIONS.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ctx.fail(f"corrections are not readable YAML ({exc})") from exc
    return {c["country"]: c for c in doc.get("corrections") or []}


def _workbook_rows(ctx: Context, path: Path) -> Iterator[tuple[Any, ...]]:
    ctx.at(path, 0)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ctx.fail(f"not a readable .xlsx workbook ({exc})") from exc
    if SHEET not in wb.sheetnames:
        raise ctx.fail(f"expected a sheet named {SHEET!r}; found {wb.sheetnames}")
    return wb[SHEET].iter_rows(values_only=True)


def _table_rows(ctx: Context, path: Path) -> Iterator[tuple[Any, ...]]:
    ctx.at(path, 0)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ctx.fail(f"not a readable UTF-8 CSV file ({exc})") from exc
    return (tuple(c or None for c in row) for row in csv.reader(io.StringIO(text)))


def load(ctx: Context) -> None:
    """Emit the BRI initiative, and one membership per row of the workbook (or of its derived table)."""
    try:
        path = ctx.find(SOURCE.files[0])
        rows, where = _workbook_rows(ctx, path), f"sheet {SHEET!r}"
    except SourceMissing:
        path = ctx.find(SOURCE.files[1])
        rows, where = _table_rows(ctx, path), path.name
    header = tuple((c or "").strip() if isinstance(c, str) else c for c in next(rows, ()))
    ctx.at(path, 1)
    if header[: len(HEADER)] != HEADER:
        raise ctx.fail(f"{where} header is {header}; expected {HEADER}")
    corrections = _corrections(ctx)
    ctx.at(path, 1)
    n = 0
    initiator_row: str | None = None
    for line, row in enumerate(rows, start=2):
        if not row or all(c in (None, "") for c in row):
            continue
        ctx.at(path, line)
        n += 1
        name, code, region, income, joined, exited = (list(row) + [None] * 6)[:6]
        code = (code or "").strip() if isinstance(code, str) else code
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
            ctx.skip(f"country code {code!r} is not an ISO alpha-3 code")
            continue
        try:
            valid_from, valid_to = iso_date(joined), iso_date(exited)
        except ValueError:
            ctx.skip(f"{code}: join or exit date {joined!r}/{exited!r} is not a date")
            continue
        ctx.node(
            "Country",
            code,
            str(name).strip(),
            region=(region or None),
            income_group=(income or None),
        )
        if code == INITIATOR:
            initiator_row = f"{str(name).strip()}, likely date of joining {valid_from or 'not given'}"
            continue
        if valid_from:
            conf = {"confidence": "medium", "confidence_note": "GFDC gives the likely date of joining (MoU date)."}
        else:
            conf = {
                "confidence": "low",
                "confidence_note": "GFDC lists this member with no join date: the MoU date is unclear.",
            }
        props: dict[str, Any] = {"valid_from": valid_from, "valid_to": valid_to, **conf, "sources": []}
        fix = corrections.pop(code, None)
        if fix:
            if str(fix.get("valid_from")) != str(valid_from):
                raise ctx.fail(
                    f"{code}: the curated correction is for a row joined {fix.get('valid_from')}, GFDC says {valid_from}"
                )
            props.update({k: (str(v) if k.startswith("valid_") else v) for k, v in fix["set"].items()})
            props["sources"] = list(fix.get("sources") or [])
        ctx.edge("MEMBER_OF", code, BRI_ID, **props)
    if corrections:
        ctx.at(CORRECTIONS, 0)
        raise ctx.fail(f"curated corrections name rows GFDC does not have: {sorted(corrections)}")
    note = "Initiated by China, which is not counted as a member of its own initiative."
    if initiator_row:
        note += f" GFDC's list includes China ({initiator_row}); that row is kept here, not as a membership."
    ctx.node(
        "Initiative",
        BRI_ID,
        "Belt and Road Initiative",
        aliases=["BRI", "One Belt One Road", "OBOR", "一带一路"],
        url=SOURCE.url,
        note=note,
    )
    ctx.count(SHEET, n)
