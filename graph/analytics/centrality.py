"""Centrality and communities on a projection, as a way to see influence.

PageRank and betweenness run on the undirected simple graph of the
projection (parallel edges collapsed), without ``Source`` nodes; communities
are Louvain's, seeded for repeatable results. Betweenness is sampled
(k = 500 pivots, seeded) above 2,000 nodes, which keeps it to seconds.

The scores depend only on the simple graph's nodes and edges, so
:func:`centrality` caches them on disk under a fingerprint of that structure.
A new build, another as-of date or another type filter that leaves the
structure unchanged (a renamed company, a new citation) reuses them; a
structural change recomputes. Names and labels are always read fresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import networkx as nx


def simple_graph(g: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph that centrality is computed on: no Source nodes, no loops."""
    simple = nx.Graph()
    simple.add_nodes_from(n for n, d in g.nodes(data=True) if d.get("label") != "Source")
    simple.add_edges_from((a, b) for a, b in g.edges() if a in simple and b in simple and a != b)
    return simple


def fingerprint(simple: nx.Graph, seed: int) -> str:
    """A hash of the structure and the seed: equal exactly when the scores would be."""
    h = hashlib.sha256(f"v1 seed={seed}\n".encode())
    for n in sorted(simple.nodes):
        h.update(f"n {n}\n".encode())
    for a, b in sorted(tuple(sorted(e)) for e in simple.edges):
        h.update(f"e {a} {b}\n".encode())
    return h.hexdigest()[:24]


def _scores(simple: nx.Graph, seed: int) -> dict[str, list[float]]:
    rank = nx.pagerank(simple)
    k = 500 if simple.number_of_nodes() > 2000 else None
    between = nx.betweenness_centrality(simple, k=k, seed=seed)
    community = {}
    for i, members in enumerate(sorted(nx.community.louvain_communities(simple, seed=seed), key=len, reverse=True)):
        for n in members:
            community[n] = i
    return {n: [rank[n], between[n], community[n]] for n in simple.nodes}


def centrality(g: nx.MultiDiGraph, seed: int = 42, cache_dir: Path | None = None) -> list[dict[str, Any]]:
    """Every node with its PageRank, betweenness and community, by PageRank.

    With ``cache_dir``, scores are read from and written to
    ``centrality-<fingerprint>.json`` there.
    """
    simple = simple_graph(g)
    if simple.number_of_nodes() == 0:
        return []
    cached = None if cache_dir is None else cache_dir / f"centrality-{fingerprint(simple, seed)}.json"
    scores = None
    if cached is not None and cached.is_file():
        try:
            scores = json.loads(cached.read_text())
        except (OSError, ValueError):
            scores = None  # a damaged cache file is recomputed and replaced
    if scores is None:
        scores = _scores(simple, seed)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}")
            tmp.write_text(json.dumps(scores))
            os.replace(tmp, cached)
    rows = [
        {
            "id": n,
            "name": g.nodes[n].get("name", n),
            "label": g.nodes[n].get("label"),
            "pagerank": scores[n][0],
            "betweenness": scores[n][1],
            "community": int(scores[n][2]),
        }
        for n in simple.nodes
    ]
    rows.sort(key=lambda r: (-r["pagerank"], r["id"]))
    return rows
