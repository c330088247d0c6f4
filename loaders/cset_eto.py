"""CSET ETO's Advanced Semiconductor Supply Chain Dataset (the Chip Explorer).

Reads the five CSV files in their published layout and emits:

* a ``Technology`` per input (``cset-N26``: wafers, EUV scanners, EDA ...)
  and per stage (``cset-S2``: fabrication),
  with ``INPUT_TO`` (goes_into) and ``TYPE_OF`` (is_type_of) between them;
* a ``Company`` per provider organisation (``cset-P88``, with xref
  ``cset:P88`` so curated companies that claim the xref absorb it) and its
  ``HEADQUARTERED_IN`` country;
* ``SUPPLIES`` from each provider (company or country) to each input, with
  CSET's market share in percent and its year.

Licence: CC BY-NC 4.0; the attribution is recorded in data/README.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from loaders.base import Context, SourceInfo

SOURCE = SourceInfo(
    id="src-cset-eto-chip-explorer",
    publisher="Center for Security and Emerging Technology (CSET), Georgetown University - Emerging Technology Observatory",
    title="Advanced Semiconductor Supply Chain Dataset (ETO Chip Explorer)",
    url="https://eto.tech/dataset-docs/chipexplorer/",
    license="CC BY-NC 4.0; credit: CSET Emerging Technology Observatory, Advanced Semiconductor Supply Chain Dataset",
    date="2026-08-14",
    kind="dataset",
    files=(
        "cset-eto-chip-explorer/inputs.csv",
        "cset-eto-chip-explorer/providers.csv",
        "cset-eto-chip-explorer/provision.csv",
        "cset-eto-chip-explorer/sequence.csv",
        "cset-eto-chip-explorer/stages.csv",
    ),
    expected_rows={
        "inputs.csv": (100, 1000),
        "providers.csv": (300, 5000),
        "provision.csv": (1000, 20000),
        "sequence.csv": (100, 2000),
    },
)
COLUMNS = {
    "inputs.csv": ("input_id", "input_name", "type", "stage_name", "stage_id", "description", "year"),
    "providers.csv": ("provider_name", "alias", "provider_id", "provider_type", "country"),
    "provision.csv": (
        "provider_name",
        "provider_id",
        "provided_name",
        "provided_id",
        "share_provided",
        "year",
        "source",
    ),
    "sequence.csv": ("input_name", "input_id", "goes_into_name", "goes_into_id", "is_type_of_name", "is_type_of_id"),
    "stages.csv": ("stage_id", "stage_name"),
}
_ISO3 = re.compile(r"^[A-Z]{3}$")
# CSET's country providers that are not ISO 3166 countries.
NOT_COUNTRIES = {"EUR": "Europe (aggregate)", "Various countries": "various countries"}


def _rows(ctx: Context, name: str) -> Iterator[dict[str, str]]:
    """Rows of one CSV as dicts, after checking its header carries the columns we use."""
    path: Path = ctx.find(f"cset-eto-chip-explorer/{name}")
    ctx.at(path, 1)
    n = 0
    with open(path, encoding="utf-8", newline="") as fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in COLUMNS[name] if c not in header]
            if missing:
                raise ctx.fail(f"missing column(s) {', '.join(missing)}; expected at least {', '.join(COLUMNS[name])}")
            for line, row in enumerate(reader, start=2):
                ctx.at(path, line)
                n += 1
                if None in row:
                    ctx.skip(f"{len(row[None])} more fields than the header has")
                    continue
                yield {k: (v or "").strip() for k, v in row.items()}
        except UnicodeDecodeError as exc:
            raise ctx.fail(f"not UTF-8 text ({exc.reason}); CSET publishes UTF-8") from exc
    ctx.count(name, n)


def tech_id(input_id: str) -> str:
    return f"cset-{input_id}"


def provider_id(pid: str) -> str:
    return f"cset-{pid}"


def load(ctx: Context) -> None:
    """Emit technologies, providers and supply edges from CSET's CSVs."""
    stages: dict[str, str] = {}
    inputs: set[str] = set()
    for r in _rows(ctx, "stages.csv"):
        # Stages (design, fabrication, ATP) are supplied too: CSET gives countries' shares of each.
        stages[r["stage_id"]] = r["stage_name"]
        inputs.add(r["stage_id"])
        ctx.node(
            "Technology",
            tech_id(r["stage_id"]),
            r["stage_name"],
            category="stage",
            stage=r["stage_name"],
            xrefs=[f"cset:{r['stage_id']}"],
        )
    for r in _rows(ctx, "inputs.csv"):
        if not re.fullmatch(r"N\d+", r["input_id"]):
            ctx.skip(f"input id {r['input_id']!r} is not of the form N<number>")
            continue
        inputs.add(r["input_id"])
        ctx.node(
            "Technology",
            tech_id(r["input_id"]),
            r["input_name"],
            category=r["type"] or None,
            stage=r["stage_name"] or stages.get(r["stage_id"]) or None,
            description=r["description"] or None,
            xrefs=[f"cset:{r['input_id']}"],
        )

    providers: dict[str, str] = {}  # CSET provider id -> node id
    aliases: dict[str, set[str]] = {}
    seen_rows: dict[str, dict[str, str]] = {}
    for r in _rows(ctx, "providers.csv"):
        pid = r["provider_id"]
        if r["alias"]:
            aliases.setdefault(pid, set()).add(r["alias"])
        if pid in seen_rows:
            continue  # one row per alias: the first row carries the entity
        seen_rows[pid] = r
        if r["provider_type"] == "country":
            if r["provider_name"] in NOT_COUNTRIES or not _ISO3.match(r["provider_name"]):
                ctx.skip(f"provider {pid} {r['provider_name']!r} is not an ISO country; its supply rows are left out")
                continue
            providers[pid] = r["provider_name"]
        elif r["provider_type"] == "organization":
            if r["provider_name"].lower().startswith("various"):
                ctx.skip(
                    f"provider {pid} {r['provider_name']!r} is an aggregate, not an organisation; its supply rows are left out"
                )
                continue
            providers[pid] = provider_id(pid)
        else:
            ctx.skip(f"provider {pid}: unknown provider_type {r['provider_type']!r}")
    for pid, r in seen_rows.items():
        if pid not in providers or r["provider_type"] != "organization":
            continue
        ctx.node(
            "Company",
            providers[pid],
            r["provider_name"],
            country=r["country"] or None,
            aliases=sorted(aliases.get(pid, set()) - {r["provider_name"]}),
            xrefs=[f"cset:{pid}"],
        )
        if _ISO3.match(r["country"]):
            ctx.edge("HEADQUARTERED_IN", providers[pid], r["country"])

    for r in _rows(ctx, "provision.csv"):
        pid, iid = r["provider_id"], r["provided_id"]
        if pid not in providers:
            ctx.skip(f"supply row from provider {pid} ({r['provider_name']}) that was left out")
            continue
        if iid not in inputs:
            ctx.skip(f"supply row to unknown input {iid!r}")
            continue
        try:
            share = float(r["share_provided"]) if r["share_provided"] else None
            year = int(r["year"]) if r["year"] else None
        except ValueError:
            ctx.skip(f"share {r['share_provided']!r} or year {r['year']!r} is not a number")
            continue
        ctx.edge(
            "SUPPLIES",
            providers[pid],
            tech_id(iid),
            id=ctx.make_id("supplies", pid, iid, year),
            share=share,
            year=year,
            note=f"CSET source: {r['source']}" if r["source"] else None,
        )

    for r in _rows(ctx, "sequence.csv"):
        a = r["input_id"]
        for col, rel in (("goes_into_id", "INPUT_TO"), ("is_type_of_id", "TYPE_OF")):
            b = r[col]
            if not b:
                continue
            if a not in inputs or b not in inputs:
                ctx.skip(f"{rel} between unknown inputs {a!r} and {b!r}")
                continue
            ctx.edge(rel, tech_id(a), tech_id(b))
