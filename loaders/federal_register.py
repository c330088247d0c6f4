"""Federal Register rule XML (GPO FR DTD) that adds entities to the Entity List.

This is how an analyst brings in a rule published after the last list
snapshot: drop its XML (federalregister.gov "Full text XML", or the GPO issue)
into ``data/raw/federal-register/``. Every ``*.xml`` there and in
``us-csl-bis-entity-list/federal-register/`` is read.

For each ``RULE`` whose ``REGTEXT`` amends Supplement No. 4 to part 744, the
loader reads the ``GPOTABLE`` rows: the country (``ENT I="01"``), then each
entry (name, "a.k.a., the following N aliases:" with "—alias" items, the
addresses), its licence requirement (footnote marks as ``<SU>``), licence
review policy and citation. It emits:

* an ``ExportControl`` for the rule (kind ``list_designation``, citation
  "88 FR 12170", published, effective, url) with ``AMENDS`` the Entity List;
* a ``Company`` per entity, ``LISTED_ON`` ``us-bis-entity-list`` from the
  rule's effective date (the DATES section), and ``TARGETS`` from the rule.

The rule's own page is the page before its first ``PRTPAGE`` mark, and its
volume is the publication year less 1935; the publication date is read from
the citation column ("88 FR [INSERT FR PAGE NUMBER AND 2/27/2023]").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from loaders.base import Context, SourceInfo
from loaders.common import clean_name, country_code, ear_footnotes, fr_citations, us_date
from loaders.us_lists import _norm

FOLDERS = ("us-csl-bis-entity-list/federal-register", "federal-register")
ENTITY_LIST = "us-bis-entity-list"
SOURCE = SourceInfo(
    id="src-federal-register-el-rules",
    publisher="Office of the Federal Register (NARA) and US Government Publishing Office",
    title="Federal Register rules amending the Entity List (15 CFR part 744, Supplement No. 4), full-text XML",
    url="https://www.federalregister.gov/api/v1/documents.json?conditions[agencies][]=industry-and-security-bureau",
    license="US public domain (17 USC 105)",
    kind="federal_register",
    files=("us-csl-bis-entity-list/federal-register/2023-03929.xml",),
)
_MONTH_DATE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}"
)


def _files(ctx: Context) -> list[Path]:
    names: set[str] = set()
    for folder in ctx.raw_dirs:
        for sub in FOLDERS:
            names.update(f"{sub}/{p.name}" for p in sorted((folder / sub).glob("*.xml")))
    if not names:
        ctx.find(SOURCE.files[0])  # raises, saying where it looked and where to get it
    return [ctx.find(n) for n in sorted(names)]


def _text(el: ET.Element | None) -> str:
    return clean_name(" ".join(el.itertext())) if el is not None else ""


def load(ctx: Context) -> None:
    """Read every rule XML file."""
    for path in _files(ctx):
        ctx.at(path, 1)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise ctx.fail(f"{path.name}: not well-formed XML ({exc})") from exc
        rules = [root] if root.tag == "RULE" else list(root.iter("RULE"))
        if not rules:
            raise ctx.fail(f"{path.name}: no RULE element; expected a Federal Register rule in the GPO FR DTD")
        entries = 0
        for rule in rules:
            entries += _rule(ctx, path, rule)
        ctx.count(path.name, entries)


def _rule(ctx: Context, path: Path, rule: ET.Element) -> int:
    preamb = rule.find("PREAMB")
    if preamb is None:
        raise ctx.fail(f"{path.name}: RULE has no PREAMB; expected RULE/PREAMB/SUPLINF")
    subject = _text(preamb.find("SUBJECT")) or "Federal Register rule"
    doc_m = re.search(r"FR Doc\.\s*([\d-]+)", _text(rule.find("FRDOC")))
    doc = doc_m[1] if doc_m else None
    dates = _text(preamb.find("EFFDATE")) or _text(preamb.find("DATES"))
    eff = re.search(r"effective\s+(?:on\s+)?(" + _MONTH_DATE + ")", dates, re.IGNORECASE) or re.search(
        _MONTH_DATE, dates
    )
    effective = us_date(eff[1] if eff and eff.groups() else eff[0] if eff else None)
    if not effective:
        ctx.report.warnings.append(f"{path.name}: no effective date in the DATES section ({dates[:80]!r})")

    tables = []
    for rt in rule.iter("REGTEXT"):
        amends = " ".join(_text(a) for a in rt.findall("AMDPAR"))
        if re.search(r"Supplement No\. 4 to part 744", amends, re.IGNORECASE):
            tables += rt.findall(".//GPOTABLE")
    if not tables:
        ctx.report.warnings.append(
            f"{path.name}: {doc or subject} does not amend Supplement No. 4 to part 744; no entities read"
        )
        return 0

    entries = _entries(ctx, path, tables)
    published = next((e["published"] for e in entries if e["published"]), None)
    first_page = next((int(p.get("P", "0")) for p in rule.iter("PRTPAGE")), 0)
    citation = f"{int(published[:4]) - 1935} FR {first_page - 1}" if published and first_page > 1 else None
    if not citation:
        ctx.report.warnings.append(f"{path.name}: the rule's own citation cannot be read (no publication date or page)")
    control_id = f"ec-fr-{doc}" if doc else ctx.make_id("rule", path.name, subject)
    url = f"https://www.federalregister.gov/d/{doc}" if doc else SOURCE.url
    src = f"src-fr-{doc}" if doc else ctx.make_id("source", path.name)
    ctx.node(
        "Source",
        src,
        f"{subject} ({citation or doc})",
        publisher="Office of the Federal Register",
        title=f"{subject} ({citation or doc})",
        url=url,
        date=published,
        kind="federal_register",
        license="US public domain (17 USC 105)",
        sources=[src],
    )
    ctx.node(
        "ExportControl",
        control_id,
        f"Entity List: {subject} ({citation or doc})",
        kind="list_designation",
        authority="US Department of Commerce, Bureau of Industry and Security",
        jurisdiction="USA",
        citation=citation,
        published=published,
        effective=effective,
        url=url,
        sources=[src],
    )
    ctx.edge("AMENDS", control_id, ENTITY_LIST, valid_from=effective, sources=[src])

    by_entity: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_entity.setdefault(_norm(e["name"]), []).append(e)
    for group in by_entity.values():
        first = group[0]
        ctx.at(path, first["line"])
        node_id = ctx.make_id(_norm(first["name"]))
        countries = list(dict.fromkeys(e["country"] for e in group if e["country"]))
        ctx.node(
            "Company",
            node_id,
            first["name"],
            aliases=list(dict.fromkeys(a for e in group for a in e["aliases"] if a != first["name"])),
            addresses=list(dict.fromkeys(a for e in group for a in e["addresses"])) or None,
            country=countries[0] if countries else None,
            countries=countries or None,
            sources=[src],
        )
        listing: dict[str, Any] = {
            "entry": "; ".join(f"{e['country_text']}: {e['name']}" for e in group),
            "citation": citation or first["citation_text"],
            "license_requirement": first["requirement"] or None,
            "license_policy": first["policy"] or None,
            "footnote": ", ".join(first["footnotes"]) or None,
            "valid_from": effective,
        }
        if not effective:
            listing["note"] = "date not in source"
        ctx.edge(
            "LISTED_ON",
            node_id,
            ENTITY_LIST,
            id=ctx.make_id("LISTED_ON", node_id, control_id),
            sources=[src],
            **listing,
        )
        ctx.edge("TARGETS", control_id, node_id, valid_from=effective, sources=[src])
    return len(entries)


def _entries(ctx: Context, path: Path, tables: list[ET.Element]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    country_text, country = "", None
    for table in tables:
        for row in table.iter("ROW"):
            ents = row.findall("ENT")
            if ents and ents[0].get("I") == "01" and _text(ents[0]):
                country_text = _text(ents[0])
                country = country_code(country_text)
                if not country:
                    ctx.report.warnings.append(f"{path.name}: country {country_text!r} unknown; left blank")
            cells = ents[1:] if ents and ents[0].get("I") in ("01", "22") else ents
            if not cells or cells[0].get("A") == "03" or cells[0].get("I") in ("25", "28"):
                continue
            name_cell = cells[0]
            if _text(name_cell) in ("", "Entity"):
                continue
            if len(cells) == 1:  # an address continuing the entry above
                if entries:
                    entries[-1]["addresses"].append(_text(name_cell).rstrip("."))
                continue
            if len(cells) < 4:
                ctx.skip(
                    f"{path.name}: entry row with {len(cells)} cells; expected entity, licence requirement, policy, citation"
                )
                continue
            name, aliases, addresses = _entity_cell(name_cell)
            requirement = _text(cells[1])
            cite_text = _text(cells[3])
            placeholder = re.search(r"\[INSERT FR PAGE NUMBER AND ([\d/]+)\]", cite_text)
            cites = fr_citations(cite_text)
            published = us_date(placeholder[1]) if placeholder else (cites[0][1] if cites else None)
            entries.append({
                "name": name, "aliases": aliases, "addresses": addresses, "country": country,
                "country_text": country_text, "requirement": requirement,
                "footnotes": ear_footnotes(requirement.replace(", 3 ", ",3 ")), "policy": _text(cells[2]),
                "citation_text": "; ".join(c for c, _ in cites) or cite_text, "published": published, "line": 1,
            })  # fmt: skip
    return entries


def _entity_cell(cell: ET.Element) -> tuple[str, list[str], list[str]]:
    """Name, aliases and addresses of an entity cell: "Name, a.k.a., the following two aliases: —A; and —B. Address"."""
    head = clean_name(cell.text or "")
    items = [_text(li) for li in cell.findall("LI")]
    for child in cell:
        if child.tag != "LI" and not items:
            head = clean_name(f"{head} {_text(child)} {child.tail or ''}")
    aliases, addresses = [], []
    m = re.match(r"^(?P<name>.+?),?\s+a\.k\.a\.,?\s+(?:the following \w+ alias(?:es)?:)?\s*(?P<rest>.*)$", head)
    name = m["name"] if m else head
    for item in ([m["rest"]] if m and m["rest"] else []) + items:
        for part in re.split(r";\s*(?:and\s+)?(?=—)", item):
            part = part.strip()
            if part.startswith("—"):
                alias, addr = part[1:], ""
                if m2 := re.match(
                    r"^(?P<alias>.+?)\.\s+(?P<addr>(?:\d|[A-Z][\w-]*\s+\d|Rm |Room |Unit |Apartment |Floor |D\. ).*)$",
                    alias,
                ):
                    alias, addr = m2["alias"], m2["addr"]
                aliases.append(re.sub(r"(?:;|\s+and)+\s*$", "", alias.strip()).strip(" ;").removesuffix("."))
                if addr.strip():
                    addresses.append(addr.strip().rstrip("."))
            elif part:
                addresses.append(part.rstrip("."))
    if not m and not items:
        split = re.match(
            r"^(?P<name>.+?),\s+(?P<addr>(?:\d|No\.|Room|Building|Bldg|Floor|\w+ (?:Street|Road)).*)$", head
        )
        if split:
            name, addresses = split["name"], [split["addr"].rstrip(".")]
    return clean_name(name).rstrip(","), [a for a in aliases if a], addresses
