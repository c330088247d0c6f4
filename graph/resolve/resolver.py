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

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graph.model import EdgeRecord, NodeRecord
from graph.resolve.blocking import candidate_pairs
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
    """Union-find over record indexes that keeps, per cluster, its datasets and the records it may not join."""

    def __init__(self, datasets: Sequence[str]):
        self.parent = list(range(len(datasets)))
        self.members: dict[int, list[int]] = {i: [i] for i in range(len(datasets))}
        self.datasets: dict[int, set[str]] = {i: {d} for i, d in enumerate(datasets)}
        self.forbidden: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def forbid(self, a: int, b: int) -> None:
        self.forbidden.setdefault(a, set()).add(b)
        self.forbidden.setdefault(b, set()).add(a)

    def why_not(self, a: int, b: int) -> str | None:
        """Why the clusters of ``a`` and ``b`` may not join, or None when they may."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for m in self.members[small]:
            for f in self.forbidden.get(m, ()):
                if self.find(f) == big:
                    return "a judgement says they are different"
        common = self.datasets[ra] & self.datasets[rb]
        if common:
            return f"both clusters hold an entry of {sorted(common)[0].rsplit('/', 1)[-1]}"
        return None

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        keep, gone = (ra, rb) if ra < rb else (rb, ra)  # the earliest record's root survives: deterministic
        self.parent[gone] = keep
        self.members[keep] = sorted(self.members[keep] + self.members.pop(gone))
        self.datasets[keep] |= self.datasets.pop(gone)
        return True


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
) -> tuple[list[NodeRecord], list[EdgeRecord], ResolutionReport]:
    """Merge the records of one party into one node; re-point edges; say what was done and what to review.

    ``settings`` is :class:`graph.settings.Settings` or :class:`Thresholds`
    (defaults when None). The input lists are not changed.
    """
    started = time.perf_counter()
    th = Thresholds.of(settings)
    report = ResolutionReport(thresholds=asdict(th))
    idx = [i for i, n in enumerate(nodes) if n.label in RESOLVED_LABELS]
    recs = [record_from_props(nodes[i].label, nodes[i].props, dataset_of(nodes[i])) for i in idx]
    position = {r.id: k for k, r in enumerate(recs)}
    report.records = len(recs)
    clusters = _Clusters([r.dataset for r in recs])

    # 1. Judgements first: they always win.
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
    for a, b, j in same:
        clusters.union(a, b)  # a person's "same" overrides the one-entry-per-list rule
        report.merges.append({"a": recs[a].id, "b": recs[b].id, "score": 1.0, "reason": f"judged same by {j.by}"})

    # 2. Candidates, scored, best first.
    pairs = sorted(candidate_pairs(recs))
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
    for a, b, s, why in queued:
        if clusters.find(a) == clusters.find(b):
            continue
        na, nb = nodes[idx[a]], nodes[idx[b]]
        report.review.append(
            ReviewItem(
                pair_id(recs[a].id, recs[b].id), _summary(na, recs[a]), _summary(nb, recs[b]), s.value, s.reason, why
            )
        )
    report.review.sort(key=lambda r: (-r.score, r.id))

    # 3. One node per cluster.
    canonical: dict[str, str] = {}
    out_nodes: list[NodeRecord] = []
    cluster_of = {k: clusters.find(k) for k in range(len(recs))}
    members: dict[int, list[int]] = {}
    for k, root in cluster_of.items():
        members.setdefault(root, []).append(k)
    first_of = {min(ms): ms for ms in members.values()}
    by_node = {i: k for k, i in enumerate(idx)}
    for i, n in enumerate(nodes):
        k = by_node.get(i)
        if k is None:
            out_nodes.append(n)
            continue
        ms = first_of.get(k)
        if ms is None:
            continue  # merged into an earlier record's node
        if len(ms) == 1:
            out_nodes.append(n)
            continue
        merged = _merge_cluster([nodes[idx[m]] for m in ms])
        for m in ms:
            canonical[recs[m].id] = recs[ms[0]].id
        report.merged_records += len(ms)
        out_nodes.append(merged)
    report.entities = len(recs) - sum(len(ms) - 1 for ms in members.values())

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
