"""OFAC's legacy CSV layout, shared by the SDN list and the consolidated non-SDN list.

OFAC publishes each list as four headerless CSV files (``sdn.csv``,
``add.csv``, ``alt.csv``, ``sdn_comments.csv``; ``cons_prim.csv`` and friends
for the non-SDN list). Fields are double-quoted text, ``-0- `` (with its
trailing space) is null, lines end in CRLF, the file ends with a 0x1A byte,
and the text is UTF-8 or, in older files, Windows-1252.

:func:`read_set` reads one set into :class:`Entry` records, strictly: a file
whose rows mostly have another number of columns, or a header row, stops the
load with file, line and the layout expected; a single bad row is a reported
skip. :func:`emit` turns an entry into a node (``ofac-<ent_num>``: Company,
Person, Vessel or Aircraft) with what its remarks say: aliases, strong and
weak, dates and places of birth, nationality, identifiers (LEI, IMO, MMSI,
registration and tax numbers as xrefs) and "Linked To:" ties, which become
``LINKED_TO`` relationships, never ownership.

>>> parse_remarks("DOB 31 Aug 1960; nationality Lebanon; a.k.a. 'SAYYID'; Linked To: HIZBALLAH.")["linked"]
['HIZBALLAH']
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import SourceMissing
from loaders.base import Context
from loaders.common import clean_name, country_code

NULL = "-0-"
COLUMNS = {"prim": 12, "add": 6, "alt": 5, "comments": 2}
LAYOUT = {
    "prim": "ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, "
    "Vess_owner, Remarks",
    "add": "ent_num, Add_Num, Address, City/State/Province/Postal Code, Country, Add_remarks",
    "alt": "ent_num, alt_num, alt_type, alt_name, alt_remarks",
    "comments": "ent_num, remarks continued",
}
LABELS = {"": "Company", "individual": "Person", "vessel": "Vessel", "aircraft": "Aircraft"}


@dataclass
class Entry:
    """One list entry, as the files give it."""

    ent_num: int
    name: str
    sdn_type: str
    programs: list[str]
    title: str
    vessel: dict[str, str]
    remarks: str
    line: int
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, remarks)
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (address text, country text)

    @property
    def label(self) -> str:
        return LABELS.get(self.sdn_type.lower(), "Company")


def decode(path: Path) -> str:
    """The text of an OFAC file: UTF-8, or Windows-1252 for older files; the final 0x1A dropped."""
    raw = path.read_bytes().rstrip(b"\x1a")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def value(cell: str) -> str:
    """A cell's text, with OFAC's null ``-0-`` as empty."""
    cell = cell.strip()
    return "" if cell == NULL else cell


def rows(ctx: Context, path: Path, kind: str) -> Iterable[tuple[int, list[str]]]:
    """(line, cells) of a headerless OFAC file, checked against its layout; bad rows are reported skips."""
    want = COLUMNS[kind]
    records = [r for r in csv.reader(io.StringIO(decode(path), newline="")) if r and any(c.strip() for c in r)]
    ctx.at(path, 1)
    if records and not records[0][0].strip().isdigit():
        raise ctx.fail(
            f"the first row {records[0][:3]} is not an entry: OFAC's {path.name} has no header row; "
            f"expected {want} columns: {LAYOUT[kind]}"
        )
    fitting = sum(len(r) == want for r in records)
    if records and fitting < 0.9 * len(records):
        counts = sorted({len(r) for r in records})
        raise ctx.fail(
            f"{len(records) - fitting} of {len(records)} rows do not have {want} columns (found {counts}); "
            f"expected OFAC's layout: {LAYOUT[kind]}"
        )
    for line, cells in enumerate(records, start=1):
        ctx.at(path, line)
        if len(cells) != want:
            ctx.skip(f"{len(cells)} columns, expected {want} ({LAYOUT[kind]})")
            continue
        if not cells[0].strip().isdigit():
            ctx.skip(f"ent_num {cells[0]!r} is not a number")
            continue
        yield line, cells


def read_set(ctx: Context, prim: Path, add: Path | None, alt: Path | None, comments: Path | None) -> dict[int, Entry]:
    """The entries of one file set, keyed by ent_num, with their aliases, addresses and full remarks."""
    entries: dict[int, Entry] = {}
    for line, c in rows(ctx, prim, "prim"):
        n = int(c[0])
        if n in entries:
            ctx.skip(f"ent_num {n} appears again (first at line {entries[n].line})")
            continue
        name = clean_name(value(c[1]))
        if not name:
            ctx.skip(f"ent_num {n} has no name")
            continue
        programs = [p.strip(" []") for p in value(c[3]).split("] [") if p.strip(" []")]
        vessel = dict(zip(("call_sign", "vessel_type", "tonnage", "grt", "flag", "owner"), map(value, c[5:11])))
        entries[n] = Entry(n, name, value(c[2]), programs, value(c[4]), vessel, value(c[11]), line)
    ctx.count(prim.name, len(entries))
    for path, kind in ((add, "add"), (alt, "alt"), (comments, "comments")):
        if path is None:
            continue
        read = 0
        for _, c in rows(ctx, path, kind):
            entry = entries.get(int(c[0]))
            read += 1
            if entry is None:
                ctx.skip(f"ent_num {c[0]} is not in {prim.name}")
                continue
            if kind == "add":
                text = ", ".join(v for v in map(value, c[2:5]) if v)
                if text:
                    entry.addresses.append((text, value(c[4])))
            elif kind == "alt":
                if value(c[3]):
                    entry.aliases.append((value(c[2]).lower(), clean_name(value(c[3])), value(c[4])))
            elif c[1].strip() != NULL:
                entry.remarks += c[1].rstrip()  # OFAC cuts remarks at 1,000 characters, even mid-word
        ctx.count(path.name, read)
    return entries


_ALIAS = re.compile(r"\b([anf])\.k\.a\.(,?\s*weak)?\s*'([^']+)'", re.I)
_PART = re.compile(r";\s*(?![^()]*\))")


def parse_remarks(remarks: str) -> dict[str, Any]:
    """What an entry's remarks say: aliases (strong and weak), births, nationality, identifiers and links."""
    out: dict[str, Any] = {
        "aliases": [],
        "weak": [],
        "birth": [],
        "nationality": [],
        "xrefs": [],
        "linked": [],
        "countries": [],
        "dates": {},
    }
    for m in _ALIAS.finditer(remarks):
        (out["weak"] if m.group(2) else out["aliases"]).append(clean_name(m.group(3)))
    for part in _PART.split(remarks.strip().rstrip(".")):
        part = part.strip()
        if m := re.match(r"Linked To:\s*(.+)", part):
            out["linked"].append(clean_name(m.group(1).rstrip(".")))
        elif m := re.match(r"(?:alt\. )?DOB (.+)", part):
            out["birth"].append(m.group(1).strip())
        elif m := re.match(r"(?:alt\. )?(?:nationality|citizen) (.+)", part):
            code = country_code(m.group(1))
            if code:
                out["nationality"].append(code)
        elif m := re.match(r"(?:Legal Entity Number|LEI) ([A-Z0-9]{20})", part):
            out["xrefs"].append(f"lei:{m.group(1)}")
        elif m := re.match(r"(?:Vessel Registration Identification IMO|Company Number IMO|IMO) (\d{7})", part):
            out["xrefs"].append(f"imo:{m.group(1)}")
        elif m := re.match(r"MMSI (\d{9})", part):
            out["xrefs"].append(f"mmsi:{m.group(1)}")
        elif m := re.match(
            r"(?:alt\. )?(Registration Number|Registration ID|Tax ID No\.|Company Number|Business Registration "
            r"Number|Unified Social Credit Code \(USCC\)|D-U-N-S Number|SWIFT/BIC) ([\w\-/.]+)(?: \(([^)]+)\))?",
            part,
        ):
            scheme = {
                "Tax ID No.": "tax",
                "Unified Social Credit Code (USCC)": "uscc",
                "D-U-N-S Number": "duns",
                "SWIFT/BIC": "swift",
            }.get(m.group(1), "reg")
            where = country_code(m.group(3)) if m.group(3) else None
            out["xrefs"].append(f"{scheme}:{where + ':' if where and scheme == 'reg' else ''}{m.group(2)}")
            if where:
                out["countries"].append(where)
        elif m := re.match(r"(Organization Established Date|Date of Registration) (.+)", part):
            out["dates"][m.group(1)] = m.group(2).strip()
    for key in ("aliases", "weak", "nationality", "xrefs", "linked", "countries"):
        out[key] = list(dict.fromkeys(out[key]))
    return out


def emit(ctx: Context, entry: Entry) -> tuple[str, dict[str, Any]]:
    """Emit the entry's node; its id and what its remarks say (for links and listings)."""
    ctx.at(ctx.source.id, entry.line)
    node_id = f"ofac-{entry.ent_num}"
    said = parse_remarks(entry.remarks)
    strong = [n for t, n, r in entry.aliases if "weak" not in r.lower()]
    weak = [n for t, n, r in entry.aliases if "weak" in r.lower()]
    aliases = [a for a in dict.fromkeys([*strong, *said["aliases"]]) if a != entry.name]
    weak = [a for a in dict.fromkeys([*weak, *said["weak"]]) if a != entry.name and a not in aliases]
    countries: list[str] = []
    unknown = set()
    for _, where in entry.addresses:
        code = country_code(where)
        if code:
            countries.append(code)
        elif where:
            unknown.add(where)
    for where in sorted(unknown):
        ctx.report.warnings.append(f"ent_num {entry.ent_num}: address country {where!r} is not a country code we know")
    countries = list(dict.fromkeys([*countries, *said["countries"], *said["nationality"]]))
    props: dict[str, Any] = {
        "aliases": aliases or None,
        "weak_aliases": weak or None,
        "xrefs": [f"ofac:{entry.ent_num}", *said["xrefs"]],
        "remarks": entry.remarks or None,
    }
    label = entry.label
    if label in ("Company", "Person"):
        props |= {
            "addresses": [a for a, _ in entry.addresses] or None,
            "countries": countries or None,
            "country": countries[0] if countries else None,
        }
    if label == "Person":
        props |= {"title": entry.title or None, "nationality": said["nationality"] or None}
        props["birth_dates"] = said["birth"] or None
    elif label == "Vessel":
        v = entry.vessel
        props |= {
            "call_sign": v["call_sign"] or None,
            "vessel_type": v["vessel_type"] or None,
            "flag": v["flag"] or None,
            "tonnage": v["tonnage"] or v["grt"] or None,
            "owner": v["owner"] or None,
        }
    elif label == "Aircraft":
        m = re.search(r"Aircraft Operator ([^;]+)", entry.remarks)
        props["operator"] = m.group(1).strip().rstrip(".") if m else None
        m = re.search(r"Aircraft Model ([^;]+)", entry.remarks)
        props["model"] = m.group(1).strip().rstrip(".") if m else None
    ctx.node(label, node_id, entry.name, **{k: v for k, v in props.items() if v is not None})
    return node_id, said


def link(ctx: Context, entries: dict[int, Entry], said: dict[int, dict[str, Any]]) -> None:
    """``LINKED_TO`` from each entry to every entry its remarks link it to, by exact name or alias."""
    by_name: dict[str, set[int]] = {}
    for n, e in entries.items():
        for name in [e.name, *(a for _, a, _ in e.aliases), *said[n]["aliases"]]:
            by_name.setdefault(name.upper(), set()).add(n)
    unresolved = 0
    for n, e in entries.items():
        ctx.at(ctx.source.id, e.line)
        for target in said[n]["linked"]:
            found = by_name.get(target.upper(), set()) - {n}
            if len(found) != 1:
                unresolved += 1
                continue
            ctx.edge("LINKED_TO", f"ofac-{n}", f"ofac-{found.pop()}", id=f"ofac-link-{n}-{_slug(target)}")
    if unresolved:
        ctx.report.warnings.append(
            f"{unresolved} 'Linked To' names match no single entry of the same list by name or alias; "
            "they stay in the remarks"
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def find_set(ctx: Context, folder: str, names: Sequence[str]) -> list[Path | None] | None:
    """The files of one legacy CSV set in ``folder``: None when its primary file (the first name) is absent;
    otherwise every file, with None for an absent secondary one (``add.csv`` and the like)."""
    try:
        found: list[Path | None] = [ctx.find(f"{folder}/{names[0]}")]
    except SourceMissing:
        return None
    for name in names[1:]:
        try:
            found.append(ctx.find(f"{folder}/{name}"))
        except SourceMissing:
            found.append(None)
    return found
