"""Finding an entity by what an analyst types: only an exact name opens, anything else is a suggestion.

An analyst who types "Megvii" and presses Enter must never land on the
nearest fuzzy match (an ASML scanner with no neighbours reads as "not
exposed"). So :meth:`EntityFinder.find` opens an entity only when the text is
its id, its name or one of its aliases, compared without case, spacing or
punctuation; several entities of that name are offered, not guessed between.
Everything else comes back as suggestions, each with its label and how well
it matches: names that begin with the text, then names the screening matcher
(:mod:`graph.resolve`) finds alike, with its score and reason.

>>> f = EntityFinder([("huawei", "Company", "Huawei Technologies Co., Ltd.", ["Huawei", "华为"]),
...                   ("asml", "Company", "ASML Holding N.V.", []),
...                   ("euv", "Technology", "EUV lithography tools", [])])
>>> f.find("huawei").opened, f.find("HUAWEI TECHNOLOGIES CO LTD").opened, f.find("华为").opened
('huawei', 'huawei', 'huawei')
>>> found = f.find("Megvii")
>>> found.opened is None, found.message
(True, '“Megvii” is not in the graph: no entity has that name or alias.')
>>> len(f.find("Asml Holding NV").suggestions), f.find("Asml Holding NV").opened
(1, 'asml')
>>> [(s.id, s.how) for s in f.find("huaw").suggestions]
[('huawei', 'name begins with “huaw”')]
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from graph.resolve.index import NameIndex
from graph.resolve.match import Record

PREFIX_LIMIT = 200  # names scanned under one prefix before the shortest are kept
_PUNCT = re.compile(r"[^\w\s]+|_+")
_SPACE = re.compile(r"\s+")
PERSON_LABELS = frozenset({"Person"})
ALIKE = 0.7  # a suggestion this good means "maybe under another name", not "not in the graph"


def fold(text: str) -> str:
    """A name as compared for an exact match: NFKC, case-folded, punctuation dropped ("N.V." is "NV"), spacing
    collapsed to one space."""
    return _SPACE.sub(" ", _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())).strip()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One entity offered for what was typed: ``quality`` 0 to 1 and ``how`` it matched, in words."""

    id: str
    label: str
    name: str
    quality: float
    how: str

    def text(self) -> str:
        """The suggestion as one line: name, label, match quality and how."""
        return f"{self.name} ({self.label}) · {round(self.quality * 100)}% · {self.how}"


@dataclass
class Found:
    """What :meth:`EntityFinder.find` makes of a text: the entity to open, or why not and what is near."""

    text: str
    opened: str | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    message: str = ""


class EntityFinder:
    """Every entity's id, name and aliases, for exact lookups, prefix completion and fuzzy suggestions.

    Built once per graph version from :meth:`GraphStore.entities`.
    """

    def __init__(self, entities: Iterable[tuple[str, str, str | None, list[str]]]):
        self._exact: dict[str, list[tuple[str, str]]] = defaultdict(list)  # folded name -> (id, "name"/"alias")
        self._label: dict[str, str] = {}
        self._name: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        records = []
        self._aliases: dict[str, list[str]] = {}
        for node_id, label, name, aliases in entities:
            self._label[node_id], self._name[node_id] = label, name or node_id
            self._aliases[node_id] = list(aliases)
            names = [n for n in [name or "", *aliases] if n]
            for i, n in enumerate(dict.fromkeys(names)):
                key = fold(n)
                if key and (node_id, "name") not in self._exact[key]:
                    self._exact[key].append((node_id, "alias" if i else "name"))
                    prefixes.append((key, node_id))
            schema = "Person" if label in PERSON_LABELS else "Organization"
            records.append(Record(node_id, schema, tuple(dict.fromkeys(names)) or (node_id,)))
        self._prefixes = sorted(set(prefixes))
        self._records: list[Record] | None = records
        self._built: NameIndex | None = None

    @property
    def _index(self) -> NameIndex:
        """The fuzzy index, built on the first search that needs it: an exact name opens without it."""
        if self._built is None:
            self._built, self._records = NameIndex(self._records or []), None
        return self._built

    def __len__(self) -> int:
        return len(self._name)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._name

    def ids(self) -> Iterable[str]:
        return self._name.keys()

    def name(self, node_id: str) -> str:
        """The entity's name (its id when it has none)."""
        return self._name.get(node_id, node_id)

    def label(self, node_id: str) -> str:
        return self._label.get(node_id, "")

    def entries(self) -> Iterable[tuple[str, str, str, list[str]]]:
        """Every entity as (id, label, name, aliases), as :meth:`GraphStore.entities` gave it."""
        return ((i, self._label[i], self._name[i], self._aliases[i]) for i in self._name)

    def suggestion(self, node_id: str, quality: float, how: str) -> Suggestion:
        return Suggestion(node_id, self._label[node_id], self._name[node_id], quality, how)

    def exact(self, text: str) -> list[Suggestion]:
        """Entities whose id (as written), name or alias (case, spacing and punctuation aside) is ``text``.

        An id must match as written: "DJI" is Djibouti's id and the drone maker's alias, and both are offered.
        """
        out: dict[str, Suggestion] = {}
        if text.strip() in self._name:
            out[text.strip()] = self.suggestion(text.strip(), 1.0, "id")
        for hit, how in self._exact.get(fold(text), ()):
            if hit not in out or how == "name":
                out[hit] = self.suggestion(hit, 1.0, f"same {how}")
        return sorted(out.values(), key=lambda s: s.id)

    def suggest(self, text: str, limit: int = 10) -> list[Suggestion]:
        """The best ``limit`` suggestions for ``text``: exact, then names beginning with it, then alike names."""
        key = fold(text)
        if not key:
            return []
        found: dict[str, Suggestion] = {s.id: s for s in self.exact(text)}
        for s in self._begins(key):
            found.setdefault(s.id, s)
        for rec, sc in self._index.search(Record("?", "LegalEntity", (text,)), limit=limit * 2, threshold=0.3):
            if rec.id not in found or found[rec.id].quality < sc.value:
                found[rec.id] = self.suggestion(rec.id, sc.value, f"similar {sc.via}: {sc.reason}")
        return sorted(found.values(), key=lambda s: (-s.quality, len(s.name), s.id))[:limit]

    def _begins(self, key: str) -> list[Suggestion]:
        """Entities with a name or alias that begins with ``key``, shortest names first."""
        i = bisect.bisect_left(self._prefixes, (key, ""))
        hits: dict[str, float] = {}
        for name, node_id in self._prefixes[i : i + PREFIX_LIMIT]:
            if not name.startswith(key):
                break
            hits[node_id] = max(hits.get(node_id, 0.0), len(key) / len(name))
        # A prefix is not a match: its quality stays below an exact name's, however long the prefix.
        return [self.suggestion(n, min(q, 0.99), f"name begins with “{key}”") for n, q in hits.items()]

    def find(self, text: str, limit: int = 10) -> Found:
        """Open the entity ``text`` names exactly, if only one; otherwise say why not, with suggestions."""
        text = text.strip()
        found = Found(text)
        if not text:
            return found
        exact = self.exact(text)
        if len(exact) == 1:
            found.opened, found.suggestions = exact[0].id, exact
            return found
        if exact:
            found.suggestions = exact
            found.message = f"“{text}” names {len(exact)} entities: choose one."
            return found
        found.suggestions = self.suggest(text, limit)
        if any(s.quality >= ALIKE for s in found.suggestions):
            found.message = f"No entity is named “{text}” exactly. Choose one of the names below, or screen it."
        else:
            found.message = f"“{text}” is not in the graph: no entity has that name or alias."
        return found
