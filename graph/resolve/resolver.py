"""The resolver: one entity per real party, from the records of every source.

:func:`resolve` runs in the build between ``merge`` (same id, shared xrefs)
and validation, and never touches a store. In order:

1. Companies and persons become matcher :class:`~graph.resolve.match.Record` s;
   each record's *dataset* is the list or file it comes from.
2. Judgements from ``data/resolutions.yaml`` are applied first: ``same``
   joins two records, ``different`` forbids any cluster holding both.
3. Blocking finds candidate pairs; each is scored. From the best score down,
   a pair at or above ``auto`` joins its two clusters, unless a judgement
   forbids it, or the two clusters hold two records of one dataset (a list
   names each party once: two entries of one list are two parties until a
   person says otherwise), or two curated records. Such a pair, and every
   pair in the review band that ends up apart, goes to the review queue.
4. Each cluster becomes one node under the id of its first record in load
   order (curated facts load first, so ``huawei`` stays ``huawei``). It keeps
   the union of names (other names become aliases), aliases, xrefs, sources
   and countries, the first value of every other property, and
   ``resolved_from`` / ``resolved_sources``: each source record's id and the
   sources that record cites, in the same order.
5. Edges are re-pointed to the surviving ids. Listings keep their own ids,
   so two lists' or two sources' ``LISTED_ON`` edges to the same list stay
   two edges, each with its own citation, sources and ``entry`` (the name the
   list gave). Edges that became loops (an entry's ``SUBSIDIARY_OF`` to a
   record it was merged with) are dropped and counted.

The same records and judgements always give the same output.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.bulk import FILE, Part, iter_rows, node_records, repoint, take
from graph.model import EdgeRecord, NodeRecord
from graph.resolve.blocking import KeyIndex
from graph.resolve.judgements import Judgement
from graph.resolve.match import Record, Score, record_from_props, score

RESOLVED_LABELS = ("Company", "Person")
LIST_PROPS = ("sources", "aliases", "weak_aliases", "roles", "xrefs", "countries", "addresses", "nationality")


@dataclass(frozen=True)
class Thresholds:
    """The decisions' cut-offs: ``auto`` and above merge, ``review`` to ``auto`` is queued, ``match`` for screening."""

    auto: float = 0.92
    review: float = 0.6
    match: float = 0.7

    @classmethod
    def of(cls, settings: Any) -> Thresholds:
        """From :class:`graph.settings.Settings` (or anything with the same attributes), else the defaults."""
        if isinstance(settings, Thresholds):
            return settings
        return cls(
            getattr(settings, "resolve_auto", cls.auto),
            getattr(settings, "resolve_review", cls.review),
            getattr(settings, "match_threshold", cls.match),
        )


def pair_id(a: str, b: str) -> str:
    """The stable id of a pair of records, as the review queue and ``resolve --accept`` name it."""
    lo, hi = sorted((a, b))
    return "r-" + hashlib.sha1(f"{lo}\x1f{hi}".encode()).hexdigest()[:12]


@dataclass
class ReviewItem:
    """A pair for a person to judge: both records side by side, the score and why it is not merged."""

    id: str
    a: dict[str, Any]
    b: dict[str, Any]
    score: float
    reason: str
    why_queued: str


@dataclass
class ResolutionReport:
    """What the resolver did, for the manifest, ``resolve --review`` and the app."""

    records: int = 0
    entities: int = 0
    pairs_scored: int = 0
    merged_records: int = 0
    merges: list[dict[str, Any]] = field(default_factory=list)  # one per joining pair: a, b, score, reason
    review: list[ReviewItem] = field(default_factory=list)
    judgements_applied: int = 0
    judgements_unknown: list[str] = field(default_factory=list)
    loops_dropped: int = 0
    seconds: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        """Write the report as JSON (the review queue is read back from it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=1, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ResolutionReport:
        """Read a saved report."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["review"] = [ReviewItem(**r) for r in raw.get("review") or []]
        return cls(**raw)


def dataset_of(rec: NodeRecord) -> str:
    """The list or file a record comes from; all curated files count as one dataset."""
    origin = rec.origin[0] or ""
    if "/curated/" in origin or origin.startswith("curated"):
        return "curated"
    return origin


class _Clusters:
    """Union-find over record numbers that keeps, per cluster, its datasets and the records it may not join.

    Only the records some pair or judgement touches are ever stored, so a
    build of millions of records pays for the few thousand that meet.
    ``rank`` orders records by load order (the earliest survives a union) and
    ``dataset`` says which list or file a record comes from.
    """

    def __init__(self, dataset: Callable[[int], str], rank: Callable[[int], tuple[int, ...]]):
        self.dataset, self.rank = dataset, rank
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.datasets: dict[int, set[str]] = {}
        self.forbidden: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(i, i) != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def members_of(self, root: int) -> list[int]:
        return self.members.get(root) or [root]

    def _datasets(self, root: int) -> set[str]:
        found = self.datasets.get(root)
        return found if found is not None else {self.dataset(root)}

    def forbid(self, a: int, b: int) -> None:
        self.forbidden.setdefault(a, set()).add(b)
        self.forbidden.setdefault(b, set()).add(a)

    def why_not(self, a: int, b: int) -> str | None:
        """Why the clusters of ``a`` and ``b`` may not join, or None when they may."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        ma, mb = self.members_of(ra), self.members_of(rb)
        small, big = (ma, rb) if len(ma) <= len(mb) else (mb, ra)
        for m in small:
            for f in self.forbidden.get(m, ()):
                if self.find(f) == big:
                    return "a judgement says they are different"
        common = self._datasets(ra) & self._datasets(rb)
        if common:
            return f"both clusters hold an entry of {sorted(common)[0].rsplit('/', 1)[-1]}"
        return None

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        # The earliest record's root survives: deterministic.
        keep, gone = (ra, rb) if self.rank(ra) < self.rank(rb) else (rb, ra)
        self.parent[gone] = keep
        self.members[keep] = sorted(self.members_of(keep) + self.members_of(gone), key=self.rank)
        self.members.pop(gone, None)
        self.datasets[keep] = self._datasets(keep) | self._datasets(gone)
        self.datasets.pop(gone, None)
        return True

    def clusters(self) -> list[list[int]]:
        """Every cluster of two or more records, each in rank order."""
        return [ms for root, ms in self.members.items() if self.parent.get(root, root) == root and len(ms) > 1]


RECORD_COLUMNS = ("id", "name", "aliases", "countries", "country", "xrefs", "lei")


class _BulkRows:
    """The bulk sources' companies and persons, numbered after the records (see :mod:`graph.bulk`)."""

    def __init__(self, parts: Sequence[Part], first: int):
        self.parts = parts
        self.tables = list(iter_rows(parts, RESOLVED_LABELS))
        self.offsets: list[int] = []
        n = first
        for _, _, table in self.tables:
            self.offsets.append(n)
            n += table.num_rows
        self.first, self.end = first, n

    def locate(self, g: int) -> tuple[int, int]:
        t = bisect.bisect_right(self.offsets, g) - 1
        return t, g - self.offsets[t]

    def records(self, t: int, rows: Sequence[int] | None = None) -> Iterator[Record]:
        """Matcher records of table ``t`` (all its rows, or those given), in row order, a slice at a time."""
        _, label, table = self.tables[t]
        cols = [c for c in (*RECORD_COLUMNS, FILE) if c in table.column_names]
        view = table.select(cols) if rows is None else table.select(cols).take(pa.array(rows, pa.int64()))
        for start in range(0, view.num_rows, 50_000):
            for row in view.slice(start, 50_000).to_pylist():
                yield record_from_props(label, row, str(row.get(FILE) or ""))

    def all_records(self) -> Iterator[tuple[int, Record]]:
        for t, offset in enumerate(self.offsets):
            for k, rec in enumerate(self.records(t)):
                yield offset + k, rec

    def _by_table(self, gs: Iterable[int]) -> dict[int, list[int]]:
        """The rows of the given numbers, by table, in row order."""
        by_table: dict[int, list[int]] = {}
        for g in sorted(set(gs)):
            t, row = self.locate(g)
            by_table.setdefault(t, []).append(row)
        return by_table

    def some(self, gs: Iterable[int]) -> dict[int, Record]:
        """Matcher records of the given numbers."""
        by_table = self._by_table(gs)
        out = {}
        for t, rows in by_table.items():
            for row, rec in zip(rows, self.records(t, rows), strict=True):
                out[self.offsets[t] + row] = rec
        return out

    def numbers(self, ids: Iterable[str]) -> dict[str, int]:
        """The numbers of the rows with these ids."""
        wanted = pa.array(sorted(set(ids)), pa.string())
        found: dict[str, int] = {}
        for t, (_, _, table) in enumerate(self.tables):
            index = pc.index_in(wanted, value_set=table.column("id"))
            for node_id, row in zip(wanted.to_pylist(), index.to_pylist(), strict=True):
                if row is not None:
                    found.setdefault(node_id, self.offsets[t] + row)
        return found

    def rank(self, g: int) -> tuple[int, ...]:
        p = self.tables[self.locate(g)[0]][0]
        return (self.parts[p].after, 0, p, g)

    def nodes(self, gs: Iterable[int], remove: bool) -> dict[int, NodeRecord]:
        """The rows of these numbers as node records; ``remove`` takes them out of their tables."""
        by_table = self._by_table(gs)
        out: dict[int, NodeRecord] = {}
        for t, rows in by_table.items():
            p, label, table = self.tables[t]
            if remove:
                recs = take(self.parts[p], label, rows)
            else:
                recs = node_records(label, table.take(pa.array(rows, pa.int64())))
            for row, rec in zip(rows, recs, strict=True):
                out[self.offsets[t] + row] = rec
        return out


def _summary(rec: NodeRecord, r: Record) -> dict[str, Any]:
    p = rec.props
    return {
        "id": r.id,
        "label": rec.label,
        "name": p.get("name"),
        "aliases": list(p.get("aliases") or []),
        "countries": list(r.countries),
        "identifiers": list(r.identifiers),
        "sources": list(p.get("sources") or []),
        "dataset": r.dataset.rsplit("/", 1)[-1],
    }


def resolve(
    nodes: Sequence[NodeRecord],
    edges: Sequence[EdgeRecord],
    judgements: Iterable[Judgement] = (),
    settings: Any = None,
    bulk: Sequence[Part] = (),
) -> tuple[list[NodeRecord], list[EdgeRecord], ResolutionReport]:
    """Merge the records of one party into one node; re-point edges; say what was done and what to review.

    ``settings`` is :class:`graph.settings.Settings` or :class:`Thresholds`
    (defaults when None). The input lists are not changed. ``bulk`` rows
    (:mod:`graph.bulk`) take part as records do; those that join a cluster
    leave their tables and come out as (merged) records, and the tables'
    relationships are re-pointed in place.
    """
    started = time.perf_counter()
    th = Thresholds.of(settings)
    report = ResolutionReport(thresholds=asdict(th))
    idx = [i for i, n in enumerate(nodes) if n.label in RESOLVED_LABELS]
    recs: dict[int, Record] = {
        k: record_from_props(nodes[i].label, nodes[i].props, dataset_of(nodes[i])) for k, i in enumerate(idx)
    }
    rows = _BulkRows(bulk, len(idx))
    index = KeyIndex()
    for k, r in recs.items():
        index.add(k, r)
    for g, r in rows.all_records():
        index.add(g, r)
    report.records = rows.end
    position = {r.id: k for k, r in recs.items()}

    def record(g: int) -> Record:
        if g not in recs:
            recs.update(rows.some([g]))
        return recs[g]

    def rank(g: int) -> tuple[int, ...]:
        return (idx[g], 1, 0, 0) if g < len(idx) else rows.rank(g)

    clusters = _Clusters(lambda g: record(g).dataset, rank)

    # 1. Judgements first: they always win.
    named = {x for j in judgements for x in (j.a, j.b)}
    position.update({k: v for k, v in rows.numbers(named - position.keys()).items() if k not in position})
    same: list[tuple[int, int, Judgement]] = []
    judged: set[tuple[int, int]] = set()
    for j in judgements:
        if j.a not in position or j.b not in position:
            missing = [x for x in (j.a, j.b) if x not in position]
            report.judgements_unknown.append(f"line {j.line}: no record {', '.join(missing)}")
            continue
        a, b = sorted((position[j.a], position[j.b]))
        judged.add((a, b))
        report.judgements_applied += 1
        if j.verdict == "different":
            clusters.forbid(a, b)
        else:
            same.append((a, b, j))
    recs.update(rows.some(g for a, b, _ in same for g in (a, b) if g not in recs))
    for a, b, j in same:
        clusters.union(a, b)  # a person's "same" overrides the one-entry-per-list rule
        report.merges.append({"a": recs[a].id, "b": recs[b].id, "score": 1.0, "reason": f"judged same by {j.by}"})

    # 2. Candidates, scored, best first.
    pairs = sorted(index.pairs())
    del index
    recs.update(rows.some(g for pair in pairs for g in pair if g not in recs))
    scored: list[tuple[float, int, int, Score]] = []
    for a, b in pairs:
        if (a, b) in judged:
            continue
        s = score(recs[a], recs[b])
        if s.value >= th.review:
            scored.append((s.value, a, b, s))
    report.pairs_scored = len(pairs)
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    queued: list[tuple[int, int, Score, str]] = []
    for value, a, b, s in scored:
        if value >= th.auto:
            why = clusters.why_not(a, b)
            if why is None:
                if clusters.union(a, b):
                    report.merges.append({"a": recs[a].id, "b": recs[b].id, "score": value, "reason": s.reason})
                continue
            queued.append((a, b, s, f"not merged: {why}"))
        else:
            queued.append((a, b, s, "in the review band"))
    queued = [q for q in queued if clusters.find(q[0]) != clusters.find(q[1])]
    shown = rows.nodes((g for a, b, _, _ in queued for g in (a, b) if g >= len(idx)), remove=False)

    def node_of(g: int) -> NodeRecord:
        return nodes[idx[g]] if g < len(idx) else shown[g]

    for a, b, s, why in queued:
        report.review.append(
            ReviewItem(
                pair_id(recs[a].id, recs[b].id),
                _summary(node_of(a), recs[a]),
                _summary(node_of(b), recs[b]),
                s.value,
                s.reason,
                why,
            )
        )
    report.review.sort(key=lambda r: (-r.score, r.id))

    # 3. One node per cluster, where its first record was (after the records when all are bulk rows).
    canonical: dict[str, str] = {}
    groups = clusters.clusters()
    taken = rows.nodes((g for ms in groups for g in ms if g >= len(idx)), remove=True)
    at: dict[int, NodeRecord] = {}  # node index of a cluster's first record -> the merged node
    gone: set[int] = set()
    tail: list[NodeRecord] = []
    for ms in sorted(groups, key=lambda ms: rank(ms[0])):
        merged = _merge_cluster([nodes[idx[m]] if m < len(idx) else taken[m] for m in ms])
        for m in ms:
            canonical[recs[m].id] = recs[ms[0]].id
        report.merged_records += len(ms)
        in_records = [idx[m] for m in ms if m < len(idx)]
        gone.update(in_records)
        if in_records:
            at[min(in_records)] = merged
        else:
            tail.append(merged)
    out_nodes: list[NodeRecord] = []
    for i, n in enumerate(nodes):
        if i in at:
            out_nodes.append(at[i])
        elif i not in gone:
            out_nodes.append(n)
    out_nodes += tail
    report.entities = rows.end - sum(len(ms) - 1 for ms in groups)

    # 4. Edges re-pointed; loops made by merging dropped.
    out_edges: dict[str, EdgeRecord] = {}
    for e in edges:
        start, end = canonical.get(e.start, e.start), canonical.get(e.end, e.end)
        if start == end and (e.start != e.end):
            report.loops_dropped += 1
            continue
        ne = e if start == e.start and end == e.end else EdgeRecord(e.type, start, end, dict(e.props), e.origin)
        key = ne.props.get("id") or f"{ne.type}\x00{start}\x00{end}"
        if key in out_edges:
            _union_props(out_edges[key].props, ne.props)
        else:
            out_edges[key] = ne
    report.loops_dropped += repoint(bulk, canonical)
    report.seconds = round(time.perf_counter() - started, 3)
    return out_nodes, list(out_edges.values()), report


def _union_props(into: dict[str, Any], other: dict[str, Any]) -> None:
    for k, v in other.items():
        if v is None or k == "id":
            continue
        if k in LIST_PROPS and isinstance(v, list):
            into[k] = list(dict.fromkeys([*(into.get(k) or []), *v]))
        elif into.get(k) is None:
            into[k] = v


def _merge_cluster(recs: list[NodeRecord]) -> NodeRecord:
    """One node from a cluster's records: the first keeps its id, label and name; the rest add to it."""
    head = recs[0]
    props = dict(head.props)
    for k in LIST_PROPS:
        if isinstance(props.get(k), list):
            props[k] = list(props[k])
    for r in recs[1:]:
        _union_props(props, r.props)
    # The first record's aliases keep their order (pictures label a node by its first short alias: "SMIC");
    # the other records' names and aliases follow in load order.
    names = list(head.props.get("aliases") or [])
    for r in recs[1:]:
        names += [r.props.get("name"), *(r.props.get("aliases") or [])]
    props["aliases"] = list(dict.fromkeys(n for n in names if n and n != props.get("name")))
    props["resolved_from"] = [r.props["id"] for r in recs]
    props["resolved_sources"] = [",".join(r.props.get("sources") or []) for r in recs]
    return NodeRecord(head.label, props, head.origin)


def source_records(props: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The source records a node was resolved from, each with the sources it cites (for "resolved from N")."""
    ids = props.get("resolved_from") or [props.get("id")]
    cited = props.get("resolved_sources") or [",".join(props.get("sources") or [])]
    return [(i, [s for s in c.split(",") if s]) for i, c in zip(ids, cited, strict=False)]
