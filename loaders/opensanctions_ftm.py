"""OpenSanctions datasets as FollowTheMoney (FtM) entities: one generic loader for any dataset's file.

Reads every ``opensanctions-ftm/*.json`` file found: entities files
(``<dataset>.entities.ftm.json``, one FtM entity per line: ``id``, ``schema``,
``properties`` with every value a list of strings, ``datasets``, ``target``
…) and delta files (``entities.delta.json``, one ``{"op": "ADD"|"MOD"|"DEL",
"entity": {...}}`` per line), applied in name order after the entities files.
The loader emits:

* ``Person`` for FtM ``Person``; ``Company`` for ``Company``, ``Organization``,
  ``LegalEntity`` and ``PublicBody``; id ``os-<FtM id>``, xref
  ``opensanctions:<FtM id>`` (and ``lei:<code>`` for a ``leiCode``), with
  names, aliases (``weakAlias`` as weak aliases), countries, addresses
  (``addressEntity`` resolved to the ``Address`` entities' text), nationality,
  dates of birth, positions and notes;
* ``OWNS`` for ``Ownership`` (owner → asset) with its ``percentage`` as a share
  or a band (``share``, ``share_min``, ``share_max``; unknown stays null),
  ``DIRECTOR_OF`` for ``Directorship`` (director → organization, with its role)
  and ``LINKED_TO`` for ``UnknownLink``, ``Associate``, ``Family``,
  ``Membership``, ``Employment`` and ``Representation`` (with their role);
* ``LISTED_ON`` for ``Sanction`` (entity → the dataset's ``SanctionList``
  ``opensanctions-<dataset>``) with ``startDate`` or ``listingDate`` as
  ``valid_from``, ``endDate`` as ``valid_to``, program and authority. A target
  of a dataset file named ``<dataset>.entities…`` that carries the topic
  ``sanction`` and no ``Sanction`` entity is listed on that dataset's list
  with confidence medium (the file says it is a sanctioned target, not since when).

Licence: OpenSanctions' data is **CC BY-NC 4.0** (non-commercial use; a
commercial user needs OpenSanctions' licence); the underlying official lists
are the governments'. Strict: a line that is not JSON, or an object that is
not an FtM entity (or delta operation) stops the load with file, line and the
layout expected; a relationship whose ends were not loaded, or an
unreadable share, is a reported skip; schemata the graph does not hold
(``Vessel``, ``Position``, ``Security`` …) are counted in one warning each.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from loaders.base import Context, SourceInfo
from loaders.common import clean_name, country_code, share_props

FOLDER = "opensanctions-ftm"
OFFICIAL = "https://data.opensanctions.org/datasets/latest/"
SOURCE = SourceInfo(
    id="src-opensanctions-ftm",
    publisher="OpenSanctions (OpenSanctions Datenbanken GmbH)",
    title="OpenSanctions datasets, FollowTheMoney entities (entities.ftm.json)",
    url="https://www.opensanctions.org/datasets/",
    license=(
        "CC BY-NC 4.0 (OpenSanctions data): non-commercial use with attribution, credit "
        "'OpenSanctions, https://www.opensanctions.org'; commercial use needs an OpenSanctions licence"
    ),
    kind="dataset",
    files=(f"{FOLDER}/eu_fsf.entities.ftm.sample.json", f"{FOLDER}/entities.delta.sample.json"),
    downloads={f"{FOLDER}/eu_fsf.entities.ftm.json": OFFICIAL + "eu_fsf/entities.ftm.json"},
)

LABELS = {"Person": "Person", "Company": "Company", "Organization": "Company", "LegalEntity": "Company"}
LABELS["PublicBody"] = "Company"
# FtM relationship schemata -> (our type, start property, end property).
LINKS = {
    "Ownership": ("OWNS", "owner", "asset"),
    "Directorship": ("DIRECTOR_OF", "director", "organization"),
    "UnknownLink": ("LINKED_TO", "subject", "object"),
    "Associate": ("LINKED_TO", "person", "associate"),
    "Family": ("LINKED_TO", "person", "relative"),
    "Membership": ("LINKED_TO", "member", "organization"),
    "Employment": ("LINKED_TO", "employee", "employer"),
    "Representation": ("LINKED_TO", "agent", "client"),
}
ENTITY_KEYS = ("id", "schema", "properties")
DATASET_TITLES = {
    "eu_fsf": "EU Financial Sanctions Files (FSF), via OpenSanctions",
    "gb_hmt_sanctions": "UK HM Treasury (OFSI) Consolidated List, via OpenSanctions",
    "ch_seco_sanctions": "Swiss SECO Sanctions, via OpenSanctions",
}


@dataclass
class Entity:
    """One FtM entity as read, with where it was read."""

    raw: dict[str, Any]
    file: Path
    line: int
    dataset: str | None  # the dataset a file's name gives ("eu_fsf" for eu_fsf.entities.ftm.json)

    @property
    def id(self) -> str:
        return str(self.raw["id"])

    @property
    def schema(self) -> str:
        return str(self.raw["schema"])

    def values(self, prop: str) -> list[str]:
        out = self.raw["properties"].get(prop) or []
        return [clean_name(v) for v in out if isinstance(v, str) and v.strip()]

    def first(self, prop: str) -> str | None:
        vals = self.values(prop)
        return vals[0] if vals else None


def files(ctx: Context) -> list[Path]:
    """Every FtM file found, first folder winning for a name: entities files, then delta files by name."""
    found: dict[str, Path] = {}
    for folder in ctx.raw_dirs:
        for path in sorted((folder / FOLDER).glob("*.json")):
            found.setdefault(path.name, path)
    if not found:
        raise SourceMissing(
            f"{SOURCE.id}: no FtM file in {', '.join(str(d / FOLDER) for d in ctx.raw_dirs)} "
            f"(<dataset>.entities.ftm.json from {OFFICIAL}<dataset>/); run `python -m graph fetch {SOURCE.id}`"
        )
    paths = sorted(found.values(), key=lambda p: ("delta" in p.name, p.name))
    for p in paths:
        ctx.used(p, f"{FOLDER}/{p.name}")
    return paths


def load(ctx: Context) -> None:
    """Read the files, apply the deltas, and emit the entities, their ties and their listings."""
    entities: dict[str, Entity] = {}
    for path in files(ctx):
        _read(ctx, path, entities)
    addresses = {e.id: e for e in entities.values() if e.schema == "Address"}
    emitted: dict[str, str] = {}  # FtM id -> our label
    unread: dict[str, int] = {}
    for e in entities.values():
        ctx.at(e.file, e.line)
        if e.schema in LABELS:
            _node(ctx, e, addresses)
            emitted[e.id] = LABELS[e.schema]
        elif e.schema not in LINKS and e.schema not in ("Sanction", "Address"):
            unread[e.schema] = unread.get(e.schema, 0) + 1
    sanctioned: set[str] = set()
    lists: dict[str, str | None] = {}
    for e in entities.values():
        ctx.at(e.file, e.line)
        if e.schema in LINKS:
            _link(ctx, e, emitted)
        elif e.schema == "Sanction":
            target = _sanction(ctx, e, emitted, lists)
            if target:
                sanctioned.add(target)
    for e in entities.values():
        flagged = e.raw.get("target") and "sanction" in e.values("topics")
        if (
            e.dataset
            and e.id in emitted
            and e.id not in sanctioned
            and flagged
            and e.dataset in (e.raw.get("datasets") or [])
        ):
            ctx.at(e.file, e.line)
            lists.setdefault(e.dataset, None)
            ctx.edge(
                "LISTED_ON",
                f"os-{e.id}",
                f"opensanctions-{e.dataset}",
                id=f"os-listed-{e.dataset}-{e.id}",
                entry=e.id,
                confidence="medium",
                confidence_note=(
                    f"A sanctioned target of OpenSanctions' {e.dataset} dataset (target flag and topic "
                    "'sanction'); the file holds no Sanction record with its dates."
                ),
                note=_seen(e),
            )
    for dataset, authority in sorted(lists.items()):
        ctx.at(SOURCE.id, 0)
        ctx.node(
            "SanctionList",
            f"opensanctions-{dataset}",
            DATASET_TITLES.get(dataset, f"OpenSanctions dataset {dataset}"),
            authority=authority,
            url=f"https://www.opensanctions.org/datasets/{dataset}/",
            aliases=[dataset],
        )
    for schema, n in sorted(unread.items()):
        ctx.report.warnings.append(f"{n} {schema} entities not loaded: the graph holds no {schema}")


def _read(ctx: Context, path: Path, entities: dict[str, Entity]) -> None:
    m = re.match(r"(?P<ds>[a-z0-9_]+)\.entities\.", path.name)
    dataset = m["ds"] if m else None
    kind = None
    rows = 0
    ctx.at(path, 1)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ctx.fail(f"not UTF-8 text ({exc}); FtM files are UTF-8 JSON lines") from exc
    for line, raw_line in enumerate(text.splitlines(), start=1):
        if not raw_line.strip():
            continue
        ctx.at(path, line)
        try:
            obj = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            raise ctx.fail(f"not a JSON object ({exc}); expected one FtM entity per line") from exc
        this = "delta" if isinstance(obj, dict) and "op" in obj and "entity" in obj else "entities"
        if kind is None:
            kind = this
        elif this != kind:
            raise ctx.fail(f"a {this} line in a file of {kind} lines; expected one kind per file")
        if kind == "delta":
            op, entity = obj["op"], obj["entity"]
            if op not in ("ADD", "MOD", "DEL"):
                raise ctx.fail(f"delta op {op!r}; expected ADD, MOD or DEL")
        else:
            op, entity = "ADD", obj
        _check(ctx, entity)
        rows += 1
        if op == "DEL":
            if entities.pop(str(entity["id"]), None) is None:
                ctx.report.warnings.append(f"{path}:{line}: DEL of {entity['id']}, which no earlier file holds")
            continue
        entities[str(entity["id"])] = Entity(entity, path, line, dataset)
    ctx.count(path.name, rows)


def _check(ctx: Context, entity: Any) -> None:
    if not isinstance(entity, dict) or any(k not in entity for k in ENTITY_KEYS):
        keys = sorted(entity) if isinstance(entity, dict) else type(entity).__name__
        raise ctx.fail(f"not an FtM entity (keys {keys}); expected {', '.join(ENTITY_KEYS)} and properties of lists")
    props = entity["properties"]
    if not isinstance(props, dict) or not all(isinstance(v, list) for v in props.values()):
        raise ctx.fail("FtM properties must be an object of lists of strings")


def _countries(ctx: Context, e: Entity, *props: str) -> list[str]:
    out = []
    for prop in props:
        for text in e.values(prop):
            code = country_code(text)
            if code:
                out.append(code)
            elif text.lower() not in ("zz", "xx"):  # FtM's "unknown" and "global" codes
                ctx.report.warnings.append(f"{e.file}:{e.line}: {prop} {text!r} is not a country we know")
    return list(dict.fromkeys(out))


def _address(a: Entity) -> str | None:
    full = a.first("full")
    if full:
        return full
    parts = [a.first(p) for p in ("street", "city", "region", "postalCode")] + [a.first("country")]
    return ", ".join(p for p in parts if p) or None


def _node(ctx: Context, e: Entity, addresses: dict[str, Entity]) -> None:
    names = e.values("name")
    caption = clean_name(str(e.raw.get("caption") or ""))
    name = caption if caption and (caption in names or not names) else (names[0] if names else "")
    if not name:
        ctx.skip(f"{e.schema} {e.id} has no name")
        return
    label = LABELS[e.schema]
    aliases = [n for n in dict.fromkeys([*names, *e.values("alias"), *e.values("previousName")]) if n != name]
    addr = [*e.values("address")]
    for ref in e.values("addressEntity"):
        if ref in addresses and (text := _address(addresses[ref])):
            addr.append(text)
        elif ref not in addresses:
            ctx.report.warnings.append(f"{e.file}:{e.line}: address {ref} is not in the files; left out")
    leis = e.values("leiCode")
    props: dict[str, Any] = {
        "aliases": aliases or None,
        "weak_aliases": e.values("weakAlias") or None,
        "xrefs": [f"opensanctions:{e.id}", *(f"lei:{x}" for x in leis)],
        "addresses": list(dict.fromkeys(addr)) or None,
        "remarks": "; ".join(e.values("notes")) or None,
    }
    if label == "Person":
        nationality = _countries(ctx, e, "nationality", "citizenship")
        countries = _countries(ctx, e, "country")
        props.update(
            nationality=nationality or None,
            countries=sorted({*nationality, *countries}) or None,
            birth_dates=e.values("birthDate") or None,
            title="; ".join(e.values("position")) or None,
        )
    else:
        main = _countries(ctx, e, "mainCountry", "jurisdiction")
        countries = _countries(ctx, e, "country")
        founded = _full_date(e.first("incorporationDate"))
        props.update(
            country=(main or countries or [None])[0] if main or len(countries) == 1 else None,
            countries=sorted({*main, *countries}) or None,
            lei=leis[0] if leis else None,
            website=e.first("website"),
            founded=founded,
        )
    ctx.node(label, f"os-{e.id}", name, **props)


def _ends(ctx: Context, e: Entity, emitted: dict[str, str], start_prop: str, end_prop: str) -> tuple[str, str] | None:
    start, end = e.first(start_prop), e.first(end_prop)
    missing = [f"{p} {v or '(none)'}" for p, v in ((start_prop, start), (end_prop, end)) if not v or v not in emitted]
    if missing:
        ctx.skip(f"{e.schema} {e.id}: {' and '.join(missing)} not loaded as a person or organisation")
        return None
    return start, end  # type: ignore[return-value]


def _link(ctx: Context, e: Entity, emitted: dict[str, str]) -> None:
    rel, start_prop, end_prop = LINKS[e.schema]
    ends = _ends(ctx, e, emitted, start_prop, end_prop)
    if ends is None:
        return
    start, end = ends
    props: dict[str, Any] = {
        "id": f"os-{e.id}",
        "valid_from": _full_date(e.first("startDate")),
        "valid_to": _full_date(e.first("endDate")),
        "note": _dates_note(e),
    }
    role = "; ".join([*e.values("role"), *e.values("relationship")]) or None
    if rel == "OWNS":
        if emitted[end] != "Company":
            ctx.skip(f"Ownership {e.id}: the asset {end} is a {emitted[end]}, not a company")
            return
        text = e.first("percentage")
        share = share_props(text)
        if share is None:
            ctx.skip(f"Ownership {e.id}: percentage {text!r} is not a share we can read")
            return
        props.update(share)
        if role:
            props["note"] = "; ".join(x for x in (props["note"], f"role: {role}") if x)
    elif rel == "DIRECTOR_OF":
        if emitted[end] != "Company":
            ctx.skip(f"Directorship {e.id}: the organization {end} is a {emitted[end]}")
            return
        props["role"] = role
    else:
        props["role"] = role or (e.schema if e.schema != "UnknownLink" else None)
    ctx.edge(rel, f"os-{start}", f"os-{end}", **props)


def _sanction(ctx: Context, e: Entity, emitted: dict[str, str], lists: dict[str, str | None]) -> str | None:
    target = e.first("entity")
    if not target or target not in emitted:
        ctx.skip(f"Sanction {e.id}: entity {target or '(none)'} not loaded as a person or organisation")
        return None
    dataset = e.dataset or next(iter(e.raw.get("datasets") or []), None)
    if not dataset:
        ctx.skip(f"Sanction {e.id} names no dataset, so no list")
        return None
    authority = e.first("authority")
    if lists.get(dataset) is None:
        lists[dataset] = authority
    start = e.first("startDate") or e.first("listingDate")
    notes = [n for n in (_dates_note(e), "; ".join(e.values("reason")) or None) if n]
    ctx.edge(
        "LISTED_ON",
        f"os-{target}",
        f"opensanctions-{dataset}",
        id=f"os-{e.id}",
        valid_from=_full_date(start),
        valid_to=_full_date(e.first("endDate")),
        entry=e.first("authorityId") or e.first("unscId") or e.id,
        program="; ".join(e.values("program")) or e.first("programId"),
        status=e.first("status"),
        note="; ".join(notes) or None,
    )
    return target


def _full_date(text: str | None) -> str | None:
    """A full ISO date from an FtM date (which may be a year, a month, or carry a time); None otherwise."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat() if re.match(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _dates_note(e: Entity) -> str | None:
    """Partial dates (a year, a month) that a date property cannot hold, said in words."""
    said = [
        f"{prop} {v}"
        for prop in ("startDate", "endDate", "listingDate")
        for v in e.values(prop)[:1]
        if not _full_date(v)
    ]
    return "; ".join(said) or None


def _seen(e: Entity) -> str | None:
    first = str(e.raw.get("first_seen") or "")[:10]
    return f"first seen by OpenSanctions on {first}" if first else None
