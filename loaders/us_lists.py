"""Thirteen US restricted-party lists, as extracted to JSON on 2026-07-09 (phagehunter/nsfreg ``data/``).

Each list file carries ``list_id``, ``source_file``, ``extracted``, ``count``
and ``entities`` (name, aliases, country, address, status, effective_date,
federal_register, notes: any may be null). ``lists.json`` names each list's
agency, authority, official URL and snapshot. The loader emits:

* a ``SanctionList`` per list, with a fixed id (the core's ids are kept:
  ``us-bis-entity-list``, ``us-ofac-ns-cmic``, ``us-dod-1260h``,
  ``us-fcc-covered-list``), and a ``Source`` per list for the official
  publication, cited with the extraction (this loader's own source);
* a ``Company`` per entry, or a ``Person`` on the DPL and the State lists when
  the name reads as a person's ("Adams, Ryan"; no organisation word);
* ``LISTED_ON`` with the entry, status, Federal Register citations, dates,
  licence requirement, footnotes and programme; ``valid_to`` where a list gives
  an expiry;
* ``SUBSIDIARY_OF`` where an entry names its parent ("(a subsidiary of X)",
  "(Parent Organization: X)"), and from Huawei's listed affiliates to the
  curated ``huawei`` node (see :func:`_huawei_affiliate`).

What the parse got wrong (addresses inside aliases, "the following one alias:"
inside addresses, unknown countries) is mended where it is plain and reported
as a warning; an entry with no name is a reported skip.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from loaders.base import Context, SourceInfo
from loaders.common import clean_name, country_code, ear_footnotes, fr_citations, us_date

FOLDER = "us-restricted-lists-2026"
SOURCE = SourceInfo(
    id="src-us-restricted-lists-2026",
    publisher="phagehunter/nsfreg (independent extraction of the official US lists)",
    title="US restricted-party lists named in NSF's letter of 2026-07-08, extracted to JSON (data/, commit 02787e8)",
    url="https://github.com/phagehunter/nsfreg/tree/02787e87e65d9452d34e1413859cbea1b0a94b00/data",
    license="US public domain (17 USC 105) for the lists; the repository states no licence; cite the official lists",
    date="2026-07-09",
    kind="dataset",
    files=tuple(
        f"{FOLDER}/{f}"
        for f in (
            "lists.json",
            "bis_entity_list.json",
            "bis_meu.json",
            "bis_dpl.json",
            "dow_1260h.json",
            "dow_1286.json",
            "ofac_nscmic.json",
            "ofac_eo14032_annex.json",
            "fcc_covered.json",
            "dhs_uflpa.json",
            "cbp_wro.json",
            "state_debarred_statutory.json",
            "state_debarred_admin.json",
            "state_nonproliferation.json",
        )
    ),
    expected_rows={
        "bis_entity_list.json": (3000, 6000),
        "bis_meu.json": (50, 300),
        "bis_dpl.json": (400, 1500),
        "dow_1260h.json": (50, 300),
        "dow_1286.json": (80, 400),
        "ofac_nscmic.json": (50, 200),
        "ofac_eo14032_annex.json": (50, 100),
        "fcc_covered.json": (10, 60),
        "dhs_uflpa.json": (100, 600),
        "cbp_wro.json": (40, 300),
        "state_debarred_statutory.json": (500, 2000),
        "state_debarred_admin.json": (1, 100),
        "state_nonproliferation.json": (300, 1500),
    },
)

# The extraction's list id -> (our SanctionList id, its file).
LISTS: dict[str, tuple[str, str]] = {
    "bis-entity-list": ("us-bis-entity-list", "bis_entity_list.json"),
    "bis-meu": ("us-bis-meu", "bis_meu.json"),
    "bis-dpl": ("us-bis-dpl", "bis_dpl.json"),
    "dow-1260h": ("us-dod-1260h", "dow_1260h.json"),
    "dow-1286": ("us-dod-1286", "dow_1286.json"),
    "ofac-nscmic": ("us-ofac-ns-cmic", "ofac_nscmic.json"),
    "ofac-eo14032": ("us-ofac-eo14032-annex", "ofac_eo14032_annex.json"),
    "fcc-covered": ("us-fcc-covered-list", "fcc_covered.json"),
    "dhs-uflpa": ("us-dhs-uflpa", "dhs_uflpa.json"),
    "cbp-wro": ("us-cbp-wro", "cbp_wro.json"),
    "state-debarred-statutory": ("us-state-debarred-statutory", "state_debarred_statutory.json"),
    "state-debarred-admin": ("us-state-debarred-admin", "state_debarred_admin.json"),
    "state-nonproliferation": ("us-state-nonproliferation", "state_nonproliferation.json"),
}
ENTITY_FIELDS = ("name", "aliases", "country", "address", "status", "effective_date", "federal_register", "notes")
PERSON_LISTS = {"bis-dpl", "state-debarred-statutory", "state-debarred-admin", "state-nonproliferation"}
# Lists whose Federal Register date is a publication date, not an effective date.
FR_DATED = {"bis-entity-list", "bis-meu"}
# The Entity List rules that added Huawei's non-US affiliates: volume -> first and last page cited.
HUAWEI_AFFILIATE_RULES = {84: ((22961, 22968), (43493, 43500)), 85: ((51596, 51604),)}
HUAWEI = "huawei"  # the curated node

_ORG = re.compile(
    r"\b(ltd|limited|inc|corp|corporation|co|company|llc|l\.l\.c|gmbh|ag|s\.?a|s\.?r\.?l|b\.?v|n\.?v|plc|pte|pvt|"
    r"oy|ab|as|jsc|ojsc|ooo|oao|zao|pjsc|group|trading|trade|international|industries|industry|industrial|"
    r"enterprises?|technology|technologies|tech|systems|services|electronics|engineering|institute|university|"
    r"academy|bureau|ministry|government|organi[sz]ation|center|centre|factory|plant|works|aviation|"
    r"import|export|establishment|firm|agency|bank|holdings?|partners|associates|labs?|laboratory|"
    r"sanat|shipping|logistics|solutions|supply|commercial|manufacturing|network|networks|net|tekni[kc]|technik|"
    r"complex|committee|council|office|department|guard|corps|force|army|navy|sarl|sas|s\.?p\.?a|kg|kft|d\.?o\.?o|"
    r"a\.g|airlines?|airways|anstalt|associations?|pmc|wagner|mission|embassy|party|front|brigades?)\b",
    re.IGNORECASE,
)
_PARENT = re.compile(r"\((?:a )?(?:subsidiary of|parent organization:)\s*(?P<parent>.+)\)\s*$", re.IGNORECASE)


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())


def entity_id(ctx: Context, list_id: str, name: str, country: str | None) -> str:
    """Deterministic: the list, the normalised name and the country."""
    return ctx.make_id(list_id, _norm(name), country or "")


def is_person(name: str) -> bool:
    """True when a list name reads as a person's: "LAST, First" or two to four bare words, no organisation word.

    >>> [is_person(n) for n in ("Adams, Ryan", "MEHDI BAHRAMI", "A & C International Trade, Inc.", "ADT ANALOG AND DIGITAL TECHNIK", "Maro Sanat Co.")]
    [True, True, False, False, False]
    """
    if re.search(r"\bindividual\b", name, re.IGNORECASE) and not _ORG.search(name):
        return True
    if _ORG.search(name) or re.search(r"\d|&|;|\band\b|/", name, re.IGNORECASE):
        return False
    if re.search(r"\bindividual\b", name, re.IGNORECASE):
        return True
    if re.fullmatch(r"[^,]+,(?: (?:Sr|Jr)\.?,| I{1,3},| IV,)? [^,]+", name):
        return True
    words = name.replace(".", ". ").split()
    return 2 <= len(words) <= 4 and all(re.fullmatch(r"[A-Za-z'\-.]+", w) for w in words)


def _split_aliases(ctx: Context, raw: list[Any], country: str | None) -> tuple[list[str], list[str]]:
    """Aliases as published, with the addresses and joins the extraction left in them moved out."""
    aliases: list[str] = []
    addresses: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: alias {item!r} is not text; left out")
            continue
        text = re.sub(r",?\s*a\.k\.a\.,? the following \w+ alias(?:es)?:\s*$", "", clean_name(item))
        for piece in re.split(r";\s*(?:and\s+)?", text):
            piece = re.sub(r"[;,]?\s*\band\s*$", "", piece).strip(" ;,—")
            if not piece or piece.startswith("("):
                continue
            head, addr = _alias_address(piece, country)
            if addr:
                addresses.append(addr)
                ctx.report.warnings.append(
                    f"{ctx._origin[0]}:{ctx._origin[1]}: alias {piece[:60]!r} carries an address; read as alias + address"
                )
            if head:
                aliases.append(head)
    return list(dict.fromkeys(aliases)), addresses


def _alias_address(piece: str, country: str | None) -> tuple[str | None, str | None]:
    """Split "Name. 5 Street, City, Country" or "Name, 5 Street, City, Country" into its name and address."""
    tail = piece.rsplit(",", 1)[-1]
    address_like = re.match(r"(?:\d|(?:Room|Unit|Flat|Level|Office|Bldg|No\.|P\.O\.)\b)", piece) and "," in piece
    if address_like and (re.search(r"\d{3,}", tail) or (country and country_code(tail) == country)):
        return None, piece
    m = re.match(r"^(?P<head>.+?)(?:\.|,)\s+(?P<addr>(?:\d|P\.O\.|Pr\.|Ul\.|Room|Unit|Flat|Level|d\. |\().*)$", piece)
    if m and (re.search(r"\d{3,}", m["addr"]) or (country and country_code(m["addr"].split(",")[-1]) == country)):
        return m["head"].strip(), m["addr"].strip(" ()")
    parts = [p.strip() for p in piece.split(",")]
    if len(parts) >= 2 and country and country_code(parts[-1]) == country and not _ORG.search(parts[-1]):
        if len(parts[0].split()) == 1:  # "Rabat, Morocco": a place, not a name
            return None, piece
        if len(parts) >= 3 or re.search(r"\.\s", piece):
            head, _, rest = piece.partition(". ") if ". " in piece else piece.partition(", ")
            return head.strip(), rest.strip()
    return piece, None


def _addresses(ctx: Context, text: str | None) -> list[str]:
    if not text:
        return []
    text = clean_name(text)
    lead = re.match(r"^(?:and )?the following (?:\w+ )+?(?:alias(?:es)?|apply to [^:]*):\s*", text, re.IGNORECASE)
    if lead:
        ctx.report.warnings.append(
            f"{ctx._origin[0]}:{ctx._origin[1]}: address starts {lead.group(0).strip()!r} (aliases lost in the extraction)"
        )
        text = text[lead.end() :]
    parts = [p.strip(" .;") for p in re.split(r";\s*and\s+|;\s+", text)]
    return [p for p in parts if p]


def _sources(ctx: Context, meta: dict[str, Any], list_id: str, doc: dict[str, Any], file: str) -> str:
    sid = f"src-{LISTS[list_id][0]}-{doc.get('extracted') or 'undated'}"
    ctx.node(
        "Source",
        sid,
        meta.get("official_name") or list_id,
        publisher=meta.get("agency") or "US Government",
        title=f"{meta.get('official_name') or list_id} ({meta.get('snapshot') or 'snapshot not stated'})",
        url=meta.get("official_url") or SOURCE.url,
        license="US public domain (17 USC 105)",
        retrieved=doc.get("extracted"),
        kind="official_list",
        note=(
            f"Read from {doc.get('source_file')!r}; retrieved from the extraction {SOURCE.url}/{file}"
            f" ({meta.get('official_url_label') or 'official page'})."
        ),
        sources=[sid],
    )
    return sid


def _huawei_affiliate(citations: list[tuple[str, str | None]], footnotes: list[str]) -> bool:
    """An Entity List entry added by a Huawei-affiliates rule and marked with footnote 1 (the Huawei FDP rule).

    The entries do not name their parent: the rules that added them (84 FR 22961, 84 FR 43493,
    85 FR 51596) did, as non-U.S. affiliates of Huawei Technologies Co., Ltd., and footnote 1
    applies to Huawei and those affiliates.
    """
    if "1" not in footnotes or not citations:
        return False
    vol, _, page = citations[0][0].partition(" FR ")
    if not page.isdigit():
        return False
    return any(lo <= int(page) <= hi for lo, hi in HUAWEI_AFFILIATE_RULES.get(int(vol), ()))


def load(ctx: Context) -> None:
    """Emit the lists, their entries and the listings."""
    meta_path = ctx.find(f"{FOLDER}/lists.json")
    ctx.at(meta_path, 1)
    meta_doc = _read_json(ctx, meta_path)
    if not isinstance(meta_doc, dict) or not isinstance(meta_doc.get("lists"), list):
        raise ctx.fail('expected an object with a "lists" array (id, official_name, agency, official_url, snapshot)')
    metas = {m.get("id"): m for m in meta_doc["lists"] if isinstance(m, dict)}
    ctx.count("lists.json", len(metas))
    unknown = sorted(set(metas) - set(LISTS))
    if unknown:
        ctx.report.warnings.append(f"lists.json names lists this loader does not know: {', '.join(unknown)}")

    for list_id, (sanction_id, file) in LISTS.items():
        path = ctx.find(f"{FOLDER}/{file}")
        ctx.at(path, 1)
        doc = _read_json(ctx, path)
        if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
            raise ctx.fail('expected an object with "list_id" and an "entities" array')
        if doc.get("list_id") != list_id:
            raise ctx.fail(f"list_id is {doc.get('list_id')!r}, expected {list_id!r}")
        meta = metas.get(list_id) or {}
        if isinstance(meta.get("snapshot"), str):
            ctx.used(path, f"{FOLDER}/{file}", snapshot=meta["snapshot"])
        if not meta:
            ctx.report.warnings.append(f"lists.json has no entry for {list_id}; the list is cited without its metadata")
        src = _sources(ctx, meta, list_id, doc, file)
        ctx.node(
            "SanctionList",
            sanction_id,
            meta.get("official_name") or list_id,
            authority=meta.get("agency"),
            jurisdiction="USA",
            citation=meta.get("authority"),
            url=meta.get("official_url"),
            aliases=[a for a in [meta.get("short_name")] if a],
            sources=[src],
        )
        ctx.edge("IMPOSED_BY", sanction_id, "USA", sources=[src])
        entities = doc["entities"]
        if isinstance(doc.get("count"), int) and doc["count"] != len(entities):
            ctx.report.warnings.append(f"{file}: count says {doc['count']}, entities hold {len(entities)}")
        for n, raw in enumerate(entities, start=1):
            ctx.at(path, n)  # the entity's position in the list: JSON files have no useful line
            _entry(ctx, list_id, sanction_id, src, raw)
        ctx.count(file, len(entities))


def _read_json(ctx: Context, path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ctx.fail(f"not a UTF-8 JSON document ({exc})") from exc


def _entry(ctx: Context, list_id: str, sanction_id: str, src: str, raw: Any) -> None:
    if not isinstance(raw, dict):
        ctx.skip(f"entity is a {type(raw).__name__}, not an object")
        return
    missing = [f for f in ENTITY_FIELDS if f not in raw]
    if missing:
        raise ctx.fail(f"entity lacks field(s) {', '.join(missing)}; expected {', '.join(ENTITY_FIELDS)}")
    extra = sorted(set(raw) - set(ENTITY_FIELDS))
    if extra:
        ctx.report.warnings.append(f"{ctx._origin[0]}:{ctx._origin[1]}: fields not read: {', '.join(extra)}")
    name = clean_name(raw["name"]) if isinstance(raw["name"], str) else ""
    if not name:
        ctx.skip("entity has no name")
        return
    where = f"{ctx._origin[0]}:{ctx._origin[1]}"
    country_text = raw["country"] if isinstance(raw["country"], str) else None
    country = country_code(country_text)
    if country_text and not country:
        ctx.report.warnings.append(f"{where}: country {country_text!r} is not a country we know; left blank")
    aliases, alias_addresses = _split_aliases(ctx, raw["aliases"] if isinstance(raw["aliases"], list) else [], country)
    addresses = _addresses(ctx, raw["address"] if isinstance(raw["address"], str) else None) + alias_addresses
    notes = clean_name(raw["notes"]) if isinstance(raw["notes"], str) else None
    fr_text = raw["federal_register"] if isinstance(raw["federal_register"], str) else None
    citations = fr_citations(fr_text)
    if fr_text and not citations:
        ctx.report.warnings.append(f"{where}: federal_register {fr_text!r} holds no citation we can read")

    label = "Person" if list_id in PERSON_LISTS and is_person(name) else "Company"
    node_id = entity_id(ctx, list_id, name, country)
    props: dict[str, Any] = {
        "aliases": [a for a in aliases if a != name],
        "addresses": addresses or None,
        "countries": [country] if country else None,
        "remarks": notes,
        "sources": [src],
    }
    if label == "Person":
        props.update(
            confidence="medium",
            confidence_note="A person by the form of the name; the list does not say whether an entry is a person.",
        )
    else:
        props["country"] = country
    if len(re.findall(r";| and ", name)) and list_id.startswith("state-debarred") and _ORG.search(name):
        ctx.report.warnings.append(f"{where}: entry {name!r} may name several parties; kept as one")
    ctx.node(label, node_id, name, **props)

    listing = _listing(ctx, list_id, raw, notes, citations, where)
    ctx.edge(
        "LISTED_ON",
        node_id,
        sanction_id,
        id=ctx.make_id("LISTED_ON", node_id, sanction_id),
        entry=name,
        status=clean_name(raw["status"]) if isinstance(raw["status"], str) else None,
        citation="; ".join(c for c, _ in citations) or None,
        sources=[src],
        **listing,
    )

    if label == "Company":
        m = _PARENT.search(name)
        if m:
            parent = clean_name(m["parent"])
            parent_id = entity_id(ctx, list_id, parent, country)
            ctx.node(
                "Company",
                parent_id,
                parent,
                country=country,
                sources=[src],
                note=f"Named as the parent in the {sanction_id} entry {name!r}.",
            )
            ctx.edge("SUBSIDIARY_OF", node_id, parent_id, sources=[src], note=f"As the entry names it: {name!r}.")
        elif (
            list_id == "bis-entity-list"
            and _norm(name) != _norm("Huawei Technologies Co., Ltd.")
            and _huawei_affiliate(citations, (listing.get("footnote") or "").split(", "))
        ):
            ctx.edge(
                "SUBSIDIARY_OF",
                node_id,
                HUAWEI,
                sources=[src],
                confidence="medium",
                confidence_note=(
                    f"The entry does not name its parent. It carries footnote 1 (Huawei FDP rule) and was added by "
                    f"{citations[0][0]}, a rule adding non-U.S. affiliates of Huawei; BIS's 'affiliate' need not be majority-owned."
                ),
            )


def _listing(
    ctx: Context,
    list_id: str,
    raw: dict[str, Any],
    notes: str | None,
    citations: list[tuple[str, str | None]],
    where: str,
) -> dict[str, Any]:
    """Dates, footnotes, programme and licence requirement of a listing, as far as the entry gives them."""
    out: dict[str, Any] = {}
    effective_text = raw["effective_date"] if isinstance(raw["effective_date"], str) else None
    effective = us_date(effective_text)
    if effective_text and not effective:
        ctx.report.warnings.append(f"{where}: effective_date {effective_text!r} is not a date we can read")
    for cite, date in citations:
        vol = int(cite.split()[0])
        if date and abs(int(date[:4]) - (vol + 1935)) > 1:
            ctx.report.warnings.append(f"{where}: {cite} is dated {date}, far from volume {vol}'s year {vol + 1935}")
    dated = [(c, d) for c, d in citations if d]
    if list_id in FR_DATED:
        first, first_date = citations[0] if citations else (None, None)
        if first_date:
            out.update(
                valid_from=first_date,
                confidence="medium",
                confidence_note=(
                    f"valid_from is the Federal Register publication date of {first}; the listing may have taken "
                    "effect before publication (the entry gives no effective date)."
                ),
            )
        elif first:
            out["note"] = f"date not in source: the first citation, {first}, carries no date"
        else:
            out["note"] = "date not in source"
        out["license_requirement"] = notes
        foot = ear_footnotes(notes)
        if foot:
            out["footnote"] = ", ".join(foot)
    else:
        out["valid_from"] = effective or (dated[0][1] if dated else None)
        if not out["valid_from"]:
            out["note"] = "date not in source"
        elif not effective:
            out["confidence"] = "medium"
            out["confidence_note"] = f"Date of {dated[0][0]}, the citation the entry gives; no effective date."
        elif list_id == "dow-1260h":
            out["note"] = "Date of the notice that lists the company; an earlier listing is not in this source."
    if notes and list_id == "bis-dpl":
        if m := re.search(r"Expires:\s*(\S+)", notes):
            out["valid_to"] = us_date(m[1])
        if m := re.search(r"Type of denial:\s*([^;]+)", notes):
            out["program"] = m[1].strip()
    if notes and list_id == "ofac-nscmic" and (m := re.search(r"Program:\s*([^;]+)", notes)):
        out["program"] = m[1].strip()
    if notes and list_id == "state-nonproliferation":
        parts = [p.strip() for p in notes.split(" | ")]
        authorities = [m[1].strip() for p in parts if (m := re.search(r"Authority:\s*([^;]+)", p))]
        out["program"] = "; ".join(dict.fromkeys(authorities)) or None
        expiries = [us_date(m[1]) for p in parts if (m := re.search(r"Expired on (\d{1,2}/\d{1,2}/\d{2,4})", p))]
        if parts and len(expiries) == len(parts) and all(expiries):
            out["valid_to"] = max(e for e in expiries if e)
    if notes and list_id == "cbp-wro" and (m := re.match(r"(WRO|Finding)\b", notes)):
        out["program"] = m[1]
    if list_id in ("dow-1286", "fcc-covered", "dhs-uflpa", "ofac-eo14032", "dow-1260h") and notes:
        out["note"] = " ".join(x for x in (out.get("note"), notes[:500]) if x)
    return out
