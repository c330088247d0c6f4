"""PatentsView granted-patent bulk tables (``g_*.tsv``, as downloaded: ``g_*.tsv.zip``).

The layout is PatentsView's own (``table_config_bulk_exp_granted.json`` in
PatentsView-DB): tab-separated, a header row, UTF-8, text fields in double
quotes. The loader reads five tables, joined on ``patent_id``:

``g_patent`` (required)
    ``patent_id``, ``patent_type``, ``patent_date``, ``patent_title`` …:
    one ``Patent`` each, ``us-patent-<patent_id>`` (the grant XML loader
    uses the same ids, so the two sources' records merge).
``g_application``
    the filing date.
``g_cpc_current``
    the CPC symbols (``cpc_group``), and through the curated class table
    (:mod:`loaders.patent_common`) ``COVERS`` to our technologies.
``g_assignee_disambiguated``
    PatentsView's disambiguated assignees: a ``Company`` per organisation
    and a ``Person`` per individual, ``pv-assignee-<assignee_id>``, with xref
    ``patentsview:<assignee_id>``, and ``HOLDS`` to each patent. The
    resolver joins them to the companies other sources describe.
``g_location_disambiguated``
    the assignee's country (``disambig_country``, ISO 3166 alpha-2).

A table whose header lacks a column the loader reads stops the load (file,
line 1, the columns expected); a column it does not know is warned about.
A row that names a patent missing from ``g_patent`` is skipped and counted;
a bad date is left blank and warned about. Abstracts are not read.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo, iso_date, open_text
from loaders.common import clean_name, country_code
from loaders.patent_common import cpc_table, number_of, patent_node_id

FOLDER = "patents-patentsview-uspto"
DOWNLOAD = "https://s3.amazonaws.com/data.patentsview.org/download/"
# Each table's columns, in PatentsView's order (table_config_bulk_exp_granted.json).
COLUMNS: dict[str, tuple[str, ...]] = {
    "g_patent": (
        "patent_id", "patent_type", "patent_date", "patent_title", "patent_abstract", "wipo_kind", "num_claims",
        "withdrawn", "filename",
    ),
    "g_application": (
        "application_id", "patent_id", "patent_application_type", "filing_date", "series_code", "rule_47_flag",
    ),
    "g_cpc_current": (
        "patent_id", "cpc_sequence", "cpc_section", "cpc_class", "cpc_subclass", "cpc_group", "cpc_type",
        "cpc_symbol_position",
    ),
    "g_assignee_disambiguated": (
        "patent_id", "assignee_sequence", "assignee_id", "disambig_assignee_individual_name_first",
        "disambig_assignee_individual_name_last", "disambig_assignee_organization", "assignee_type", "location_id",
    ),
    "g_location_disambiguated": (
        "location_id", "disambig_city", "disambig_state", "disambig_country", "latitude", "longitude", "county",
        "state_fips", "county_fips",
    ),
}  # fmt: skip
# The columns each table must have for the loader to read it.
NEEDS: dict[str, tuple[str, ...]] = {
    "g_patent": ("patent_id", "patent_type", "patent_date", "patent_title", "withdrawn"),
    "g_application": ("patent_id", "filing_date"),
    "g_cpc_current": ("patent_id", "cpc_sequence", "cpc_subclass", "cpc_group"),
    "g_assignee_disambiguated": (
        "patent_id", "assignee_sequence", "assignee_id", "disambig_assignee_individual_name_first",
        "disambig_assignee_individual_name_last", "disambig_assignee_organization", "location_id",
    ),
    "g_location_disambiguated": ("location_id", "disambig_country"),
}  # fmt: skip
SOURCE = SourceInfo(
    id="src-patentsview",
    publisher="PatentsView (USPTO Office of the Chief Economist)",
    title="PatentsView granted-patent bulk data (g_* tables)",
    url="https://patentsview.org/download/data-download-tables",
    license="CC BY 4.0 (PatentsView); attribute PatentsView and the USPTO",
    kind="dataset",
    files=tuple(f"{FOLDER}/{t}.tsv" for t in COLUMNS),
    downloads={f"{FOLDER}/{t}.tsv.zip": f"{DOWNLOAD}{t}.tsv.zip" for t in COLUMNS},
    bulk=True,
)


def load(ctx: Context, progress: Callable[[str], None] | None = None) -> None:
    """Read the tables (``g_patent`` first: the others refer to it) and emit patents, holders and classes."""
    csv.field_size_limit(sys.maxsize)  # abstracts run to tens of kilobytes
    paths = {t: _find(ctx, t) for t in COLUMNS}
    if paths["g_patent"] is None:
        raise SourceMissing(
            f"{SOURCE.id}: no g_patent.tsv or g_patent.tsv.zip in "
            f"{', '.join(str(d / FOLDER) for d in ctx.raw_dirs)}; run `python -m graph fetch {SOURCE.id}`"
        )
    for table, path in paths.items():
        if path is None:
            ctx.report.warnings.append(f"{table}.tsv is absent: {_without(table)}")

    patents: dict[str, dict[str, Any]] = {}
    for row in _rows(ctx, paths["g_patent"], "g_patent"):
        number = number_of(row["patent_id"])
        if number is None:
            ctx.skip(f"patent_id {row['patent_id']!r} is not a US patent number")
            continue
        if row["withdrawn"] in ("1", "1.0"):
            ctx.skip(f"US{number} is withdrawn")
            continue
        patents[row["patent_id"]] = {
            "number": f"US{number}",
            "title": clean_name(row["patent_title"]) or None,
            "kind": row["patent_type"].strip().lower() or None,
            "granted": _date(ctx, row["patent_date"], "patent_date"),
            "_id": patent_node_id(number),
        }

    def known(row: dict[str, str], table: str) -> dict[str, Any] | None:
        found = patents.get(row["patent_id"])
        if found is None:
            ctx.skip(f"{table}: patent_id {row['patent_id']!r} is not in g_patent")
        return found

    for row in _rows(ctx, paths["g_application"], "g_application"):
        if (p := known(row, "g_application")) is not None:
            p["filed"] = _date(ctx, row["filing_date"], "filing_date")
    cpc: dict[str, list[tuple[int, str]]] = {}
    for row in _rows(ctx, paths["g_cpc_current"], "g_cpc_current"):
        if known(row, "g_cpc_current") is not None:
            sym = (row["cpc_group"] or row["cpc_subclass"]).strip().upper().replace(" ", "")
            if sym:
                cpc.setdefault(row["patent_id"], []).append((_int(row["cpc_sequence"]), sym))
    countries = {
        row["location_id"]: country_code(row["disambig_country"])
        for row in _rows(ctx, paths["g_location_disambiguated"], "g_location_disambiguated")
    }
    holders: dict[str, list[tuple[int, str, str]]] = {}
    parties: dict[str, tuple[str, str, str | None]] = {}  # node id -> label, name, country
    for row in _rows(ctx, paths["g_assignee_disambiguated"], "g_assignee_disambiguated"):
        if known(row, "g_assignee_disambiguated") is None:
            continue
        party = _party(ctx, row, countries)
        if party is not None:
            node_id, label, name, country = party
            parties.setdefault(node_id, (label, name, country))
            holders.setdefault(row["patent_id"], []).append((_int(row["assignee_sequence"]), node_id, name))

    table = cpc_table(ctx)
    for node_id, (label, name, country) in parties.items():
        ctx.node(
            label,
            node_id,
            name,
            country=country,
            **({"countries": [country]} if country else {}),
            xrefs=[f"patentsview:{node_id.removeprefix('pv-assignee-')}"],
        )
    for patent_id, p in patents.items():
        node_id = p.pop("_id")
        symbols = [s for _, s in sorted(cpc.get(patent_id, []))]
        held = sorted(holders.get(patent_id, []))
        ctx.node(
            "Patent",
            node_id,
            f"{p['number']}: {p['title']}" if p["title"] else p["number"],
            **p,
            cpc=list(dict.fromkeys(symbols)) or None,
            assignee=held[0][2] if held else None,
            xrefs=[f"uspto:{p['number'].removeprefix('US')}"],
        )
        for seq, holder, _ in held:
            ctx.edge("HOLDS", holder, node_id, id=f"pv-holds-{patent_id}-{seq}", sequence=seq)
        for tech, prefix, source in table.technologies(symbols):
            ctx.edge(
                "COVERS", node_id, tech, id=f"pv-covers-{patent_id}-{tech}", cpc=prefix, basis="CPC", sources=[source]
            )


def _find(ctx: Context, table: str) -> Path | None:
    found = ctx.glob(FOLDER, (f"{table}.tsv", f"{table}.tsv.zip"))
    return found[0] if found else None


def _without(table: str) -> str:
    return {
        "g_patent": "no patents",
        "g_application": "patents are loaded without filing dates",
        "g_cpc_current": "patents are loaded without classes, and cover no technology",
        "g_assignee_disambiguated": "patents are loaded without holders",
        "g_location_disambiguated": "assignees are loaded without countries",
    }[table]


def _rows(ctx: Context, path: Path | None, table: str) -> Iterator[dict[str, str]]:
    """Each data row of a table as a dict of the columns the loader reads, with the file and line set."""
    if path is None:
        return
    ctx.at(path, 1)
    stream = open_text(ctx, path, ".tsv", f"PatentsView's {table}.tsv.zip")
    n = 0
    with stream:
        reader = csv.reader(stream, delimiter="\t", quotechar='"')
        try:
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise ctx.fail(f"empty file; expected PatentsView's {table} with its header row")
            missing = [c for c in NEEDS[table] if c not in header]
            if missing:
                raise ctx.fail(
                    f"{table}: missing column(s) {', '.join(missing)}; expected PatentsView's layout: "
                    f"{', '.join(COLUMNS[table])}"
                )
            unknown = [c for c in header if c not in COLUMNS[table]]
            if unknown:
                ctx.report.warnings.append(f"{path.name}: column(s) {', '.join(unknown)} not read")
            where = [(c, header.index(c)) for c in NEEDS[table]]
            for cells in reader:
                ctx.at(path, reader.line_num)
                if not cells or not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    ctx.skip(f"{len(cells)} fields, the header has {len(header)}")
                    continue
                n += 1
                yield {c: cells[i] for c, i in where}
        except (csv.Error, UnicodeDecodeError) as exc:
            ctx.at(path, reader.line_num)
            raise ctx.fail(f"unreadable TSV ({exc}); expected PatentsView's UTF-8, tab-separated {table}") from exc
    ctx.at(path, 0)
    ctx.count(path.name, n)


def _party(
    ctx: Context, row: dict[str, str], countries: dict[str, str | None]
) -> tuple[str, str, str, str | None] | None:
    """(node id, label, name, country) of an assignee row, or None (skipped) when it names nobody."""
    org = clean_name(row["disambig_assignee_organization"])
    person = " ".join(
        p for p in (clean_name(row["disambig_assignee_individual_name_first"]),
                    clean_name(row["disambig_assignee_individual_name_last"])) if p
    )  # fmt: skip
    assignee = row["assignee_id"].strip()
    if not assignee or not (org or person):
        ctx.skip(f"assignee of {row['patent_id']} has no assignee_id or no name")
        return None
    return f"pv-assignee-{assignee}", "Company" if org else "Person", org or person, countries.get(row["location_id"])


def _date(ctx: Context, value: str, column: str) -> str | None:
    if not value.strip():
        return None
    try:
        return iso_date(value.strip()[:10])
    except ValueError:
        ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: {column} {value!r} is not a date; left blank")
        return None


def _int(value: str) -> int:
    try:
        return int(float(value))
    except ValueError:
        return 0
