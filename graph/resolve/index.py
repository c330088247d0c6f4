"""A name index over many records, for screening: the best matches of one query, scored.

Built once over the graph's parties (``NameIndex(records)``), it answers
``search(query, limit)`` with the matcher's scores, best first, looking only
at records that share a blocking key with the query (:func:`record_keys`),
so a query costs the same against a thousand records or a million.

>>> idx = NameIndex([Record("huawei", "Company", ("Huawei Technologies Co., Ltd.", "华为"), ("CHN",)),
...                  Record("br", "Company", ("Huawei Cloud Brazil",), ("BRA",))])
>>> [(r.id, s.value) for r, s in idx.search(Record("q", "Company", ("HUAWEI TECHNOLOGIES CO LTD",)), limit=2)]
[('huawei', 1.0), ('br', 0.4651)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from graph.resolve.blocking import record_keys
from graph.resolve.match import PERSON_SCHEMAS, Record, Score, score

MAX_QUERY_BLOCK = 2000  # a query looks at most this many records under one key ("huawei": the 110 affiliates)


class NameIndex:
    """Records indexed by their blocking keys; :meth:`search` scores the ones a query shares a key with."""

    def __init__(self, records: Sequence[Record]):
        self.records = list(records)
        self._keys: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(self.records):
            for k in record_keys(r):
                self._keys[k].append(i)

    def __len__(self) -> int:
        return len(self.records)

    def candidates(self, query: Record) -> list[int]:
        """Indexes of records that share a key with ``query`` (person with person, organisation with organisation)."""
        person = query.schema in PERSON_SCHEMAS
        keys = record_keys(query)
        # An acronym query ("SMIC") meets the initials of long names, and the reverse.
        keys |= {f"i:{k[2:]}" for k in keys if k.startswith("s:")} | {f"s:{k[2:]}" for k in keys if k.startswith("i:")}
        found: set[int] = set()
        for k in keys:
            members = self._keys.get(k, ())
            if len(members) <= MAX_QUERY_BLOCK or k[0] in "xkc":
                found.update(members)
        return sorted(
            i for i in found if (self.records[i].schema in PERSON_SCHEMAS) == person or "LegalEntity" in (query.schema,)
        )

    def search(self, query: Record, limit: int = 10, threshold: float = 0.0) -> list[tuple[Record, Score]]:
        """The best ``limit`` records for ``query`` scoring at least ``threshold``, best first (ties by id)."""
        scored = [(self.records[i], score(query, self.records[i])) for i in self.candidates(query)]
        scored = [(r, s) for r, s in scored if s.value >= threshold and s.value > 0]
        scored.sort(key=lambda rs: (-rs[1].value, rs[0].id))
        return scored[:limit]
