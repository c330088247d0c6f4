"""What the two patent loaders share: patent numbers, class symbols, and the class-to-technology table.

The table is not code: it is the ``cpc`` property of the curated ``Technology``
nodes (``data/curated/cpc.yaml`` and the seed story's technologies), each
citing its source. A patent covers every technology one of whose entries
is a prefix of one of its symbols, at a class boundary: ``H04W`` covers
``H04W72/0446``, ``H04W84/12`` covers ``H04W84/12`` and its finer subgroups,
``H10`` covers ``H10B41/35``, and ``H04N19`` covers ``H04N19/70`` but not
``H04N190/1``. A patent can cover several technologies (a Wi-Fi patent is a
wireless-network patent too), so counts by technology overlap.

>>> number_of("D0680087"), number_of("08418361"), number_of("RE044123"), number_of("PP21123")
('D680087', '8418361', 'RE44123', 'PP21123')
>>> symbol("h", "04", "w", "72", "0446"), symbol("H", "04", "W", "72", "")
('H04W72/0446', 'H04W72')
>>> table = CpcTable({"H04W": [("tech-wireless", "cpc-scheme")], "H04W84/12": [("tech-wifi", "cpc-scheme")]})
>>> [t for t, _, _ in table.technologies(["H04W84/12", "H04W4/70", "H04B1/00"])]
['tech-wireless', 'tech-wifi']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from loaders.base import Context
from loaders.curated import CURATED_DIR

_NUMBER = re.compile(r"([A-Z]*)0*(\d+)")


def number_of(doc_number: str) -> str | None:
    """A US patent number as PatentsView writes its ``patent_id`` (``D680087``), from the grant XML's
    zero-padded ``doc-number`` (``D0680087``) or from PatentsView itself; None when it is not one."""
    m = _NUMBER.fullmatch(doc_number.strip().upper())
    return f"{m.group(1)}{int(m.group(2))}" if m else None


def patent_node_id(number: str) -> str:
    """The one id of a US patent, whichever source loads it: the two sources' records merge by it."""
    return f"us-patent-{number}"


def symbol(section: str, cls: str, subclass: str, group: str, subgroup: str) -> str:
    """A CPC or IPC symbol (``H04W72/0446``) from the grant XML's parts (``H``, ``04``, ``W``, ``72``,
    ``0446``); the main group alone (``H04W72``) when the subgroup is blank."""
    head = "".join(p.strip().upper() for p in (section, cls, subclass, group))
    return f"{head}/{subgroup.strip()}" if subgroup.strip() else head


class CpcTable:
    """Class prefixes to technologies, each with the source that says so."""

    def __init__(self, entries: dict[str, list[tuple[str, str]]]):
        self.entries = {k.strip().upper().replace(" ", ""): v for k, v in entries.items()}
        self._by_subclass: dict[str, list[str]] = {}
        for prefix in self.entries:
            self._by_subclass.setdefault(prefix[:3], []).append(prefix)

    def technologies(self, symbols: Iterable[str]) -> list[tuple[str, str, str]]:
        """(technology id, the entry that matched, its source) for every technology the symbols fall in,
        each technology once, in the order first met."""
        out: dict[str, tuple[str, str, str]] = {}
        for sym in symbols:
            for prefix in self._by_subclass.get(sym[:3], ()):
                if _under(sym, prefix):
                    for tech, source in self.entries[prefix]:
                        out.setdefault(tech, (tech, prefix, source))
        return list(out.values())


def _under(sym: str, prefix: str) -> bool:
    """Whether ``sym`` falls in the class ``prefix`` (a section-and-class, a subclass, a group or a subgroup)."""
    if not sym.startswith(prefix):
        return False
    rest = sym[len(prefix) :]
    # A class (H10) or subclass (H04W) contains everything below it; a main group (H04N19) only its own
    # subgroups (H04N19/70, not H04N190/1); a subgroup (H04W84/12) itself and the digits that refine it.
    return len(prefix) <= 4 or "/" in prefix or not rest or rest.startswith("/")


@cache
def _table_from(folder: Path) -> CpcTable:
    entries: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        default = doc.get("label")
        for node in doc.get("nodes") or []:
            if node.get("label", default) == "Technology" and node.get("cpc"):
                for prefix in node["cpc"]:
                    entries.setdefault(str(prefix), []).append((node["id"], (node.get("sources") or ["curated"])[0]))
    return CpcTable(entries)


def cpc_table(ctx: Context, folder: Path = CURATED_DIR) -> CpcTable:
    """The curated table; a loader that finds it empty fails, since every patent would cover nothing."""
    table = _table_from(folder)
    if not table.entries:
        raise ctx.fail(f"no Technology in {folder} carries a cpc list; the patent loaders map classes with them")
    return table
