"""Influence paths: the simple paths between two entities, ranked by what they carry.

Paths are limited to chosen relationship types and a maximum number of hops,
on a projection already filtered to an as-of date, and each hop is written as
one plain sentence with its date, citation and sources.

Ranking (``rank="relevance"``, the default) is by information cost, in bits:

* each hop costs 1 bit when its relationship type carries substance (a
  control, an ownership, a supply, manufacturing, a licence, a listing:
  ``substantive: true`` in graph/schema.yaml) and :data:`PLACING_BITS` when
  it only places or classifies (headquarters, membership, a technology
  taxonomy); a supply costs ``log2(100 / share)`` more, so a minor share says
  little and a chokepoint a lot, and one with no share costs a placing hop;
* each entity a path passes through costs ``log2(degree)``, its degree on the
  projection of the chosen types: going through China or the Entity List,
  with thousands of neighbours, says almost nothing ("SMIC is in China; China
  supplies X"), going through a control with five targets says a lot.

Ties go to the shorter path, then to the strongest evidence. ``rank="length"``
is the plain ranking: fewest hops, then strongest evidence. The simple paths of
up to ``max_hops`` hops are enumerated shortest first, up to :data:`COUNT_CAP`;
the total says how many there are (or that there are more than the cap, in
which case the ranking covers the cap's shortest paths).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("smic", name="SMIC"); g.add_node("asml", name="ASML"); g.add_node("t", name="EUV tools")
>>> _ = g.add_edge("asml", "t", key="e1", type="SUPPLIES", share=100.0, sources=["cset"])
>>> _ = g.add_edge("smic", "t", key="e2", type="USES", sources=["s2"])
>>> [p.nodes for p in influence_paths(g, "smic", "asml")]
[['smic', 't', 'asml']]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import networkx as nx
import numpy as np

from graph.analytics.topology import Topology, bfs_distances
from graph.errors import NoPath
from graph.schema import dating_text, fact_dating, load_schema

_CONFIDENCE_RANK = {"low": 0, "medium": 1, "high": 2}
SUBSTANCE_BITS = 1.0  # a hop whose relationship type carries substance
PLACING_BITS = 4.0  # a hop that only places or classifies: a country, a membership, a taxonomy
COUNT_CAP = 5000  # simple paths enumerated (and counted) per query
RANKS = ("relevance", "length")


def hop_bits(data: Mapping[str, Any]) -> float:
    """The cost in bits of one fact on a path: :func:`type_bits`, and for a supply, ``log2(100 / share)``
    more (ASML's 100% of EUV scanners costs nothing extra, a country's 0.5% of a tool costs 7.6 bits);
    a supply whose share is unknown costs what a placing hop does."""
    bits = type_bits(data["type"])
    if data["type"] == "SUPPLIES":
        share = data.get("share")
        if share is None or share != share:  # unknown (null, or NaN from a column)
            return PLACING_BITS
        bits += math.log2(100.0 / max(float(share), 0.1))
    return bits


def type_bits(rel_type: str) -> float:
    """The cost in bits of one hop of ``rel_type``: substantive types are cheap, placing ones dear."""
    spec = load_schema().relationships.get(rel_type)
    return SUBSTANCE_BITS if spec is not None and spec.substantive else PLACING_BITS


@dataclass
class Hop:
    """One step of a path: the fact that links two entities, as a sentence with citations."""

    start: str
    end: str
    type: str
    edge: str
    sentence: str
    sources: list[str]
    confidence: str
    dating: str = "exact"  # graph.schema.fact_dating: exact, approximate, unknown or timeless


@dataclass
class Path:
    """A path: its node ids, one :class:`Hop` per step and its information cost in bits (lower ranks first)."""

    nodes: list[str]
    hops: list[Hop] = field(default_factory=list)
    cost: float = 0.0

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def weakest(self) -> tuple[int, int]:
        """(lowest confidence rank, fewest sources) along the path: higher is stronger."""
        return (
            min(_CONFIDENCE_RANK.get(h.confidence, 2) for h in self.hops),
            min(len(h.sources) for h in self.hops),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "length": self.length,
            "cost_bits": round(self.cost, 2),
            "hops": [h.__dict__ for h in self.hops],
        }


@dataclass
class PathPage:
    """One page of ranked paths, and how many there are in all.

    ``total`` counts the simple paths within the hop limit, up to
    :data:`COUNT_CAP`; ``capped`` says there are more.
    """

    paths: list[Path]
    total: int
    capped: bool
    offset: int
    rank: str

    def caption(self) -> str:
        """ "showing 1–20 of 73 paths, ranked by relevance" (or "of more than 5,000")."""
        if not self.paths:
            return f"no paths on this page (of {self.total:,})"
        total = f"more than {self.total:,}" if self.capped else f"{self.total:,}"
        shown = f"{self.offset + 1:,}–{self.offset + len(self.paths):,}"
        ranked = "by relevance (hub and type penalty)" if self.rank == "relevance" else "by length"
        return f"showing {shown} of {total} paths, ranked {ranked}"


def sentence(g: nx.MultiDiGraph, start: str, end: str, data: Mapping[str, Any]) -> str:
    """The schema's sentence for a relationship, filled in with names and values."""
    return sentence_for(g.nodes, start, end, data)


def sentence_for(nodes: Mapping[str, Mapping[str, Any]], start: str, end: str, data: Mapping[str, Any]) -> str:
    """:func:`sentence` with the names looked up in ``nodes`` (id to properties)."""
    spec = load_schema().relationships[data["type"]]
    share = data.get("share")
    text = spec.sentence.format(
        start=nodes[start].get("name", start),
        end=nodes[end].get("name", end),
        share=f"{share:g}%" if share is not None else "an unknown share",
        share_text=f" ({share:g}% of the market)" if share is not None else "",
        input_text=f" with {data['input']}" if data.get("input") else "",
    )
    # What the command line and every picture's tooltip say of a fact besides its shape: the legal
    # citation and footnote of a listing, and when it started (exact, a year only, or unknown).
    facts = [f"footnote {data['footnote']}" if data.get("footnote") else "", str(data.get("citation") or "")]
    facts.append(dating_text(data["type"], data))
    extra = "; ".join(f for f in facts if f)
    return text[0].upper() + text[1:] + (f" ({extra})" if extra else "")


def _best_edge(top: Topology, edges: np.ndarray) -> tuple[int, dict[str, Any]]:
    """Of the parallel edges between two nodes, the one with the strongest evidence, with its position."""
    return max(
        ((j, top.edge(j)) for j in edges.tolist()),
        key=lambda c: (
            -type_bits(c[1]["type"]),
            _CONFIDENCE_RANK.get(c[1].get("confidence", "high"), 2),
            len(c[1].get("sources", [])),
            c[1].get("id", ""),
        ),
    )


def simple_paths(
    top: Topology, source: int, target: int, k: int, max_hops: int, types: Iterable[str] | None, directed: bool
) -> list[list[int]]:
    """Up to ``k`` shortest simple paths of at most ``max_hops`` hops, shortest first, as node positions.

    Hops are unweighted, so the k shortest simple paths are those of the
    fewest hops. Rather than Yen's spur searches, which re-run a search from
    every node of every path found, each length L from the shortest upwards
    is enumerated by a depth-first search that steps only to nodes whose
    distance to the target still fits in L. That distance is one breadth-first
    search from the target, so almost no branch is a dead end, and the set of
    paths is the one Yen's algorithm finds (``tests/test_analytics.py``
    checks it against networkx's ``shortest_simple_paths``).
    """
    # A simple path has at most n - 1 hops; beyond that each length is one more empty search
    # (--max-hops 1000000000 ran for minutes on a five-node graph).
    max_hops = min(max_hops, top.n - 1)
    indptr, neighbour, _ = top.csr(directed, types)
    back_ptr, back, _ = top.reverse_csr(types) if directed else (indptr, neighbour, None)
    to_target = bfs_distances(back_ptr, back, target, max_hops)
    if source == target or to_target[source] > max_hops:
        return []
    found: list[list[int]] = []
    for length in range(int(to_target[source]), max_hops + 1):
        path, on_path = [source], {source}
        stack = [_steps(indptr, neighbour, to_target, source, length - 1, target)]
        while stack and len(found) < k:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            if step in on_path:
                continue
            if step == target:
                if len(path) == length:
                    found.append([*path, target])
                continue
            path.append(step)
            on_path.add(step)
            stack.append(_steps(indptr, neighbour, to_target, step, length - len(path), target))
        if len(found) >= k:
            break
    return found


def _steps(
    indptr: np.ndarray, neighbour: np.ndarray, to_target: np.ndarray, node: int, budget: int, target: int
) -> Iterator[int]:
    """The neighbours of ``node`` from which the target is at most ``budget`` hops away, target first."""
    options = neighbour[indptr[node] : indptr[node + 1]]
    options = np.unique(options[to_target[options] <= budget])
    if budget == 0:
        options = options[options == target]
    return iter(sorted(options.tolist(), key=lambda v: v != target))


def influence_paths(
    g: nx.MultiDiGraph | Topology,
    source: str,
    target: str,
    k: int = 5,
    types: Iterable[str] | None = None,
    max_hops: int = 6,
    directed: bool = False,
    rank: str = "relevance",
    offset: int = 0,
) -> list[Path]:
    """The first ``k`` ranked simple paths from ``source`` to ``target`` (after ``offset``), explained hop by hop.

    ``g`` is a projection valid on the as-of date, or its :class:`Topology`.
    See :func:`path_page` and the module's docstring for the ranking.
    """
    return path_page(g, source, target, k, types, max_hops, directed, rank, offset).paths


def path_page(
    g: nx.MultiDiGraph | Topology,
    source: str,
    target: str,
    k: int = 5,
    types: Iterable[str] | None = None,
    max_hops: int = 6,
    directed: bool = False,
    rank: str = "relevance",
    offset: int = 0,
    cap: int = COUNT_CAP,
) -> PathPage:
    """One page of the ranked simple paths from ``source`` to ``target``, with their total.

    Raises :class:`NodeNotFound` for an unknown end, ``ValueError`` for an
    unknown ``rank``, and :class:`NoPath`, naming the nearest reachable
    entities (nearest first, then by the same relevance), when nothing connects them.
    """
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, not {rank!r}")
    top = g if isinstance(g, Topology) else Topology.from_networkx(g)
    s, t = top.index(source), top.index(target)
    keep = list(types) if types else None
    indptr, neighbour, edges = top.csr(directed, keep)
    found = simple_paths(top, s, t, max(cap, k + offset), max_hops, keep, directed)
    if not found:
        raise NoPath(
            f"no path of up to {max_hops} hops from {top.name(s)} to {top.name(t)} with these filters; "
            f"nearest reachable: {nearest_reachable(top, s, keep, directed) or 'none'}"
        )
    bits = _hub_bits(top, keep)
    best: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}

    def hop(a: int, b: int) -> tuple[int, dict[str, Any]]:
        if (a, b) not in best:
            slots = np.arange(indptr[a], indptr[a + 1])
            best[(a, b)] = _best_edge(top, edges[slots[neighbour[slots] == b]])
        return best[(a, b)]

    scored = []
    for nodes in found:
        chosen = [hop(a, b)[1] for a, b in pairwise(nodes)]
        cost = sum(hop_bits(d) for d in chosen) + float(bits[nodes[1:-1]].sum())
        weakest = (
            min(_CONFIDENCE_RANK.get(d.get("confidence", "high"), 2) for d in chosen),
            min(len(d.get("sources", [])) for d in chosen),
        )
        ids = [top.id(i) for i in nodes]
        order = (cost, len(nodes)) if rank == "relevance" else (len(nodes),)
        scored.append(((*order, -weakest[0], -weakest[1], ids), nodes, cost))
    scored.sort(key=lambda x: x[0])
    names: dict[str, dict[str, Any]] = {}
    paths = []
    for _, nodes, cost in scored[offset : offset + k]:
        path = Path([top.id(i) for i in nodes], cost=cost)
        for a, b in pairwise(nodes):
            j, data = hop(a, b)
            for end, i in ((data["start"], top.src[j]), (data["end"], top.dst[j])):
                names.setdefault(end, {"name": top.name(int(i))})
            path.hops.append(
                Hop(
                    data["start"],
                    data["end"],
                    data["type"],
                    data.get("id", ""),
                    sentence_for(names, data["start"], data["end"], data),
                    list(data.get("sources", [])),
                    data.get("confidence", "high"),
                    fact_dating(data["type"], data),
                )
            )
        paths.append(path)
    return PathPage(paths, len(found), len(found) >= cap, offset, rank)


def _hub_bits(top: Topology, types: list[str] | None) -> np.ndarray:
    """``log2(degree)`` of every node on the projection of ``types``: what passing through it costs."""
    degree = np.diff(top.csr(False, types)[0])
    return np.log2(np.maximum(degree, 1)).astype(np.float64)


def nearest_reachable(top: Topology, source: int, types: list[str] | None, directed: bool, limit: int = 8) -> str:
    """The entities within two hops of ``source``, nearest first, then by the cost of the cheapest route
    to them and of the entity itself (the ranking of paths); as "Name (1 hop), Name (2 hops)"."""
    indptr, neighbour, edges = top.csr(directed, types)
    bits = _hub_bits(top, types)
    cost: dict[int, tuple[int, float]] = {}
    for slot in range(indptr[source], indptr[source + 1]):
        m = int(neighbour[slot])
        c = type_bits(top.types[top.rtype[edges[slot]]])
        if m != source and c < cost.get(m, (1, np.inf))[1]:
            cost[m] = (1, c)
    for m, (_, cm) in list(cost.items()):
        for slot in range(indptr[m], indptr[m + 1]):
            n = int(neighbour[slot])
            if n == source or cost.get(n, (3, 0))[0] == 1:
                continue
            c = cm + float(bits[m]) + type_bits(top.types[top.rtype[edges[slot]]])
            if c < cost.get(n, (2, np.inf))[1]:
                cost[n] = (2, c)
    # Within a distance, the cheapest route first, counting the entity's own hub cost: a specific
    # neighbour (a control, a product) says more than a country with thousands of ties.
    ranked = sorted(cost.items(), key=lambda kv: (kv[1][0], kv[1][1] + float(bits[kv[0]]), top.name(kv[0]).lower()))[
        :limit
    ]
    return ", ".join(f"{top.name(n)} ({d} hop{'s' if d > 1 else ''})" for n, (d, _) in ranked)
