"""GLEIF's Legal Entity Identifiers: Level 1 (who is who) and Level 2 (who owns whom).

Reads, in ``gleif-lei-level2/``, both of GLEIF's publication formats:

* the **golden-copy CSV** files, as ``python -m graph fetch src-gleif-lei``
  downloads them (``lei2-golden-copy.csv.zip``, ``rr-golden-copy.csv.zip``,
  ``repex-golden-copy.csv.zip``; a plain ``.csv`` is read too): LEI-CDF 3.1
  flattened to dotted headers (``LEI``, ``Entity.LegalName``,
  ``Entity.OtherEntityNames.OtherEntityName.1`` …), RR-CDF 2.1
  (``Relationship.StartNode.NodeID`` … ``Relationship.Period.1.startDate`` …
  ``Relationship.Quantifiers.1.QuantifierAmount`` …) and the reporting
  exceptions (``LEI``, ``Exception.Category``, ``Exception.Reason.1`` …); each
  file's kind is told by its header, and columns are found by name;
* GLEIF's **RDF** (Turtle, ``*.ttl``: the L1, L2 and ReportingException
  ontologies, https://www.gleif.org/ontology/), read with rdflib.

It emits a ``Company`` per LEI (id ``lei-<LEI>``, xref ``lei:<LEI>``) with
legal name, other and previous names as aliases, legal jurisdiction,
headquarters country, entity and registration status, category and
addresses; ``SUBSIDIARY_OF`` child → parent for each relationship record
("directly consolidated by", "ultimately consolidated by", "international
branch of") with its period, status and registration status; ``OWNS`` parent
→ child where a quantifier gives a percentage (an ultimate parent's share is
``direct: false``); ``LINKED_TO`` for fund relationships (managed by, sub-fund,
feeder), which are not ownership; and each reporting exception as the
child's ``direct_parent_exception`` or ``ultimate_parent_exception``: "parent
not reported, and why".

Strict: a CSV whose header is none of the three layouts, or lacks a column
the loader needs, and a Turtle file that does not parse or holds no GLEIF
resource, stop the load with file, line and the layout expected. A row whose
LEI fails its ISO 17442 check digits, or a relationship with an unknown type,
is a reported skip. A parent that has no Level 1 record in the files gets a
stub node named by its LEI, said in a warning.

>>> lei_ok("6SHGI4ZSSLCXXQSBB395"), lei_ok("6SHGI4ZSSLCXXQSBB396"), lei_ok("ABC")
(True, False, False)
>>> snake("ExceptionReasonKindNoKnownPerson", "ExceptionReasonKind"), snake("EntityStatusActive", "EntityStatus")
('NO_KNOWN_PERSON', 'ACTIVE')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo, open_text
from loaders.common import clean_name, country_code

FOLDER = "gleif-lei-level2"
API = "https://goldencopy.gleif.org/api/v2/golden-copies/publishes/"
SOURCE = SourceInfo(
    id="src-gleif-lei",
    publisher="Global Legal Entity Identifier Foundation (GLEIF)",
    title="GLEIF Golden Copy: LEI records (LEI-CDF), relationship records (RR-CDF) and reporting exceptions",
    url="https://www.gleif.org/en/lei-data/gleif-golden-copy/download-the-golden-copy",
    license="CC0 1.0 (GLEIF LEI data terms of use): no restriction",
    kind="dataset",
    files=(
        f"{FOLDER}/L1Data.sample.ttl",
        f"{FOLDER}/L2Data.sample.ttl",
        f"{FOLDER}/ReportingExceptionData.sample.ttl",
    ),
    downloads={
        f"{FOLDER}/lei2-golden-copy.csv.zip": API + "lei2/latest.csv",
        f"{FOLDER}/rr-golden-copy.csv.zip": API + "rr/latest.csv",
        f"{FOLDER}/repex-golden-copy.csv.zip": API + "repex/latest.csv",
    },
    bulk=True,
)

# The LEI-CDF columns the loader reads (names, or prefixes of repeated and address groups).
LEI2_READS = ("LEI", "Entity.LegalName", "Entity.OtherEntityNames.", "Entity.TransliteratedOtherEntityNames.",
              "Entity.LegalJurisdiction", "Entity.LegalAddress.", "Entity.HeadquartersAddress.", "Entity.EntityStatus",
              "Entity.EntityCategory", "Registration.RegistrationStatus")  # fmt: skip
LEI2_NEEDS = ("LEI", "Entity.LegalName", "Entity.LegalJurisdiction", "Entity.EntityStatus",
              "Entity.LegalAddress.Country", "Entity.HeadquartersAddress.Country", "Registration.RegistrationStatus")  # fmt: skip
RR_NEEDS = ("Relationship.StartNode.NodeID", "Relationship.EndNode.NodeID", "Relationship.RelationshipType",
            "Relationship.RelationshipStatus", "Registration.RegistrationStatus")  # fmt: skip
REPEX_NEEDS = ("LEI", "Exception.Category", "Exception.Reason.1")
SUBSIDIARY = ("IS_DIRECTLY_CONSOLIDATED_BY", "IS_ULTIMATELY_CONSOLIDATED_BY", "IS_INTERNATIONAL_BRANCH_OF")
FUND = ("IS_FUND-MANAGED_BY", "IS_SUBFUND_OF", "IS_FEEDER_TO")
# RDF classes of the L2 and ReportingException ontologies -> the RR-CDF and repex codes.
RDF_RELATIONSHIPS = {
    "DirectConsolidation": "IS_DIRECTLY_CONSOLIDATED_BY",
    "UltimateConsolidation": "IS_ULTIMATELY_CONSOLIDATED_BY",
    "InternationalBranchRelationship": "IS_INTERNATIONAL_BRANCH_OF",
    "FundManagementRelationship": "IS_FUND-MANAGED_BY",
    "SubfundRelationship": "IS_SUBFUND_OF",
    "FeederRelationship": "IS_FEEDER_TO",
}
RDF_EXCEPTIONS = {
    "DirectConsolidationReportingException": "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT",
    "UltimateConsolidationReportingException": "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT",
}
RDF_CATEGORIES = {"LegalEntity": "GENERAL", "Branch": "BRANCH", "Fund": "FUND", "SoleProprietor": "SOLE_PROPRIETOR"}
L1 = "https://www.gleif.org/ontology/L1/"
L2 = "https://www.gleif.org/ontology/L2/"
BASE = "https://www.gleif.org/ontology/Base/"
REPEX = "https://www.gleif.org/ontology/ReportingException/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class Record:
    """One LEI record, one relationship record or one exception, with where it was read."""

    kind: str  # lei | rr | repex
    data: dict[str, Any]
    file: Path
    line: int


@dataclass
class Read:
    """What is read from the files and not yet written.

    A golden copy holds millions of LEI and relationship rows; with
    ``on_entity`` and ``on_relationship`` set, each is written as it is
    read instead of being kept.
    """

    entities: dict[str, Record] = field(default_factory=dict)
    relationships: list[Record] = field(default_factory=list)
    exceptions: list[Record] = field(default_factory=list)
    on_entity: Callable[[Record], None] | None = None
    on_relationship: Callable[[Record], None] | None = None


_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_BASE36 = str.maketrans({c: str(int(c, 36)) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})  # "A" -> "10"
_OTHER_NAME = re.compile(r"Entity\.(Transliterated)?OtherEntityNames\.\w+\.\d+")


@cache
def _other_name_column(column: str) -> bool:
    """Whether a golden-copy column holds one of the entity's other names (a few hundred columns, met
    millions of times: decided once each)."""
    return _OTHER_NAME.fullmatch(column) is not None


def lei_ok(lei: str) -> bool:
    """True when an LEI has 20 characters and its ISO 7064 MOD 97-10 check digits hold (ISO 17442)."""
    if not _LEI.fullmatch(lei):
        return False
    return int(lei.translate(_BASE36)) % 97 == 1


def snake(local: str, prefix: str = "") -> str:
    """An ontology individual's name as the CDF code: "EntityStatusActive" -> "ACTIVE"."""
    name = local[len(prefix) :] if prefix and local.startswith(prefix) else local
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def load(ctx: Context) -> None:
    """Read every GLEIF file found and emit the companies, their parents, stakes and exceptions.

    The RDF samples and the exception files are read first, so that each LEI
    row of a golden copy is written, with its exceptions, as it is read, then
    the relationship rows, which need to know every LEI.
    """
    found = _files(ctx)
    kinds = {path: _csv_kind(ctx, path) for path in found if path.suffix != ".ttl"}
    read = Read()
    for path in found:
        if path.suffix == ".ttl":
            _read_turtle(ctx, path, read)
        elif kinds[path] in ("repex", None):
            _read_csv(ctx, path, read)  # an unknown layout stops here, saying which it is not
    exceptions = _exceptions(ctx, read)
    written: set[str] = set()
    read.on_entity = lambda e: _entity(ctx, e, exceptions, written)
    for path in found:
        if kinds.get(path) == "lei":
            _read_csv(ctx, path, read)
    for e in read.entities.values():
        _entity(ctx, e, exceptions, written)
    for lei, (x, _) in exceptions.items():
        if lei not in written:
            ctx.at(x.file, x.line)
            ctx.skip(f"reporting exception of LEI {lei}, which has no Level 1 record in the files")
    stubs: set[str] = set()
    read.on_relationship = lambda r: _relationship(ctx, r, written, stubs)
    for r in read.relationships:
        _relationship(ctx, r, written, stubs)
    for path in found:
        if kinds.get(path) == "rr":
            _read_csv(ctx, path, read)


def _files(ctx: Context) -> list[Path]:
    found = ctx.glob(FOLDER, ("*.ttl", "*.csv", "*.csv.zip"))
    if not found:
        raise SourceMissing(
            f"{SOURCE.id}: no GLEIF file in {', '.join(str(d / FOLDER) for d in ctx.raw_dirs)} "
            f"(golden-copy CSV or RDF); run `python -m graph fetch {SOURCE.id}`"
        )
    # Level 1 before Level 2 before the exceptions, so each file meets the entities it refers to.
    order = {"l1": 0, "lei2": 0, "l2": 1, "rr": 1}
    return sorted(found, key=lambda p: (order.get(re.split(r"[^a-z0-9]", p.name.lower())[0], 2), p.name))


# -- CSV golden copy --------------------------------------------------------------------------


def _csv_rows(ctx: Context, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a golden-copy CSV, plain or as the one CSV inside GLEIF's zip."""
    stream = open_text(ctx, path, ".csv", "GLEIF's golden-copy .csv.zip")
    with stream:
        reader = csv.reader(stream)
        try:
            for cells in reader:
                yield reader.line_num, cells
        except (csv.Error, UnicodeDecodeError) as exc:
            ctx.at(path, reader.line_num)
            raise ctx.fail(f"unreadable CSV ({exc}); expected GLEIF's UTF-8, comma-separated golden copy") from exc


def _kind_of(header: list[str]) -> str | None:
    """Which golden-copy layout a header is: ``lei`` (LEI-CDF), ``rr`` (RR-CDF) or ``repex``."""
    if "Relationship.StartNode.NodeID" in header:
        return "rr"
    if "Exception.Category" in header:
        return "repex"
    if "Entity.LegalName" in header:
        return "lei"
    return None


def _csv_kind(ctx: Context, path: Path) -> str | None:
    """The layout of a golden-copy file, from its header (None when unknown: reading it says why)."""
    first = next(_csv_rows(ctx, path), None)
    return _kind_of([h.strip() for h in first[1]]) if first else None


def _read_csv(ctx: Context, path: Path, read: Read) -> None:
    ctx.at(path, 1)
    rows = _csv_rows(ctx, path)
    first = next(rows, None)
    if first is None:
        raise ctx.fail("empty file; expected a GLEIF golden-copy CSV with its header row")
    header = [h.strip() for h in first[1]]
    kind = _kind_of(header)
    needs = {"rr": RR_NEEDS, "repex": REPEX_NEEDS, "lei": LEI2_NEEDS}.get(kind or "")
    if kind is None or needs is None:
        raise ctx.fail(
            f"header {header[:4]} is none of GLEIF's golden-copy layouts; expected LEI-CDF (LEI, Entity.LegalName …), "
            "RR-CDF (Relationship.StartNode.NodeID …) or reporting exceptions (LEI, Exception.Category …)"
        )
    missing = [c for c in needs if c not in header]
    if missing:
        raise ctx.fail(
            f"missing column(s) {', '.join(missing)}; expected the {kind} golden-copy layout: {', '.join(needs)}"
        )
    # An LEI-CDF row has some 240 cells; the loader reads about 40 of them, and builds its dict of those only.
    read_cols = [(i, h) for i, h in enumerate(header) if kind != "lei" or h.startswith(LEI2_READS)]
    n = 0
    for line, cells in rows:
        if not "".join(cells).strip():
            continue
        ctx.at(path, line)
        n += 1
        if len(cells) != len(header):
            ctx.skip(f"{len(cells)} cells, the header has {len(header)}")
            continue
        row = {h: v for i, h in read_cols if (v := cells[i].strip())}
        if kind == "lei":
            _lei_row(ctx, path, line, row, read)
        elif kind == "rr":
            _rr_row(ctx, path, line, row, read)
        else:
            _repex_row(ctx, path, line, row, read)
    ctx.count(path.name, n)


def _numbered(row: dict[str, str], stem: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """Repeated groups of a flattened CDF ("Relationship.Period.1.startDate" …) as a list of dicts, by number."""
    prefix = stem + "."
    groups: dict[int, dict[str, str]] = {}
    for key, value in row.items():
        if key.startswith(prefix):
            number, _, name = key[len(prefix) :].partition(".")
            if name in fields and number.isdigit():
                groups.setdefault(int(number), {})[name] = value
    return [groups[k] for k in sorted(groups)]


def _address(row: dict[str, str], stem: str) -> str | None:
    parts = [row.get(f"{stem}.FirstAddressLine")]
    parts += [row.get(f"{stem}.AdditionalAddressLine.{k}") for k in (1, 2, 3)]
    parts += [row.get(f"{stem}.{p}") for p in ("City", "Region", "PostalCode")]
    if not any(parts):
        return None  # a country alone is no address; it is in country and countries
    return ", ".join(p for p in [*parts, row.get(f"{stem}.Country")] if p)


def _lei_row(ctx: Context, path: Path, line: int, row: dict[str, str], read: Read) -> None:
    lei = row.get("LEI", "")
    if not lei_ok(lei):
        ctx.skip(f"LEI {lei!r} fails its ISO 17442 check digits")
        return
    others = [row[k] for k in sorted(row) if _other_name_column(k)]
    record = Record(
        "lei",
        {
            "lei": lei,
            "name": row.get("Entity.LegalName"),
            "aliases": others,
            "jurisdiction": row.get("Entity.LegalJurisdiction"),
            "legal_country": row.get("Entity.LegalAddress.Country"),
            "hq_country": row.get("Entity.HeadquartersAddress.Country"),
            "status": row.get("Entity.EntityStatus"),
            "registration_status": row.get("Registration.RegistrationStatus"),
            "category": row.get("Entity.EntityCategory"),
            "addresses": [
                a for a in (_address(row, "Entity.LegalAddress"), _address(row, "Entity.HeadquartersAddress")) if a
            ],
        },
        path,
        line,
    )
    if read.on_entity is not None:
        read.on_entity(record)
    else:
        read.entities[lei] = record


def _rr_row(ctx: Context, path: Path, line: int, row: dict[str, str], read: Read) -> None:
    for end in ("StartNode", "EndNode"):
        if row.get(f"Relationship.{end}.NodeIDType", "LEI") != "LEI":
            ctx.skip(f"{end} is a {row[f'Relationship.{end}.NodeIDType']}, not an LEI")
            return
    periods = _numbered(row, "Relationship.Period", ("startDate", "endDate", "periodType"))
    quantifiers = _numbered(
        row, "Relationship.Quantifiers", ("MeasurementMethod", "QuantifierAmount", "QuantifierUnits")
    )
    rel = next((p for p in periods if p.get("periodType") == "RELATIONSHIP_PERIOD"), {})
    (read.on_relationship or read.relationships.append)(
        Record(
            "rr",
            {
                "child": row.get("Relationship.StartNode.NodeID", ""),
                "parent": row.get("Relationship.EndNode.NodeID", ""),
                "type": row.get("Relationship.RelationshipType", ""),
                "status": row.get("Relationship.RelationshipStatus"),
                "registration_status": row.get("Registration.RegistrationStatus"),
                "start": rel.get("startDate"),
                "end": rel.get("endDate"),
                "quantifiers": quantifiers,
            },
            path,
            line,
        )
    )


def _repex_row(ctx: Context, path: Path, line: int, row: dict[str, str], read: Read) -> None:
    reasons = [row[f"Exception.Reason.{k}"] for k in range(1, 6) if row.get(f"Exception.Reason.{k}")]
    read.exceptions.append(
        Record(
            "repex",
            {"lei": row.get("LEI", ""), "category": row.get("Exception.Category"), "reasons": reasons},
            path,
            line,
        )
    )


# -- RDF (Turtle) ----------------------------------------------------------------------------


def _read_turtle(ctx: Context, path: Path, read: Read) -> None:
    import rdflib

    ctx.at(path, 1)
    text = path.read_text(encoding="utf-8")
    g = rdflib.Graph()
    try:
        g.parse(data=text, format="turtle")
    except Exception as exc:  # rdflib raises its own BadSyntax and plain exceptions alike
        m = re.search(r"at line (\d+)", str(exc))
        ctx.at(path, int(m[1]) if m else 1)
        raise ctx.fail(f"not Turtle ({str(exc).splitlines()[0][:200]}); expected GLEIF's RDF") from exc
    lines = _subject_lines(text)

    def local(term: Any) -> str:
        return re.split(r"[/#]", str(term))[-1]

    def one(s: Any, ns: str, prop: str) -> Any:
        return next(iter(g.objects(s, rdflib.URIRef(ns + prop))), None)

    def at(s: Any) -> int:
        return lines.get(local(s), 0)

    types = {(s, local(o)) for s, o in g.subject_objects(rdflib.URIRef(RDF_TYPE))}
    n = 0
    for entry, lei_lit in g.subject_objects(rdflib.URIRef(L1 + "LEI")):
        n += 1
        lei = str(lei_lit)
        ctx.at(path, at(entry))
        if not lei_ok(lei):
            ctx.skip(f"LEI {lei!r} fails its ISO 17442 check digits")
            continue
        entity = one(entry, L1, "identifiesAndRecords")
        if entity is None:
            ctx.skip(f"LEI {lei} records no entity (gleif-L1:identifiesAndRecords)")
            continue
        category = next((RDF_CATEGORIES[t] for s, t in types if s == entity and t in RDF_CATEGORIES), None)
        addresses, hq_country, legal_country = [], None, None
        for prop in ("hasLegalAddress", "hasHeadquartersAddress"):
            addr = one(entity, L1, prop)
            if addr is None:
                continue
            parts = [
                one(addr, BASE, p)
                for p in ("hasAddressLine1", "hasAddressLine2", "hasAddressLine3", "hasCity", "hasPostalCode")
            ]
            country = one(addr, BASE, "hasCountry")
            line = ", ".join([*(str(p) for p in parts if p is not None), *([local(country)] if country else [])])
            if line:
                addresses.append(line)
            if prop == "hasLegalAddress":
                legal_country = local(country) if country else None
            else:
                hq_country = local(country) if country else None
        form = one(entity, L1, "hasLegalForm")
        read.entities[lei] = Record(
            "lei",
            {
                "lei": lei,
                "name": str(one(entity, L1, "hasLegalName") or ""),
                "aliases": [str(x) for x in g.objects(entity, rdflib.URIRef(L1 + "hasPreviousLegalName"))]
                + [str(x) for x in g.objects(entity, rdflib.URIRef(L1 + "hasOtherEntityName"))],
                "jurisdiction": local(j) if (j := one(entity, BASE, "hasLegalJurisdiction")) else None,
                "legal_country": legal_country,
                "hq_country": hq_country,
                "status": snake(local(s), "EntityStatus") if (s := one(entity, BASE, "hasEntityStatus")) else None,
                "registration_status": snake(local(r), "RegistrationStatus")
                if (r := one(entry, BASE, "hasRegistrationStatus"))
                else None,
                "category": category,
                "legal_form": str(one(entity, L1, "hasLegalFormText") or "") or (local(form) if form else None),
                "addresses": list(dict.fromkeys(addresses)),
            },
            path,
            at(entity) or at(entry),
        )
    records = {one(rec, BASE, "records"): rec for rec in g.subjects(rdflib.URIRef(BASE + "records"))}
    for rel, t in sorted(types, key=lambda x: at(x[0])):
        if t not in RDF_RELATIONSHIPS:
            if one(rel, L2, "hasChild") is not None:
                ctx.at(path, at(rel))
                ctx.skip(f"relationship class {t} is not one of {', '.join(RDF_RELATIONSHIPS)}")
            continue
        n += 1
        ctx.at(path, at(rel))
        period = one(rel, L2, "hasRelationshipPeriod")
        rec = records.get(rel)
        quantifiers = []
        for p, q in g.predicate_objects(rel):
            if "Quantifier" in local(p):
                vals = {local(p2): str(o2) for p2, o2 in g.predicate_objects(q)}
                quantifiers.append(
                    {
                        "QuantifierAmount": next((v for k, v in vals.items() if "Amount" in k), None),
                        "QuantifierUnits": next(
                            (snake(v.split("/")[-1]) for k, v in vals.items() if "Unit" in k), None
                        ),
                        "MeasurementMethod": next(
                            (snake(v.split("/")[-1]) for k, v in vals.items() if "Method" in k), None
                        ),
                    }
                )
        read.relationships.append(
            Record(
                "rr",
                {
                    "child": local(one(rel, L2, "hasChild") or "").removeprefix("L-"),
                    "parent": local(one(rel, L2, "hasParent") or "").removeprefix("L-"),
                    "type": RDF_RELATIONSHIPS[t],
                    "status": snake(local(s), "RelationshipStatus")
                    if (s := one(rel, L2, "hasRelationshipStatus"))
                    else None,
                    "registration_status": snake(local(r), "RegistrationStatus")
                    if rec is not None and (r := one(rec, BASE, "hasRegistrationStatus"))
                    else None,
                    "start": str(one(period, BASE, "hasStart") or "") or None if period is not None else None,
                    "end": str(one(period, BASE, "hasEnd") or "") or None if period is not None else None,
                    "quantifiers": quantifiers,
                },
                path,
                at(rel),
            )
        )
    for x, t in sorted(types, key=lambda x: at(x[0])):
        if t not in RDF_EXCEPTIONS:
            continue
        n += 1
        ctx.at(path, at(x))
        suffix = local(x).rsplit("-", 1)[-1]
        if (suffix == "D") != (RDF_EXCEPTIONS[t].startswith("DIRECT")) and suffix in ("D", "U"):
            ctx.report.warnings.append(
                f"{path}:{at(x)}: {local(x)} is named as a {'direct' if suffix == 'D' else 'ultimate'} exception "
                f"but typed {t}; the type is read"
            )
        read.exceptions.append(
            Record(
                "repex",
                {
                    "lei": local(one(x, REPEX, "hasReportingEntity") or "").removeprefix("L-"),
                    "category": RDF_EXCEPTIONS[t],
                    "reasons": [
                        snake(local(r), "ExceptionReasonKind")
                        for r in g.objects(x, rdflib.URIRef(REPEX + "hasExceptionReason"))
                    ],
                },
                path,
                at(x),
            )
        )
    if n == 0:
        ctx.at(path, 1)
        raise ctx.fail(
            "no GLEIF LEI, relationship or reporting-exception resource; expected GLEIF's L1, L2 or repex RDF"
        )
    ctx.count(path.name, n)


def _subject_lines(text: str) -> dict[str, int]:
    """The line on which each subject's description starts, by its local name."""
    out: dict[str, int] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"^([\w-]+:)?([\w.-]+)\s*$", line)
        if m:
            out.setdefault(m[2], i)
    return out


# -- records --------------------------------------------------------------------------------


def _day(text: str | None) -> str | None:
    return text[:10] if text and re.match(r"\d{4}-\d{2}-\d{2}", text) else None


def _exceptions(ctx: Context, read: Read) -> dict[str, tuple[Record, dict[str, str]]]:
    """The reporting exceptions read, by LEI: the first record (for messages) and the properties they set."""
    out: dict[str, tuple[Record, dict[str, str]]] = {}
    for x in read.exceptions:
        ctx.at(x.file, x.line)
        lei, category = x.data["lei"], x.data["category"] or ""
        prop = "ultimate_parent_exception" if category.startswith("ULTIMATE") else "direct_parent_exception"
        if not category.startswith(("ULTIMATE", "DIRECT")):
            ctx.skip(f"exception category {category!r} is neither direct nor ultimate")
            continue
        out.setdefault(lei, (x, {}))[1][prop] = ", ".join(x.data["reasons"]) or "reason not given"
    read.exceptions.clear()
    return out


def _entity(ctx: Context, e: Record, exceptions: dict[str, tuple[Record, dict[str, str]]], written: set[str]) -> None:
    """Write one LEI record as a ``Company``, with its reporting exceptions."""
    ctx.at(e.file, e.line)
    d = e.data
    lei = d["lei"]
    name = clean_name(d["name"] or "")
    if not name:
        ctx.skip(f"LEI {lei} has no legal name")
        return
    written.add(lei)
    hq = country_code(d["hq_country"]) or country_code(d["legal_country"])
    countries = sorted({c for c in (country_code(d["hq_country"]), country_code(d["legal_country"])) if c})
    ctx.node(
        "Company",
        f"lei-{lei}",
        name,
        lei=lei,
        xrefs=[f"lei:{lei}"],
        aliases=[a for a in dict.fromkeys(clean_name(x) for x in d["aliases"]) if a and a != name] or None,
        jurisdiction=d["jurisdiction"],
        country=hq,
        countries=countries or None,
        status=d["status"],
        registration_status=d["registration_status"],
        entity_category=d["category"],
        addresses=d["addresses"] or None,
        note=f"Legal form: {d['legal_form']}" if d.get("legal_form") else None,
        **exceptions.get(lei, (None, {}))[1],
    )


def _relationship(ctx: Context, r: Record, written: set[str], stubs: set[str]) -> None:
    ctx.at(r.file, r.line)
    d = r.data
    child, parent, kind = d["child"], d["parent"], d["type"]
    if kind not in (*SUBSIDIARY, *FUND):
        ctx.skip(f"relationship type {kind!r} is not one of {', '.join((*SUBSIDIARY, *FUND))}")
        return
    bad = [x for x in (child, parent) if not lei_ok(x)]
    if bad:
        ctx.skip(f"LEI {bad[0]!r} fails its ISO 17442 check digits")
        return
    if child not in written:
        ctx.skip(f"child LEI {child} has no Level 1 record in the files")
        return
    if parent not in written and parent not in stubs:
        stubs.add(parent)
        ctx.node(
            "Company",
            f"lei-{parent}",
            f"LEI {parent}",
            lei=parent,
            xrefs=[f"lei:{parent}"],
            note="Named as a parent by a GLEIF relationship record; its Level 1 record is not in the files read.",
        )
        ctx.report.warnings.append(
            f"{r.file}:{r.line}: parent LEI {parent} has no Level 1 record; a stub stands for it"
        )
    props: dict[str, Any] = {
        "valid_from": _day(d["start"]),
        "valid_to": _day(d["end"]),
        "status": d["status"],
        "registration_status": d["registration_status"],
    }
    if d["status"] == "INACTIVE" and not props["valid_to"]:
        props["note"] = "GLEIF marks the relationship INACTIVE without an end date"
    if kind in FUND:
        ctx.edge("LINKED_TO", f"lei-{child}", f"lei-{parent}", id=f"gleif-{child}-{parent}-{kind}", role=kind, **props)
        return
    ctx.edge("SUBSIDIARY_OF", f"lei-{child}", f"lei-{parent}", id=f"gleif-{child}-{parent}-{kind}", kind=kind, **props)
    for k, q in enumerate(d["quantifiers"]):
        units, amount = (q.get("QuantifierUnits") or "").upper(), q.get("QuantifierAmount")
        if units not in ("PERCENTAGE", "PERCENT") or amount is None:
            continue
        try:
            share = float(amount)
        except ValueError:
            ctx.skip(f"quantifier amount {amount!r} is not a number")
            continue
        if not 0 <= share <= 100:
            ctx.skip(f"quantifier {share} percent is outside 0 to 100")
            continue
        ctx.edge(
            "OWNS",
            f"lei-{parent}",
            f"lei-{child}",
            id=f"gleif-owns-{child}-{parent}-{kind}-{k}",
            share=share,
            share_min=share,
            share_max=share,
            direct=False if kind == "IS_ULTIMATELY_CONSOLIDATED_BY" else None,
            valid_from=props["valid_from"],
            valid_to=props["valid_to"],
            note=f"GLEIF relationship quantifier ({q.get('MeasurementMethod') or 'method not given'}) of {kind}",
        )
