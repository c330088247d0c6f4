"""Influence paths: the k shortest simple paths between two entities (Yen's algorithm).

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice, pairwise
from typing import Any

import networkx as nx

from graph.errors import NodeNotFound, NoPath
from graph.schema import load_schema

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
    return text[0].upper() + text[1:]


def _best_edge(g: nx.MultiDiGraph, a: str, b: str, directed: bool) -> tuple[str, str, str, dict[str, Any]]:
    """Of the parallel edges between two nodes, the one with the strongest evidence."""
    candidates = [(a, b, k, d) for k, d in g.get_edge_data(a, b, default={}).items()]
    if not directed:
        candidates += [(b, a, k, d) for k, d in g.get_edge_data(b, a, default={}).items()]
    return max(
        candidates,
        key=lambda c: (_CONFIDENCE_RANK.get(c[3].get("confidence", "high"), 2), len(c[3].get("sources", [])), c[2]),
    )


def influence_paths(
    g: nx.MultiDiGraph,
    source: str,
    target: str,
    k: int = 5,
    types: Iterable[str] | None = None,
    max_hops: int = 6,
    directed: bool = False,
) -> list[Path]:
    """The k shortest simple paths from ``source`` to ``target``, explained hop by hop.

    Raises :class:`NodeNotFound` for an unknown end and :class:`NoPath`, naming
    the nearest reachable entities, when nothing connects them.
    """
    for n in (source, target):
        if n not in g:
            raise NodeNotFound(f"no entity with id {n!r}")
    keep = set(types) if types else None
    simple = nx.DiGraph() if directed else nx.Graph()
    simple.add_nodes_from(g.nodes)
    simple.add_edges_from((a, b) for a, b, d in g.edges(data=True) if keep is None or d.get("type") in keep)
    paths: list[Path] = []
    try:
        for nodes in islice(nx.shortest_simple_paths(simple, source, target), k * 4):
            if len(nodes) - 1 > max_hops:
                break
            path = Path(list(nodes))
            for a, b in pairwise(nodes):
                s, e, key, data = _best_edge(g if keep is None else _typed(g, a, b, keep), a, b, directed)
                path.hops.append(
                    Hop(
                        s,
                        e,
                        data["type"],
                        key,
                        sentence(g, s, e, data),
                        list(data.get("sources", [])),
                        data.get("confidence", "high"),
                    )
                )
            paths.append(path)
    except nx.NetworkXNoPath:
        pass
    if not paths:
        near = nx.single_source_shortest_path_length(simple, source, cutoff=2)
        names = sorted((g.nodes[n].get("name", n) for n, d in near.items() if d > 0), key=str.lower)[:8]
        raise NoPath(
            f"no path of up to {max_hops} hops from {g.nodes[source].get('name', source)} to "
            f"{g.nodes[target].get('name', target)} with these filters; nearest reachable: {', '.join(names) or 'none'}"
        )
    paths.sort(key=lambda p: (p.length, tuple(-x for x in p.weakest)))
    return paths[:k]


def _typed(g: nx.MultiDiGraph, a: str, b: str, keep: set[str]) -> nx.MultiDiGraph:
    sub = nx.MultiDiGraph()
    sub.add_nodes_from([a, b])
    for x, y in ((a, b), (b, a)):
        for key, d in g.get_edge_data(x, y, default={}).items():
            if d.get("type") in keep:
                sub.add_edge(x, y, key=key, **d)
    return sub
