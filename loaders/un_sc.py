"""The UN Security Council Consolidated List, in its published XML (``sc-sanctions.xsd``).

One file, ``un-sc-consolidated/consolidated.xml``: ``CONSOLIDATED_LIST`` holds
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY`` records, each with its
``DATAID``, ``REFERENCE_NUMBER`` (``QDi.001``, ``KPe.019``), ``UN_LIST_TYPE``
(the sanctions regime: Al-Qaida, DPRK, Taliban …), ``LISTED_ON`` date, names,
aliases with their ``QUALITY``, addresses, and for individuals nationality,
dates and places of birth. The loader emits:

* a ``SanctionList`` with the fixed id ``un-sc-consolidated``;
* a ``Person`` per individual and a ``Company`` per entity (the schema's label
  for every organisation), id ``un-<REFERENCE_NUMBER>`` (``un-<DATAID>`` when
  the reference is blank), xref ``un:<REFERENCE_NUMBER>``;
* aliases by quality: an individual's "Good" aliases are ``aliases``, its
  "Low" ones ``weak_aliases`` (the UN's own advice: low-quality aliases alone
  may not identify a person); an entity's "a.k.a." and "f.k.a." (former names)
  are ``aliases``; names in their original script are aliases too;
* ``LISTED_ON`` with the listing date as ``valid_from``, the regime as
  ``program`` and the reference number as ``entry``.

Strict about layout: another root element, a record without its DATAID,
name, list type or listing date elements, or an alias quality the loader
does not know stops the load with file, line and what was expected. A record
whose name is blank is a reported skip; elements the loader does not read are
warned about once each.

>>> birth_date({"TYPE_OF_DATE": "BETWEEN", "FROM_YEAR": "1973", "TO_YEAR": "1974"})
'1973 to 1974'
>>> _date("2015-04-07-04:00"), _date("2014-06-30"), _date("30/06/2014")
('2015-04-07', '2014-06-30', None)
>>> birth_date({"TYPE_OF_DATE": "APPROXIMATELY", "YEAR": "1966"}), birth_date({"TYPE_OF_DATE": "EXACT", "NOTE": "Nov. 1973 "})
('circa 1966', 'Nov. 1973')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from loaders.base import Context, SourceInfo, iso_date
from loaders.common import clean_name, country_code

FILE = "un-sc-consolidated/consolidated.xml"
LIST_ID = "un-sc-consolidated"
OFFICIAL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
SOURCE = SourceInfo(
    id="src-un-sc-consolidated",
    publisher="United Nations Security Council",
    title="United Nations Security Council Consolidated List (XML)",
    url=OFFICIAL,
    license="UN Security Council data, published for public use; cite the United Nations Security Council",
    kind="dataset",
    files=(FILE,),
    expected_rows={"consolidated.xml": (700, 5000)},
    downloads={FILE: OFFICIAL},
)

# Elements each record must have, and those the loader reads (anything else is warned about).
REQUIRED = ("DATAID", "FIRST_NAME", "UN_LIST_TYPE", "REFERENCE_NUMBER", "LISTED_ON")
READ = {
    *REQUIRED,
    "VERSIONNUM", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME", "NAME_ORIGINAL_SCRIPT", "COMMENTS1", "TITLE",
    "DESIGNATION", "NATIONALITY", "LIST_TYPE", "LAST_DAY_UPDATED", "GENDER", "SORT_KEY", "SORT_KEY_LAST_MOD",
    "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS", "INDIVIDUAL_DATE_OF_BIRTH", "INDIVIDUAL_PLACE_OF_BIRTH",
    "INDIVIDUAL_DOCUMENT", "ENTITY_ALIAS", "ENTITY_ADDRESS", "SUBMITTED_BY",
}  # fmt: skip
# Alias qualities as the list writes them -> strong (aliases) or weak (weak_aliases).
QUALITY = {"good": "strong", "a.k.a.": "strong", "f.k.a.": "strong", "low": "weak", "": "strong"}
ADDRESS_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
RECORD_START = re.compile(r"<(INDIVIDUAL|ENTITY)[\s>/]")


def load(ctx: Context) -> None:
    """Emit the list, its individuals and entities, and their listings."""
    path = ctx.find(FILE)
    ctx.at(path, 1)
    root, lines = _parse(ctx, path)
    if root.tag != "CONSOLIDATED_LIST":
        raise ctx.fail(f"root element is <{root.tag}>, expected <CONSOLIDATED_LIST> (UN sc-sanctions.xsd)")
    sections = {child.tag: child for child in root}
    missing = [s for s in ("INDIVIDUALS", "ENTITIES") if s not in sections]
    if missing:
        raise ctx.fail(f"<CONSOLIDATED_LIST> lacks <{'>, <'.join(missing)}>; expected <INDIVIDUALS> and <ENTITIES>")
    generated = (root.get("dateGenerated") or "")[:10] or None
    if generated:
        ctx.used(path, FILE, snapshot=generated)

    ctx.node(
        "SanctionList",
        LIST_ID,
        "United Nations Security Council Consolidated List",
        authority="United Nations Security Council",
        jurisdiction="UN",
        url="https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
        aliases=["UN Consolidated List", "UNSC Consolidated List"],
    )
    labels = {"INDIVIDUALS": "Person", "ENTITIES": "Company"}
    for other in sorted(set(sections) - set(labels)):
        ctx.report.warnings.append(f"{path.name}: section <{other}> not read")
    # Document order, so that each record meets the line of its start tag.
    records = [(r, labels[section.tag]) for section in root if section.tag in labels for r in section]
    unread: dict[str, int] = {}
    line_of = iter(lines)
    for record, label in records:
        line = next(line_of, 0)
        ctx.at(path, line)
        want = "INDIVIDUAL" if label == "Person" else "ENTITY"
        if record.tag != want:
            raise ctx.fail(f"<{record.tag}> inside <{want}S>, expected <{want}>")
        _record(ctx, record, label, unread)
    ctx.at(path, 0)
    for tag, n in sorted(unread.items()):
        ctx.report.warnings.append(f"{path.name}: element <{tag}> not read ({n} records carry it)")
    ctx.count("consolidated.xml", len(records))


def _parse(ctx: Context, path: Path) -> tuple[ET.Element, list[int]]:
    """The document and the line of each record's start tag, in document order."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ctx.fail(f"not UTF-8 text ({exc}); the UN publishes the list as UTF-8 XML") from exc
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        ctx.at(path, exc.position[0])
        raise ctx.fail(f"not well-formed XML ({exc}); expected the UN sc-sanctions.xsd layout") from exc
    lines, last, line = [], 0, 1
    for m in RECORD_START.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        lines.append(line)
    return root, lines


def _text(el: ET.Element | None) -> str:
    return clean_name(el.text or "") if el is not None and el.text else ""


def _values(record: ET.Element, tag: str) -> list[str]:
    return [v for v in (_text(x) for x in record.findall(f"{tag}/VALUE")) if v]


def _record(ctx: Context, record: ET.Element, label: str, unread: dict[str, int]) -> None:
    where = f"{ctx._origin[0]}:{ctx._origin[1]}"
    tags = {child.tag for child in record}
    missing = [t for t in REQUIRED if t not in tags]
    if missing:
        raise ctx.fail(f"<{record.tag}> lacks <{'>, <'.join(missing)}>; expected {', '.join(REQUIRED)}")
    for tag in tags - READ:
        unread[tag] = unread.get(tag, 0) + 1
    dataid = _text(record.find("DATAID"))
    ref = _text(record.find("REFERENCE_NUMBER"))
    parts = [_text(record.find(t)) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    if not name:
        ctx.skip(f"DATAID {dataid} ({ref or 'no reference'}) has no name")
        return
    if not ref and not dataid:
        ctx.skip(f"{name!r} has neither REFERENCE_NUMBER nor DATAID")
        return
    node_id = f"un-{ref or dataid}"
    aliases, weak = _aliases(ctx, record, "INDIVIDUAL_ALIAS" if label == "Person" else "ENTITY_ALIAS")
    original = _text(record.find("NAME_ORIGINAL_SCRIPT"))
    if original:
        aliases.insert(0, original)
    addresses, countries = _addresses(ctx, record, "INDIVIDUAL_ADDRESS" if label == "Person" else "ENTITY_ADDRESS")
    updated = _values(record, "LAST_DAY_UPDATED")
    props: dict[str, Any] = {
        "aliases": [a for a in dict.fromkeys(aliases) if a != name] or None,
        "weak_aliases": [a for a in dict.fromkeys(weak) if a != name] or None,
        "xrefs": [f"un:{ref}"] if ref else [f"un-dataid:{dataid}"],
        "addresses": addresses or None,
        "remarks": clean_name(record.findtext("COMMENTS1") or "") or None,
    }
    if label == "Person":
        nationality = []
        for text in _values(record, "NATIONALITY"):
            code = country_code(text)
            if code:
                nationality.append(code)
            else:
                ctx.report.warnings.append(f"{where}: nationality {text!r} is not a country we know; left out")
        births = [b for b in (birth_date(_fields(d)) for d in record.findall("INDIVIDUAL_DATE_OF_BIRTH")) if b]
        title = "; ".join([*_values(record, "TITLE"), *_values(record, "DESIGNATION")])
        props.update(
            nationality=list(dict.fromkeys(nationality)) or None,
            birth_dates=births or None,
            title=title or None,
            countries=sorted({*countries, *nationality}) or None,
        )
    else:
        props.update(
            countries=sorted(set(countries)) or None, country=countries[0] if len(set(countries)) == 1 else None
        )
    ctx.node(label, node_id, name, **props)

    listed_text = _text(record.find("LISTED_ON"))
    listed = _date(listed_text)
    notes = []
    if listed_text and not listed:
        ctx.report.warnings.append(f"{where}: LISTED_ON {listed_text!r} is not a date we can read; left blank")
    if updated:
        notes.append(f"amended {', '.join(updated)}")
    ctx.edge(
        "LISTED_ON",
        node_id,
        LIST_ID,
        id=f"un-sc-{ref or dataid}",
        valid_from=listed,
        entry=ref or dataid,
        program=_text(record.find("UN_LIST_TYPE")) or None,
        note="; ".join(notes) or None,
    )


def _fields(el: ET.Element) -> dict[str, str]:
    return {child.tag: _text(child) for child in el}


def _aliases(ctx: Context, record: ET.Element, tag: str) -> tuple[list[str], list[str]]:
    strong: list[str] = []
    weak: list[str] = []
    for alias in record.findall(tag):
        quality = _text(alias.find("QUALITY"))
        name = _text(alias.find("ALIAS_NAME"))
        if not name:
            continue  # the list's empty placeholder <ALIAS_NAME/> for a record without aliases
        kind = QUALITY.get(quality.lower())
        if kind is None:
            raise ctx.fail(f"alias quality {quality!r} is unknown; expected one of Good, Low, a.k.a., f.k.a.")
        (weak if kind == "weak" else strong).append(name)
    return strong, weak


def _addresses(ctx: Context, record: ET.Element, tag: str) -> tuple[list[str], list[str]]:
    """Addresses as one line each ("Street, City, Province, Zip, Country (note)"), and their ISO codes."""
    where = f"{ctx._origin[0]}:{ctx._origin[1]}"
    out: list[str] = []
    codes: list[str] = []
    for address in record.findall(tag):
        f = _fields(address)
        line = ", ".join(f[p] for p in ADDRESS_PARTS if f.get(p))
        if f.get("NOTE"):
            line = f"{line} ({f['NOTE']})" if line else f["NOTE"]
        if line:
            out.append(line)
        if f.get("COUNTRY"):
            code = country_code(f["COUNTRY"])
            if code:
                codes.append(code)
            else:
                ctx.report.warnings.append(f"{where}: address country {f['COUNTRY']!r} is not a country we know")
    return list(dict.fromkeys(out)), list(dict.fromkeys(codes))


def birth_date(f: dict[str, str]) -> str | None:
    """A date of birth as the list gives it: exact (a date or a year), approximate, or a range of years."""
    f = {k: clean_name(v or "") for k, v in f.items()}
    kind = (f.get("TYPE_OF_DATE") or "").upper()
    if f.get("FROM_YEAR") or f.get("TO_YEAR"):
        text = f"{f.get('FROM_YEAR') or '?'} to {f.get('TO_YEAR') or '?'}"
    else:
        text = f.get("DATE") or f.get("YEAR") or f.get("NOTE") or ""
    text = text.strip()
    if not text:
        return None
    if kind == "APPROXIMATELY":
        text = f"circa {text}"
    elif f.get("NOTE") and f.get("NOTE") != text:
        text = f"{text} ({f['NOTE']})"
    return text


def _date(text: str) -> str | None:
    """An xsd:date as ISO ``YYYY-MM-DD``; the list writes some with a time-zone offset ("2015-04-07-04:00")."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?", text)
    try:
        return iso_date(m.group(1)) if m else None
    except ValueError:
        return None
