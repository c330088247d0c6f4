"""Influence paths: the k shortest simple paths between two entities.

Paths are limited to chosen relationship types and a maximum number of hops,
on a projection already filtered to an as-of date. They are ranked by length,
then by their weakest evidence (fewest sources on a hop, or a low-confidence
fact), and each hop is written as one plain sentence with its citations.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("smic", name="SMIC"); g.add_node("asml", name="ASML"); g.add_node("t", name="EUV tools")
>>> _ = g.add_edge("asml", "t", key="e1", type="SUPPLIES", share=100.0, sources=["cset"])
>>> _ = g.add_edge("smic", "t", key="e2", type="USES", sources=["s2"])
>>> [p.nodes for p in influence_paths(g, "smic", "asml")]
[['smic', 't', 'asml']]
"""

from __future__ import annotations

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
    nodes: list[str]
    hops: list[Hop] = field(default_factory=list)

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
            "hops": [h.__dict__ for h in self.hops],
        }


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
) -> list[Path]:
    """The k shortest simple paths from ``source`` to ``target``, explained hop by hop.

    ``g`` is a projection valid on the as-of date, or its :class:`Topology`.
    Among the first ``4 k`` paths found, the strongest evidence wins ties of
    length. Raises :class:`NodeNotFound` for an unknown end and
    :class:`NoPath`, naming the nearest reachable entities, when nothing connects them.
    """
    top = g if isinstance(g, Topology) else Topology.from_networkx(g)
    s, t = top.index(source), top.index(target)
    keep = list(types) if types else None
    found = simple_paths(top, s, t, k * 4, max_hops, keep, directed)
    if not found:
        indptr, neighbour, _ = top.csr(directed, keep)
        near = np.flatnonzero(bfs_distances(indptr, neighbour, s, 2) <= 2)
        names = sorted((top.name(i) for i in near.tolist() if i != s), key=str.lower)[:8]
        raise NoPath(
            f"no path of up to {max_hops} hops from {top.name(s)} to {top.name(t)} with these filters; "
            f"nearest reachable: {', '.join(names) or 'none'}"
        )
    indptr, neighbour, edges = top.csr(directed, keep)
    names: dict[str, dict[str, Any]] = {}
    paths = []
    for nodes in found:
        path = Path([top.id(i) for i in nodes])
        for a, b in pairwise(nodes):
            slots = np.arange(indptr[a], indptr[a + 1])
            j, data = _best_edge(top, edges[slots[neighbour[slots] == b]])
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
    paths.sort(key=lambda p: (p.length, tuple(-x for x in p.weakest), p.nodes))
    return paths[:k]
