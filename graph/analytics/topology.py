"""The graph as arrays: what the ownership and path engines run on at scale.

A networkx projection costs about 2 kB per edge and seconds per million edges
to build; the engines only need integer endpoints, a type code and a share
per edge. :class:`Topology` holds those as numpy columns, the node ids and
names and every edge property as Arrow columns (read only for the few edges an
answer cites), and builds compressed adjacency (CSR) on demand, cached per
direction and type set. Stores build it straight from Arrow
(``store.topology(...)``); :meth:`Topology.from_networkx` adapts a projection.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a", name="A"); g.add_node("b", name="B")
>>> _ = g.add_edge("a", "b", key="e1", type="OWNS", share=60.0, sources=["s"])
>>> t = Topology.from_networkx(g)
>>> t.index("b"), t.edge(0)["share"], t.name(0)
(1, 60.0, 'A')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.errors import NodeNotFound
from graph.model import ARROW_TYPES
from graph.schema import load_schema


@dataclass(eq=False)
class Topology:
    """Nodes ``0..n-1`` and edges as parallel columns, with their properties kept in Arrow.

    ``nodes`` has columns ``id``, ``label``, ``name``; ``edges`` has ``start``,
    ``end``, ``type`` (ids and type names) and one column per relationship
    property, null where a type lacks it.
    """

    nodes: pa.Table
    edges: pa.Table
    src: np.ndarray = field(init=False)
    dst: np.ndarray = field(init=False)
    rtype: np.ndarray = field(init=False)
    types: list[str] = field(init=False)
    share: np.ndarray = field(init=False)
    share_min: np.ndarray = field(init=False)
    share_max: np.ndarray = field(init=False)
    # Adjacency per direction ("out", "in" or "both") and type set, built on first use.
    _csr: dict[tuple[str, frozenset[str] | None], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # Positions follow id order, so results do not depend on how a store happens to return rows.
        self.nodes = self.nodes.sort_by("id")
        ids = self.nodes.column("id")
        ends = _positions(
            pa.chunked_array([*self.edges.column("start").chunks, *self.edges.column("end").chunks], pa.string()), ids
        )
        self.src, self.dst = ends[: self.edges.num_rows], ends[self.edges.num_rows :]  # one hash of the ids for both
        encoded = pc.dictionary_encode(self.edges.column("type")).combine_chunks()
        self.types = encoded.dictionary.to_pylist()
        self.rtype = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int16)
        self.share = self._column("share")
        # A share band (share_min..share_max), its exclusive ends moved in by a hair so that a threshold
        # comparison reads "more than 25%" and "less than 50%" as written. Nulls (no band) are nan.
        nudge = 1e-6  # above the ownership fixpoint's tolerance (1e-9), far below any share a source gives
        self.share_min = self._column("share_min") + np.where(self._flag("share_min_exclusive"), nudge, 0.0)
        self.share_max = self._column("share_max") - np.where(self._flag("share_max_exclusive"), nudge, 0.0)

    def _column(self, name: str) -> np.ndarray:
        if name in self.edges.column_names:
            return self.edges.column(name).to_numpy().astype(np.float64)  # nulls become nan
        return np.full(self.edges.num_rows, np.nan)

    def _flag(self, name: str) -> np.ndarray:
        if name in self.edges.column_names:
            return self.edges.column(name).fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        return np.zeros(self.edges.num_rows, dtype=bool)

    # -- building -------------------------------------------------------------------
    @classmethod
    def from_networkx(cls, g: nx.MultiDiGraph) -> Topology:
        """The arrays of a projection; edge keys become the ``id`` column."""
        nodes = pa.Table.from_pylist(
            [{"id": str(n), "label": d.get("label"), "name": d.get("name", n)} for n, d in g.nodes(data=True)],
            schema=NODE_COLUMNS,
        )
        return cls(
            nodes, edge_table([{**d, "id": k, "start": a, "end": b} for a, b, k, d in g.edges(keys=True, data=True)])
        )

    # -- lookups --------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.nodes.num_rows

    def index(self, node_id: str) -> int:
        """The position of a node id; :class:`NodeNotFound` when absent."""
        i = pc.index(self.nodes.column("id"), node_id).as_py()
        if i < 0:
            raise NodeNotFound(f"no entity with id {node_id!r}")
        return int(i)

    def indices(self, node_ids: Iterable[str]) -> np.ndarray:
        """Positions of the given ids that exist, in no particular order."""
        pos = _positions(pa.array(list(node_ids), pa.string()), self.nodes.column("id"))
        return pos[pos >= 0]

    def id(self, i: int) -> str:
        return str(self.nodes.column("id")[i].as_py())

    def name(self, i: int) -> str:
        value = self.nodes.column("name")[i].as_py()
        return str(value) if value is not None else self.id(i)

    def edge(self, j: int) -> dict[str, Any]:
        """Every non-null property of edge ``j``, with ``type``, ``start`` and ``end``."""
        return {k: v[0] for k, v in self.edges.slice(j, 1).to_pydict().items() if v[0] is not None}

    def type_mask(self, types: Iterable[str] | None) -> np.ndarray:
        """A boolean mask over edges: True where the edge's type is in ``types`` (all when None)."""
        if types is None:
            return np.ones(len(self.rtype), dtype=bool)
        codes = [i for i, t in enumerate(self.types) if t in set(types)]
        return np.isin(self.rtype, codes)

    def csr(self, directed: bool, types: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Adjacency as ``(indptr, neighbour, edge)``: the neighbours of ``i`` are
        ``neighbour[indptr[i]:indptr[i+1]]``, reached through edges ``edge[...]``.

        Undirected adjacency lists every edge at both ends. Self-loops are left out.
        """
        return self._adjacency("out" if directed else "both", types)

    def reverse_csr(self, types: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed adjacency against the edges' direction: the predecessors of each node."""
        return self._adjacency("in", types)

    def _adjacency(self, direction: str, types: Iterable[str] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (direction, frozenset(types) if types is not None else None)
        if key not in self._csr:
            keep = np.flatnonzero(self.type_mask(types) & (self.src != self.dst))
            a, b, e = self.src[keep], self.dst[keep], keep
            if direction == "in":
                a, b = b, a
            elif direction == "both":
                a, b, e = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([e, e])
            self._csr[key] = _build_csr(self.n, a, b, e)
        return self._csr[key]


NODE_COLUMNS = pa.schema([("id", pa.string()), ("label", pa.string()), ("name", pa.string())])


@cache
def edge_columns() -> pa.Schema:
    """``start``, ``end``, ``type`` and every relationship property of graph/schema.yaml, typed as it says.

    The columns of an edge table come from the schema, never from the rows: a
    table inferred from its first row loses every property that row lacks,
    which once dropped the ``share`` of every ``OWNS`` edge after one without.
    """
    fields = {"start": pa.string(), "end": pa.string(), "type": pa.string()}
    for rel in load_schema().relationships.values():
        for name, spec in rel.properties.items():
            fields.setdefault(name, ARROW_TYPES[spec.type])
    return pa.schema(list(fields.items()))


def edge_table(rows: list[dict[str, Any]], properties: Iterable[str] | None = None) -> pa.Table:
    """Edge dicts (``start``, ``end``, ``type`` and properties) as one table with the schema's columns.

    ``properties`` keeps only those property columns (``id`` always comes);
    None keeps them all. Keys outside the schema are left out.
    """
    columns = edge_columns()
    if properties is not None:
        keep = {"start", "end", "type", "id", *properties}
        columns = pa.schema([f for f in columns if f.name in keep])
    return pa.Table.from_pylist(rows, schema=columns)


def conform(table: pa.Table, columns: pa.Schema) -> pa.Table:
    """``table`` with exactly the given columns, in order: missing ones null, each cast to its type."""
    n = table.num_rows
    return pa.table(
        [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(n, f.type) for f in columns],
        schema=columns,
    )


def _positions(values: pa.Array | pa.ChunkedArray, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The index of each value in ``ids`` (-1 when absent), hashed by Arrow."""
    pos = pc.index_in(values, value_set=ids)
    return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _build_csr(n: int, a: np.ndarray, b: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    return indptr, b[order], e[order]


def gather(indptr: np.ndarray, frontier: np.ndarray) -> np.ndarray:
    """The CSR slots of every node in ``frontier``, concatenated, without a Python loop."""
    starts, ends = indptr[frontier], indptr[frontier + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return offsets + np.arange(total)


def bfs_distances(indptr: np.ndarray, neighbour: np.ndarray, source: int, depth: int) -> np.ndarray:
    """Hop distances from ``source`` up to ``depth`` (``depth + 1`` marks beyond), level by level."""
    far = depth + 1
    dist = np.full(len(indptr) - 1, far, dtype=np.int32)
    dist[source] = 0
    frontier = np.array([source], dtype=np.int64)
    for level in range(1, depth + 1):
        reached = neighbour[gather(indptr, frontier)]
        reached = reached[dist[reached] == far]
        if reached.size == 0:
            break
        dist[reached] = level  # duplicates write the same value
        # The next frontier without duplicates: a sort when small, one pass over the distances when large.
        frontier = np.unique(reached) if reached.size < 4096 else np.flatnonzero(dist == level)
    return dist
