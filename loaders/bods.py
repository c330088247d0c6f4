"""Beneficial Ownership Data Standard (BODS) v0.4 statements: who owns and controls whom.

Reads every ``openownership-bods/*.json`` (a JSON array of statements) and
``*.jsonl`` (one statement per line) found. A v0.4 statement has
``statementId``, ``statementDate``, ``recordId``, ``recordStatus`` (new,
updated, closed), ``recordType`` (entity, person, relationship) and
``recordDetails``; the latest statement of a record wins. The loader emits:

* ``Company`` per entity record (``registeredEntity``, ``stateBody``,
  ``legalEntity``, ``arrangement`` …), with its identifiers as xrefs
  (``gb-coh:03209885``, ``lei:…``), jurisdiction, alternate names and
  founding date; an entity of type ``state`` is the ``Country`` of its
  jurisdiction; ``Person`` per person record, with names, nationalities,
  birth date and addresses; id ``bods-<hash of publisher and recordId>``;
* per relationship interest: a ``shareholding`` becomes ``OWNS`` interested
  party → subject with the share: ``share.exact`` as ``share`` (and a range of
  width zero), ``minimum``/``maximum`` and ``exclusiveMinimum``/
  ``exclusiveMaximum`` as ``share_min``/``share_max`` with the exclusive
  flags, nothing as null (unknown); ``directOrIndirect`` as ``direct``;
  ``startDate``/``endDate`` as validity; a control interest
  (``votingRights``, ``appointmentOfBoard``, ``otherInfluenceOrControl``,
  ``seniorManagingOfficial``, ``settlor``, ``trustee`` …) becomes ``CONTROLS``
  with its ``kind`` (and the voting share where given); ``unknownInterest`` and
  ``unpublishedInterest`` become ``LINKED_TO``.

Strict: a file that is not JSON, a statement without the v0.4 fields (the
v0.2/0.3 ``statementType`` layout included), or an unknown ``recordType``
stops the load with file, statement and the layout expected. A relationship
whose parties are not in the files, an interest type the standard does not
define, or a share outside 0 to 100 is a reported skip.

>>> share({"minimum": 75, "exclusiveMaximum": 100})
{'share_min': 75.0, 'share_max': 100.0, 'share_max_exclusive': True}
>>> share({"exact": 76.5}), share({})
({'share': 76.5, 'share_min': 76.5, 'share_max': 76.5}, {})
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from graph.model import make_id
from loaders.base import Context, SourceInfo
from loaders.common import clean_name, country_code

FOLDER = "openownership-bods"
SOURCE = SourceInfo(
    id="src-openownership-bods",
    publisher="Open Ownership",
    title="Beneficial Ownership Data Standard (BODS) v0.4 statements",
    url="https://standard.openownership.org/en/0.4.0/",
    license="BODS schema and examples: Apache-2.0 (Open Ownership); a publisher's data carries its own licence",
    kind="dataset",
    files=(
        f"{FOLDER}/bods-package.json",
        f"{FOLDER}/bods-package-entity-owning-entity.json",
        f"{FOLDER}/bods-package-fi-soe.json",
    ),
)
NEEDS = ("statementId", "recordId", "recordType", "recordDetails")
OWNERSHIP = {"shareholding"}
CONTROL = {
    "votingRights", "appointmentOfBoard", "otherInfluenceOrControl", "seniorManagingOfficial", "settlor", "trustee",
    "protector", "beneficiaryOfLegalArrangement", "rightsToSurplusAssetsOnDissolution", "rightsToProfitOrIncome",
    "rightsGrantedByContract", "conditionalRightsGrantedByContract", "controlViaCompanyRulesOrArticles",
    "controlByLegalFramework", "boardMember", "boardChair", "enjoymentAndUseOfAssets",
    "rightToProfitOrIncomeFromAssets", "nominee", "nominator",
}  # fmt: skip
TIES = {"unknownInterest", "unpublishedInterest"}


def share(s: dict[str, Any]) -> dict[str, Any] | None:
    """The share properties of a BODS ``share`` object (v0.4: exclusive bounds are numbers), or None if out of range."""
    out: dict[str, Any] = {}
    if isinstance(s.get("exact"), (int, float)):
        v = float(s["exact"])
        out = {"share": v, "share_min": v, "share_max": v}
    else:
        lo = next((s[k] for k in ("minimum", "exclusiveMinimum") if isinstance(s.get(k), (int, float))), None)
        hi = next((s[k] for k in ("maximum", "exclusiveMaximum") if isinstance(s.get(k), (int, float))), None)
        if lo is not None or hi is not None:
            out = {"share_min": float(lo if lo is not None else 0), "share_max": float(hi if hi is not None else 100)}
            if lo is not None and "minimum" not in s:
                out["share_min_exclusive"] = True
            if hi is not None and "maximum" not in s:
                out["share_max_exclusive"] = True
    values = [v for k, v in out.items() if k in ("share", "share_min", "share_max")]
    if any(not 0 <= v <= 100 for v in values) or (out and out["share_min"] > out["share_max"]):
        return None
    return out


def _files(ctx: Context) -> list[Path]:
    found = ctx.glob(FOLDER, ("*.json", "*.jsonl"))
    if not found:
        raise SourceMissing(
            f"{SOURCE.id}: no BODS v0.4 file (JSON or JSON Lines) in {', '.join(str(d / FOLDER) for d in ctx.raw_dirs)}; "
            f"download it from a publisher (see {SOURCE.url}) and put it under data/raw/{FOLDER}/"
        )
    return found


def load(ctx: Context) -> None:
    """Read every statement, keep each record's latest, and emit the parties and their interests."""
    records: dict[str, tuple[dict[str, Any], Path, int]] = {}
    for path in _files(ctx):
        for n, st in _statements(ctx, path):
            ctx.at(path, n)
            _check(ctx, st)
            publisher = ((st.get("publicationDetails") or {}).get("publisher") or {}).get("name") or ""
            key = make_id("bods", publisher, st["recordId"])
            prev = records.get(key)
            if prev is None or str(st.get("statementDate") or "") >= str(prev[0].get("statementDate") or ""):
                records[key] = (st, path, n)
    ids: dict[str, str] = {}  # our key -> node id
    labels: dict[str, str] = {}
    for key, (st, path, n) in records.items():
        ctx.at(path, n)
        if st["recordType"] in ("entity", "person"):
            node = _party(ctx, key, st)
            if node:
                ids[key], labels[key] = node
    for key, (st, path, n) in records.items():
        ctx.at(path, n)
        if st["recordType"] == "relationship":
            _relationship(ctx, key, st, ids, labels)


def _statements(ctx: Context, path: Path) -> list[tuple[int, Any]]:
    """(position, statement): the index in a JSON array, or the line of a JSON Lines file."""
    ctx.at(path, 1)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            out = []
            for n, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    ctx.at(path, n)
                    out.append((n, json.loads(line)))
            ctx.count(path.name, len(out))
            return out
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ctx.fail(f"not UTF-8 JSON ({exc}); expected a BODS v0.4 array of statements") from exc
    if not isinstance(doc, list):
        raise ctx.fail(f"a JSON {type(doc).__name__}, expected a BODS array of statements")
    ctx.count(path.name, len(doc))
    return list(enumerate(doc, start=1))


def _check(ctx: Context, st: Any) -> None:
    if isinstance(st, dict) and "statementType" in st and "recordType" not in st:
        raise ctx.fail(
            f"statementType {st['statementType']!r} is the BODS 0.2/0.3 layout; expected v0.4 "
            "(recordId, recordType, recordDetails)"
        )
    missing = [k for k in NEEDS if not isinstance(st, dict) or k not in st]
    if missing:
        raise ctx.fail(f"statement lacks {', '.join(missing)}; expected the BODS v0.4 fields {', '.join(NEEDS)}")
    if st["recordType"] not in ("entity", "person", "relationship"):
        raise ctx.fail(f"recordType {st['recordType']!r}; expected entity, person or relationship")
    if not isinstance(st["recordDetails"], dict):
        raise ctx.fail("recordDetails is not an object")


def _party(ctx: Context, key: str, st: dict[str, Any]) -> tuple[str, str] | None:
    d = st["recordDetails"]
    closed = st.get("recordStatus") == "closed"
    if st["recordType"] == "entity":
        kind = (d.get("entityType") or {}).get("type")
        jurisdiction = d.get("jurisdiction") or {}
        iso3 = country_code(jurisdiction.get("code") or jurisdiction.get("name"))
        name = clean_name(d.get("name") or "")
        if kind == "state":
            if not iso3:
                ctx.skip(f"state {name!r} has no jurisdiction we know")
                return None
            # The state is the country itself; its name becomes an alias of our Country node in the merge.
            ctx.node(
                "Country", iso3, name or iso3, aliases=[clean_name(a) for a in d.get("alternateNames") or []] or None
            )
            return iso3, "Country"
        if not name:
            ctx.skip(f"entity record {st['recordId']} has no name")
            return None
        xrefs, lei = [], None
        for ident in d.get("identifiers") or []:
            scheme, value = str(ident.get("scheme") or "").strip(), str(ident.get("id") or "").strip()
            if scheme and value:
                xrefs.append(f"{'lei' if scheme == 'XI-LEI' else scheme.lower()}:{value}")
                lei = value if scheme == "XI-LEI" else lei
        ctx.node(
            "Company",
            key,
            name,
            aliases=[clean_name(a) for a in d.get("alternateNames") or []] or None,
            xrefs=xrefs or None,
            lei=lei,
            country=iso3,
            countries=[iso3] if iso3 else None,
            jurisdiction=jurisdiction.get("code"),
            founded=_day(d.get("foundingDate")),
            entity_category=kind,
            addresses=_addresses(d) or None,
            note="The record is closed." if closed else None,
        )
        return key, "Company"
    names = [n for n in d.get("names") or [] if isinstance(n, dict) and n.get("fullName")]
    legal = next((n for n in names if n.get("type") == "legal"), names[0] if names else None)
    if legal is None:
        ctx.skip(f"person record {st['recordId']} has no name")
        return None
    name = clean_name(legal["fullName"])
    nationality = [c for c in (country_code(x.get("code") or x.get("name")) for x in d.get("nationalities") or []) if c]
    ctx.node(
        "Person",
        key,
        name,
        aliases=[clean_name(n["fullName"]) for n in names if clean_name(n["fullName"]) != name] or None,
        nationality=nationality or None,
        countries=sorted(set(nationality)) or None,
        birth_dates=[d["birthDate"]] if d.get("birthDate") else None,
        addresses=_addresses(d) or None,
        note="The record is closed." if closed else None,
    )
    return key, "Person"


def _addresses(d: dict[str, Any]) -> list[str]:
    out = []
    for a in d.get("addresses") or []:
        parts = [a.get("address"), a.get("postCode"), (a.get("country") or {}).get("name")]
        if any(parts):
            out.append(", ".join(clean_name(str(p)) for p in parts if p))
    return out


def _day(text: Any) -> str | None:
    return text if isinstance(text, str) and len(text) == 10 and text[4] == "-" and text[7] == "-" else None


def _relationship(ctx: Context, key: str, st: dict[str, Any], ids: dict[str, str], labels: dict[str, str]) -> None:
    d = st["recordDetails"]
    publisher = ((st.get("publicationDetails") or {}).get("publisher") or {}).get("name") or ""
    ends = []
    for role in ("interestedParty", "subject"):
        ref = d.get(role)
        ref = (
            ref.get("describedByEntityStatement") or ref.get("describedByPersonStatement")
            if isinstance(ref, dict)
            else ref
        )
        party = make_id("bods", publisher, ref) if isinstance(ref, str) else None
        if party not in ids:
            ctx.skip(f"relationship {st['recordId']}: {role} {ref!r} is not an entity or person in the files")
            return
        ends.append(party)
    owner, subject = ids[ends[0]], ids[ends[1]]
    if labels[ends[1]] != "Company":
        ctx.skip(f"relationship {st['recordId']}: the subject is a {labels[ends[1]]}, not a company")
        return
    for k, interest in enumerate(d.get("interests") or []):
        kind = interest.get("type")
        direct = {"direct": True, "indirect": False}.get(interest.get("directOrIndirect"))
        props: dict[str, Any] = {
            "id": f"{key}-{k}",
            "valid_from": _day(interest.get("startDate")),
            "valid_to": _day(interest.get("endDate")),
        }
        notes = []
        if interest.get("beneficialOwnershipOrControl") is True:
            notes.append("beneficial ownership or control")
        if d.get("componentRecords"):
            notes.append(f"summarises {len(d['componentRecords'])} component records")
        if st.get("recordStatus") == "closed" and not props["valid_to"]:
            notes.append(f"record closed by the statement of {st.get('statementDate')}")
        props["note"] = "; ".join(notes) or None
        s = share(interest.get("share") or {})
        if s is None:
            ctx.skip(f"relationship {st['recordId']}: share {interest.get('share')} is outside 0 to 100")
            continue
        if kind in OWNERSHIP:
            ctx.edge("OWNS", owner, subject, direct=direct, **s, **props)
        elif kind in CONTROL:
            ctx.edge(
                "CONTROLS", owner, subject, kind=kind, direct=direct, details=interest.get("details"), **s, **props
            )
        elif kind in TIES:
            if labels[ends[0]] == "Country":
                ctx.skip(f"relationship {st['recordId']}: an {kind} of a state cannot be drawn as a link")
                continue
            ctx.edge("LINKED_TO", owner, subject, role=kind, **props)
        else:
            ctx.skip(f"relationship {st['recordId']}: interest type {kind!r} is not one BODS v0.4 defines")
