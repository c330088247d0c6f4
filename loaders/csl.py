"""The ITA Consolidated Screening List (CSL) CSV, and BIS's own Entity List CSV.

The CSL joins eleven or twelve US lists in one file, one row per entry. Its
current layout has 29 columns starting with ``_id``; the older layout had the
same 28 columns without ``_id``, and is read too (the entry then has no CSL id).
Any other header stops the load, naming the file, the columns it lacks and the
layout expected.

* ``source`` ("Entity List (EL) - Bureau of Industry and Security") gives the
  list: the code in parentheses maps to our ``SanctionList`` id (:data:`LIST_IDS`).
* Rows with an OFAC ``entity_number`` are the SDN loader's entries: node id
  ``ofac-<n>`` and xref ``ofac:<n>``, so the two merge.
* ``type`` Individual, Entity, Vessel or Aircraft gives the label; the BIS and
  State lists leave it blank: a ``Company``, or a ``Person`` on the DPL, DTC and
  ISN lists when the name reads as a person's (:func:`loaders.us_lists.is_person`).
* Multi-valued cells are joined with "; " ("...; and X"); addresses are
  "street, city, state, postal, CC; ...", with the ISO2 country last.

BIS's own Entity List CSV (the layout of ``bis-el-native-format.fixture.csv``)
has one row per entity x address x alias; its rows are grouped by list, name
and country into one entry.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo
from loaders.common import clean_name, country_code, ear_footnotes, fr_citations, us_date
from loaders.us_lists import _norm, is_person

FOLDER = "us-csl-bis-entity-list"
CSL_FILES = ("consolidated.csv", "consolidated.sample.csv")  # the official name first
# Only BIS's real file: the shared ``bis-el-native-format.fixture.csv`` is a test fixture whose values ITA's
# developers edited ("Title 1", "76 FR 10001"), so it shows the layout but must never enter a graph as facts.
BIS_FILES = ("bis-el-native-format.csv",)
SOURCE = SourceInfo(
    id="src-ita-csl",
    publisher="US Department of Commerce, International Trade Administration",
    title="Consolidated Screening List (CSV), and BIS's Entity List CSV",
    url="https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
    license="US public domain (17 USC 105)",
    kind="dataset",
    files=tuple(f"{FOLDER}/{f}" for f in (*CSL_FILES, *BIS_FILES)),
    expected_rows={
        "consolidated.csv": (5000, 60000),
        "consolidated.sample.csv": (10, 100),
        "bis-el-native-format.csv": (1000, 100000),
    },
    downloads={
        f"{FOLDER}/consolidated.csv": "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"
    },
)
CSL_COLUMNS = (
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
)  # fmt: skip
CSL_OLD_COLUMNS = CSL_COLUMNS[1:]
BIS_COLUMNS = (
    "Source List", "Entity Number", "SDN Type", "Programs", "Name", "Title", "Address", "City",
    "State/Province", "Postal Code", "Country", "Federal Register Notice", "Effective Date",
    "Date Lifted/Waived/Expired", "Standard Order", "License Requirement", "License Policy",
    "Call Sign", "Vessel Type", "Gross Tonnage", "Gross Register Tonnage", "Vessel Flag",
    "Vessel Owner", "Remarks/Notes", "Address Number", "Address Remarks", "Alternate Number",
    "Alternate Type", "Alternate Name", "Alternate Remarks", "Web Link",
)  # fmt: skip
# CSL list code -> SanctionList id (the same ids as the list and OFAC loaders).
LIST_IDS = {
    "EL": "us-bis-entity-list",
    "MEU": "us-bis-meu",
    "UVL": "us-bis-uvl",
    "DPL": "us-bis-dpl",
    "ISN": "us-state-nonproliferation",  # the State Department's nonproliferation sanctions, as the list loader
    "DTC": "us-state-dtc",
    "SDN": "us-ofac-sdn",
    "SSI": "us-ofac-ssi",
    "PLC": "us-ofac-ns-plc",
    "FSE": "us-ofac-fse",
    "CMIC": "us-ofac-ns-cmic",
    "CAP": "us-ofac-cap",
    "CAPTA": "us-ofac-cap",
    "MBS": "us-ofac-ns-mbs",
    "NS-MBS": "us-ofac-ns-mbs",
}
PERSON_CODES = {"DPL", "DTC", "ISN"}
FR_DATED = {"EL", "MEU"}  # their start_date is the Federal Register publication date
LABELS = {"individual": "Person", "entity": "Company", "vessel": "Vessel", "aircraft": "Aircraft"}
_C1 = re.compile("[\u0080-\u009f]")


def _find_any(ctx: Context, names: tuple[str, ...]) -> Path:
    errors = []
    for name in names:
        try:
            return ctx.find(f"{FOLDER}/{name}")
        except SourceMissing as exc:
            errors.append(str(exc))
    raise SourceMissing(errors[0])


def _text(ctx: Context, value: str | None) -> str:
    """A cell, with Windows-1252 quotes that reached UTF-8 as C1 controls (\\x92) mended."""
    if not value:
        return ""
    if _C1.search(value):
        ctx.report.warnings.append(
            f"{ctx._origin[0]}:{ctx._origin[1]}: Windows-1252 characters read as C1 controls; mended"
        )
        value = _C1.sub(lambda m: m.group(0).encode("latin-1").decode("cp1252", "replace"), value)
    return clean_name(value)


def _multi(value: str) -> list[str]:
    parts = [re.sub(r"^and\s+", "", p.strip()) for p in value.split(";")]
    return [p for p in parts if p]


def _list_code(label: str) -> str | None:
    m = re.search(r"\(([^()]+)\)[^()]*?(?:\s-\s|$)", label)
    return m[1].replace(" List", "").strip() if m else (label.strip() or None)


def load(ctx: Context) -> None:
    """Read the CSL and the BIS Entity List CSV, whichever are present (skipped as a source when neither is)."""
    missing = []
    for names, read in ((CSL_FILES, _load_csl), (BIS_FILES, _load_bis)):
        try:
            path = _find_any(ctx, names)
        except SourceMissing as exc:
            missing.append((names, exc))
            continue
        read(ctx, path)
    if len(missing) == 2:
        raise missing[0][1]
    # BIS's own CSV is optional (the Entity List also comes from the CSL and the US lists); a missing CSL is not.
    for names, exc in missing:
        if names is CSL_FILES:
            ctx.report.warnings.append(f"{exc}; the rest of the source was read")


def _header(ctx: Context, path: Path, reader: Any, layouts: dict[str, tuple[str, ...]]) -> str:
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    for name, cols in layouts.items():
        if all(c in header for c in cols):
            return name
    best_name, best = min(layouts.items(), key=lambda kv: len([c for c in kv[1] if c not in header]))
    missing = [c for c in best if c not in header]
    raise ctx.fail(
        f"{path.name}: unknown layout; missing column(s) {', '.join(missing)}; expected the {best_name} layout "
        f"({', '.join(best)})"
    )


def _lists_seen(ctx: Context, seen: dict[str, str]) -> None:
    for code, label in seen.items():
        name, _, authority = label.partition(" - ")
        ctx.node(
            "SanctionList",
            LIST_IDS[code],
            name.strip() or code,
            authority=authority.strip() or None,
            jurisdiction="USA",
            aliases=[code],
        )
        ctx.edge("IMPOSED_BY", LIST_IDS[code], "USA")


def _load_csl(ctx: Context, path: Path) -> None:
    ctx.at(path, 1)
    seen: dict[str, str] = {}
    n = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        layout = _header(
            ctx, path, reader, {"current 29-column CSL": CSL_COLUMNS, "older 28-column CSL": CSL_OLD_COLUMNS}
        )
        if layout.startswith("older"):
            ctx.report.warnings.append(f"{path.name}: older 28-column layout without _id; entries have no CSL id")
        try:
            for line, row in enumerate(reader, start=2):
                ctx.at(path, line)
                n += 1
                if None in row:
                    ctx.skip(f"{len(row[None])} more fields than the header has")
                    continue
                r = {k: _text(ctx, v) for k, v in row.items()}
                code = _list_code(r["source"])
                if code not in LIST_IDS:
                    ctx.skip(f"source {r['source']!r} is not a list this loader knows ({', '.join(sorted(LIST_IDS))})")
                    continue
                if not r["name"]:
                    ctx.skip("row has no name")
                    continue
                seen.setdefault(code, r["source"])
                _csl_row(ctx, code, r)
        except UnicodeDecodeError as exc:
            raise ctx.fail(f"{path.name}: not UTF-8 text ({exc.reason}); ITA publishes UTF-8") from exc
    ctx.count(path.name, n)
    _lists_seen(ctx, seen)


def _addresses(text: str) -> tuple[list[str], list[str]]:
    addresses, countries = [], []
    for a in _multi(text):
        addresses.append(a)
        cc = country_code(a.rsplit(",", 1)[-1].strip())
        if cc:
            countries.append(cc)
    return addresses, list(dict.fromkeys(countries))


def _csl_row(ctx: Context, code: str, r: dict[str, str]) -> None:
    addresses, countries = _addresses(r["addresses"])
    kind = r["type"].lower()
    if kind and kind not in LABELS:
        ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: type {r['type']!r} unknown; read as Company")
    label = LABELS.get(kind) or ("Person" if code in PERSON_CODES and is_person(r["name"]) else "Company")
    aliases = [a for a in _multi(r["alt_names"]) if a != r["name"]]
    props: dict[str, Any] = {"aliases": aliases, "remarks": r["remarks"] or None}
    if r["entity_number"]:
        node_id = f"ofac-{r['entity_number']}"
        props["xrefs"] = [f"ofac:{r['entity_number']}"]
    else:
        node_id = ctx.make_id(code, _norm(r["name"]), countries[0] if countries else "")
        props["xrefs"] = [f"csl:{r['_id']}"] if r.get("_id") else []
    if label in ("Company", "Person"):
        props.update(addresses=addresses or None, countries=countries or None)
    if label == "Company":
        props["country"] = countries[0] if countries else None
    elif label == "Person":
        nat = [c for c in (country_code(x) for x in _multi(r["nationalities"]) + _multi(r["citizenships"])) if c]
        props.update(
            title=r["title"] or None,
            nationality=list(dict.fromkeys(nat)) or None,
            birth_dates=_multi(r["dates_of_birth"]) or None,
            country=countries[0] if countries else None,
        )
        if not kind:
            props.update(
                confidence="medium", confidence_note="A person by the form of the name; the list does not say."
            )
    elif label == "Vessel":
        props.update(
            call_sign=r["call_sign"] or None,
            vessel_type=r["vessel_type"] or None,
            flag=r["vessel_flag"] or None,
            tonnage=r["gross_tonnage"] or None,
            owner=r["vessel_owner"] or None,
        )
    ctx.node(label, node_id, r["name"], **props)

    citations = fr_citations(r["federal_register_notice"])
    start = us_date(r["start_date"])
    if r["start_date"] and not start:
        ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: start_date {r['start_date']!r} unreadable")
    edge: dict[str, Any] = {
        "entry": r.get("_id") or r["entity_number"] or None,
        "citation": "; ".join(c for c, _ in citations) or r["federal_register_notice"] or None,
        "program": r["programs"] or None,
        "license_requirement": r["license_requirement"] or None,
        "license_policy": r["license_policy"] or None,
        "footnote": ", ".join(ear_footnotes(r["license_requirement"])) or None,
        "valid_from": start,
        "valid_to": us_date(r["end_date"]),
    }
    if start and code in FR_DATED:
        edge.update(
            confidence="medium",
            confidence_note=(
                "The CSL's start_date for this list is the Federal Register publication date; the listing may have "
                "taken effect before it."
            ),
        )
    elif not start:
        edge["note"] = "date not in source"
    list_id = LIST_IDS[code]
    ctx.edge("LISTED_ON", node_id, list_id, id=ctx.make_id("LISTED_ON", node_id, list_id, edge["entry"]), **edge)


def _load_bis(ctx: Context, path: Path) -> None:
    ctx.at(path, 1)
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    seen: dict[str, str] = {}
    n = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        _header(ctx, path, reader, {"BIS Entity List CSV": BIS_COLUMNS})
        try:
            for line, row in enumerate(reader, start=2):
                ctx.at(path, line)
                n += 1
                extra = [v for v in row.get(None) or [] if v.strip()]
                if extra:
                    ctx.skip(f"{len(extra)} filled fields beyond the header")
                    continue
                r = {k: _text(ctx, v) for k, v in row.items() if k}
                if not r["Name"]:
                    ctx.skip("row has no Name")
                    continue
                code = r["Source List"] or "EL"
                if code not in LIST_IDS:
                    ctx.skip(f"Source List {code!r} is not a list this loader knows")
                    continue
                seen.setdefault(code, {"EL": "Entity List (EL) - Bureau of Industry and Security"}.get(code, code))
                g = groups.setdefault((code, _norm(r["Name"]), r["Country"]), {"rows": [], "line": line})
                g["rows"].append(r)
        except UnicodeDecodeError as exc:
            raise ctx.fail(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    ctx.count(path.name, n)
    for (code, _, country_text), g in groups.items():
        ctx.at(path, g["line"])
        rows = g["rows"]
        first = rows[0]
        country = country_code(country_text)
        if country_text and not country:
            ctx.report.warnings.append(f"{path.name}:{g['line']}: country {country_text!r} unknown; left blank")
        addresses = list(
            dict.fromkeys(
                ", ".join(
                    p for p in (r["Address"], r["City"], r["State/Province"], r["Postal Code"], r["Country"]) if p
                )
                for r in rows
                if r["Address"] or r["City"]
            )
        )
        aliases = list(
            dict.fromkeys(
                r["Alternate Name"] for r in rows if r["Alternate Name"] and r["Alternate Name"] != first["Name"]
            )
        )
        node_id = ctx.make_id(code, _norm(first["Name"]), country or "")
        titles = list(dict.fromkeys(r["Title"] for r in rows if r["Title"]))
        ctx.node(
            "Company",
            node_id,
            first["Name"],
            aliases=aliases,
            addresses=addresses or None,
            country=country,
            countries=[country] if country else None,
            remarks=first["Remarks/Notes"] or None,
            note=f"Title(s) given: {'; '.join(titles)}" if titles else None,
        )
        citations = fr_citations("; ".join(r["Federal Register Notice"] for r in rows))
        dates = sorted({d for d in (us_date(r["Effective Date"]) for r in rows) if d})
        requirement = first["License Requirement"] or None
        list_id = LIST_IDS[code]
        ctx.edge(
            "LISTED_ON",
            node_id,
            list_id,
            id=ctx.make_id("LISTED_ON", node_id, list_id),
            entry=first["Entity Number"] or first["Name"],
            citation="; ".join(c for c, _ in citations) or None,
            valid_from=dates[0] if dates else None,
            valid_to=us_date(first["Date Lifted/Waived/Expired"]),
            license_requirement=requirement,
            license_policy=first["License Policy"] or None,
            footnote=", ".join(ear_footnotes(requirement)) or None,
            note=(
                f"Rows give several effective dates ({', '.join(dates)}); the earliest is used."
                if len(dates) > 1
                else None
                if dates
                else "date not in source"
            ),
        )
    _lists_seen(ctx, seen)
