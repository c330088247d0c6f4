"""The store interface that both backends implement, and the logic they share.

A backend supplies a handful of primitives (read query, atomic write, incident
edges, all edges, counts). Neighbourhoods, projections and as-of filtering are
written once here, so the embedded store and Neo4j give the same answers.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Self

import networkx as nx
import pyarrow as pa

from graph.analytics.topology import NODE_COLUMNS, Topology, edge_table
from graph.errors import AmbiguousName, NodeNotFound
from graph.model import Batch, paused_gc
from graph.schema import UNKNOWN, Schema, fact_dating, fact_start, load_schema
from graph.settings import QueryLimits
from graph.store.worker import QueryRunner


@dataclass
class QueryResult:
    """Rows of a read query. ``truncated`` says a cap cut the result: ``truncated_by`` names it
    ("rows" or "bytes"), and ``cut_cells`` counts cells cut at the cell cap."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    limit: int | None = None
    elapsed: float = 0.0
    truncated_by: str = ""
    cut_cells: int = 0
    timeout: float | None = None

    def caveats(self, cell_chars: int) -> list[str]:
        """What the caps cut, in words a person can act on (empty when nothing was cut)."""
        out = []
        if self.truncated_by == "bytes":
            out.append(f"Truncated: showing the first {len(self.rows):,} rows, the most data one query may return.")
        elif self.truncated:
            out.append(f"Truncated: showing the first {self.limit:,} rows.")
        if self.cut_cells:
            out.append(f"{self.cut_cells:,} long values were cut at {cell_chars:,} characters (or list items).")
        return out

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass
class Subgraph:
    """Nodes and edges around a focus, with how many neighbours the cap left out."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)
    total_neighbours: int = 0
    shown_neighbours: int = 0
    # The direct (one-hop) neighbours: what ``offset`` pages through, whatever the hops.
    direct_total: int = 0
    direct_shown: int = 0
    # Ids of the undated facts an as-of read with ``undated=False`` left out (see :func:`valid_on`).
    undated_left_out: set[str] = field(default_factory=set)

    @property
    def truncated(self) -> bool:
        return self.shown_neighbours < self.total_neighbours


@dataclass
class WriteResult:
    """What an atomic write did."""

    nodes_created: int = 0
    nodes_updated: int = 0
    edges_created: int = 0
    edges_updated: int = 0


# The Cypher form of :func:`valid_on`, for a relationship ``r`` and a parameter ``$as_of``; with a ``year``
# property, a fact known only by its year starts on 1 January of it (parameter ``$as_of_year``).
VALID_ON = "(r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR r.valid_to >= $as_of)"
VALID_ON_YEAR = (
    "((r.valid_from IS NULL AND (r.year IS NULL OR r.year <= $as_of_year)) OR r.valid_from <= $as_of)"
    " AND (r.valid_to IS NULL OR r.valid_to >= $as_of)"
)


def valid_on(props: Mapping[str, Any], as_of: dt.date | None, undated: bool = True, rel_type: str = "") -> bool:
    """True when a relationship holds on ``as_of``: start <= as_of <= valid_to, nulls open.

    The start is :func:`~graph.schema.fact_start` (a year alone starts on its
    1 January). ``undated=False`` also drops facts whose date is unknown (not
    those of a timeless type): what an as-of picture leaves out by default.
    Analyses keep ``undated=True``: an undated listing is still a listing.
    """
    if as_of is None and undated:
        return True
    start, vt = fact_start(props), props.get("valid_to")
    if not undated and fact_dating(rel_type or props.get("_type", ""), props) == UNKNOWN:
        return False
    return as_of is None or ((start is None or start <= as_of) and (vt is None or vt >= as_of))


def clean(value: Any) -> Any:
    """Drop null properties and turn driver-specific dates into ``datetime.date``."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


Incident = Callable[[list[str]], Iterable[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]]


def grow(
    focus: dict[str, Any],
    incident: Incident,
    hops: int,
    labels: Iterable[str] | None,
    types: Iterable[str] | None,
    as_of: dt.date | None,
    limit: int,
    offset: int,
    undated: bool,
) -> Subgraph:
    """The breadth-first walk of :meth:`GraphStore.neighbourhood` from ``focus``, hop by hop.

    ``incident(ids)`` gives every relationship touching ``ids`` as (start node, relationship, end node), each a
    dict with ``id`` (nodes also ``_label`` and ``name``, relationships ``_type``): read from the store or
    from a projection in memory, the walk and its answer are the same.
    """
    node_id = focus["id"]
    keep_labels = set(labels) if labels else None
    keep_types = set(types) if types else None
    sub = Subgraph(nodes={node_id: focus})
    frontier = [node_id]
    depth = {node_id: 0}
    for hop in range(1, hops + 1):
        found: dict[str, dict[str, Any]] = {}
        for a, rel, b in incident(frontier):
            if keep_types and rel["_type"] not in keep_types:
                continue
            if not valid_on(rel, as_of):
                continue
            if not valid_on(rel, as_of, undated):
                sub.undated_left_out.add(rel["id"])
                continue
            for end in (a, b):
                new = end["id"] not in depth and end["id"] not in found
                if new and (keep_labels is None or end["_label"] in keep_labels):
                    found[end["id"]] = end
            # Kept provisionally; the filter at the end drops ends beyond the cap or the label filter.
            sub.nodes.setdefault(a["id"], a)
            sub.nodes.setdefault(b["id"], b)
            sub.edges[rel["id"]] = {**rel, "_start": a["id"], "_end": b["id"]}
        sub.total_neighbours += len(found)
        room = max(limit - sub.shown_neighbours, 0)
        skip = offset if hop == 1 else 0
        ordered = sorted(found.values(), key=lambda n: (str(n.get("name", "")).lower(), n["id"]))
        kept = ordered[skip : skip + room]
        for n in kept:
            depth[n["id"]] = hop
        sub.shown_neighbours += len(kept)
        if hop == 1:
            sub.direct_total, sub.direct_shown = len(found), len(kept)
        frontier = [n["id"] for n in kept]
        if not frontier:
            break
    sub.nodes = {i: n for i, n in sub.nodes.items() if i in depth}
    sub.edges = {i: e for i, e in sub.edges.items() if e["_start"] in depth and e["_end"] in depth}
    return sub


def _incident_in(g: nx.MultiDiGraph, ids: list[str]) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """Every relationship of ``g`` touching ``ids``, once each, shaped as a store's :meth:`_incident` rows."""
    seen: set[str] = set()

    def node(i: str) -> dict[str, Any]:
        d = g.nodes[i]
        return {"id": i, "_label": d.get("label"), "name": d.get("name")}

    for i in ids:
        if i not in g:
            continue
        for a, b, key, data in [*g.out_edges(i, keys=True, data=True), *g.in_edges(i, keys=True, data=True)]:
            if key in seen:
                continue
            seen.add(key)
            rel = {k: v for k, v in data.items() if k not in ("type", "dating")}
            rel["_type"] = data["type"]
            yield node(a), rel, node(b)


class GraphStore(ABC):
    """One interface, two backends: :class:`EmbeddedStore` and :class:`Neo4jStore`."""

    kind: str = ""

    def __init__(self, schema: Schema | None = None, limits: QueryLimits | None = None):
        self.schema = schema or load_schema()
        self.limits = limits or QueryLimits()
        self._query_runners: dict[QueryLimits, QueryRunner] = {}

    # -- what a backend provides ---------------------------------------------
    @abstractmethod
    def describe(self) -> str:
        """Where the store is, without credentials: a file path or a Neo4j URI."""

    @abstractmethod
    def exists(self) -> bool:
        """True when the store has been created (has a schema)."""

    @abstractmethod
    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        """Map the given ids that exist to their labels."""

    @abstractmethod
    def write(self, batch: Batch, replace: bool = False) -> WriteResult:
        """Upsert a validated batch atomically, keyed by id; ``replace`` empties the store first."""

    @abstractmethod
    def _rows(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        """Every row of a trusted read query (constant text written in this project), in this process."""

    @abstractmethod
    def _worker_spec(self) -> dict[str, Any]:
        """What a query worker needs to open this store (see :mod:`graph.store.worker`)."""

    @abstractmethod
    def _incident(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        """Every (start node, relationship, end node) touching the ids; each a dict with
        ``_label`` or ``_type`` plus its properties."""

    @abstractmethod
    def _among(self, ids: list[str]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
        """Every (start node, relationship, end node) with both ends among the ids, shaped as :meth:`_incident`.

        Unlike :meth:`_incident` it never reads a hub's whole neighbourhood: a
        picture that holds a list with 14,000 members asks only for the edges it draws."""

    @abstractmethod
    def _all_edges(self, types: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
        """Every edge of the given types as (start id, end id, type, properties)."""

    @abstractmethod
    def _all_nodes(self) -> list[tuple[str, str, str]]:
        """Every node as (id, label, name)."""

    @abstractmethod
    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Node counts per label and relationship counts per type."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every node and relationship (the schema stays)."""

    @abstractmethod
    def _close(self) -> None:
        """Release the backend's connections and file handles."""

    def close(self) -> None:
        """Release connections and file handles, and stop idle query workers."""
        runners, self._query_runners = self._query_runners, {}
        for runner in runners.values():
            runner.close()
        self._close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Keep other writers out while a batch is validated against the store and written.

        Validation asks the store which ids exist (:meth:`labels_of`); without
        the lock, two imports at once could each find an id free and write it
        under two labels. Use it around ``validate(..., store.labels_of)`` and
        :meth:`write`. The embedded store holds its file lock; Neo4j needs no
        lock here, as its constraint on :data:`graph.schema.ENTITY` refuses the
        second label at commit.
        """
        yield

    # -- shared logic ------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        limit: int | None = None,
        limits: QueryLimits | None = None,
    ) -> QueryResult:
        """Run an untrusted read query (the console's, a link's, ``python -m graph query``'s).

        The store plans it and the plan must read (:mod:`graph.store.guard`);
        it runs in a worker process with the time limit, row cap and memory
        cap of ``limits`` (the store's own by default; ``timeout`` and
        ``limit`` override two of them), so a crash or a runaway stops the
        query and nothing else. Raises :class:`WriteRefused`,
        :class:`QueryTimeout`, :class:`QueryTooLarge`, :class:`QueryCrashed`
        or :class:`QueryError`.
        """
        limits = limits or self.limits
        runner = self._runner(limits)
        reply, timeout, limit = runner.run(cypher, params, timeout, limit)
        return QueryResult(
            reply.columns,
            reply.rows,
            bool(reply.truncated),
            limit,
            reply.elapsed,
            reply.truncated,
            reply.cut_cells,
            timeout,
        )

    def _runner(self, limits: QueryLimits) -> QueryRunner:
        """The workers for queries under ``limits`` (the store's own, or a link's lower ones)."""
        runner = self._query_runners.get(limits)
        return runner or self._query_runners.setdefault(limits, QueryRunner(self._worker_spec(), limits))

    def read(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[list[Any]]:
        """Every row of a read query whose text is written in this project, never a user's.

        It runs in this process with no guard or cap, for the project's own
        analyses; anything a person typed or a link carries goes through
        :meth:`query`.
        """
        return self._rows(cypher, params)

    def upsert(self, batch: Batch) -> WriteResult:
        """Idempotent batched upsert of nodes and relationships, keyed by id."""
        return self.write(batch)

    def node(self, node_id: str) -> dict[str, Any] | None:
        """One node's properties with its ``_label``, or None."""
        label = self.labels_of([node_id]).get(node_id)
        if label is None:
            return None
        rows = self._rows(self.schema.match_by_id(label) + " RETURN n LIMIT 1", {"id": node_id})
        return rows[0][0] if rows else None

    def nodes(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The nodes among ``ids`` that exist, by id, each as :meth:`node` gives it: one lookup of
        labels and one query per label found, however many ids."""
        by_label: dict[str, list[str]] = {}
        for node_id, label in self.labels_of(ids).items():
            by_label.setdefault(label, []).append(node_id)
        out = {}
        for label, wanted in by_label.items():
            # Labels come from the schema, via labels_of.
            for (n,) in self._rows("MATCH (n:" + label + ") WHERE n.id IN $ids RETURN n", {"ids": wanted}):
                out[n["id"]] = n
        return out

    def entities(self) -> list[tuple[str, str, str, list[str]]]:
        """Every entity except sources and detail records (one patent) as (id, label, name, aliases): what
        names and searches match."""
        out = []
        for label, spec in self.schema.labels.items():
            if label == "Source" or spec.detail:
                continue
            # Labels come from the schema (a label cannot be a query parameter).
            alias = ", n.aliases" if "aliases" in spec.properties else ""
            for row in self._rows("MATCH (n:" + label + ") RETURN n.id, n.name" + alias):
                out.append((row[0], label, row[1], list(row[2] or []) if alias else []))
        return out

    def resolve(self, text: str) -> str:
        """The id of the entity named by ``text``: an id, a name or an alias, case-insensitively.

        Raises :class:`NodeNotFound`, or :class:`AmbiguousName` listing the candidates.
        """
        if self.labels_of([text]):
            return text
        wanted = text.strip().lower()
        exact = [
            (node_id, label, name)
            for node_id, label, name, aliases in self.entities()
            if node_id.lower() == wanted or any(n.lower() == wanted for n in [name or "", *aliases])
        ]
        if not exact:
            raise NodeNotFound(f"no entity with id, name or alias {text!r}")
        if len(exact) > 1:
            raise AmbiguousName(text, sorted(exact))
        return exact[0][0]

    def neighbourhood(
        self,
        node_id: str,
        hops: int = 1,
        labels: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        limit: int = 150,
        offset: int = 0,
        undated: bool = True,
        within: nx.MultiDiGraph | None = None,
    ) -> Subgraph:
        """The nodes within ``hops`` of ``node_id``, filtered by label, type and as-of date.

        ``undated=False`` leaves out facts whose date is unknown and records
        their ids in ``undated_left_out`` (the caption counts them).

        At most ``limit`` neighbours are kept (nearest first, then by name); the
        result says how many there were in all. ``offset`` pages through the
        direct neighbours: the first ``offset`` of them, in that order, are
        skipped, and further hops grow from the page shown (``direct_total``
        and ``direct_shown`` count them, for paging).

        ``within``, a :meth:`projection` on ``as_of`` with undated facts kept, is walked instead of the
        store, and only the nodes kept are read from the store: the same answer in milliseconds where the
        app holds the projection anyway (the store's walk reads every relationship of a hub on the way).
        """
        focus = self.node(node_id)
        if focus is None:
            raise NodeNotFound(f"no entity with id {node_id!r}")
        if within is None:
            return grow(focus, self._incident, hops, labels, types, as_of, limit, offset, undated)
        sub = grow(focus, partial(_incident_in, within), hops, labels, types, as_of, limit, offset, undated)
        full = self.nodes(i for i in sub.nodes if i != node_id)
        sub.nodes = {i: full.get(i, n) for i, n in sub.nodes.items()}
        return sub

    def subgraph(
        self,
        ids: Iterable[str],
        types: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        undated: bool = True,
    ) -> Subgraph:
        """The given nodes and the relationships among them (of ``types``, valid on ``as_of``), with all properties.

        For pictures composed from a chosen set of entities, such as the seed
        story; a node without a relationship in the set is fetched alone.
        ``undated=False`` leaves out facts with no known date, and records in
        ``undated_left_out`` those among the set.
        """
        order = list(dict.fromkeys(ids))
        keep_types = set(types) if types else None
        sub = Subgraph()
        for a, rel, b in self._among(order) if order else []:
            for end in (a, b):
                sub.nodes.setdefault(end["id"], end)
            if valid_on(rel, as_of) and (keep_types is None or rel["_type"] in keep_types):
                if not valid_on(rel, as_of, undated):
                    # An undated fact among the entities drawn: left out, and counted for the caption.
                    sub.undated_left_out.add(rel["id"])
                else:
                    sub.edges[rel["id"]] = {**rel, "_start": a["id"], "_end": b["id"]}
        sub.nodes.update(self.nodes(i for i in order if i not in sub.nodes))
        return sub

    def projection(
        self, types: Iterable[str] | None = None, as_of: dt.date | None = None, undated: bool = True
    ) -> nx.MultiDiGraph:
        """All nodes and the edges of ``types`` valid on ``as_of``, as a networkx multigraph.

        Nodes carry ``label`` and ``name``; edges are keyed by their id and carry
        ``type``, every property and ``dating`` (:func:`~graph.schema.fact_dating`).
        Undated facts are kept unless ``undated=False``: analyses count an
        undated listing, flagged; pictures leave it out by default. The graph's
        ``undated_left_out`` attribute counts what ``undated=False`` dropped.
        """
        wanted = list(types) if types else list(self.schema.relationships)
        g = nx.MultiDiGraph(undated=undated, undated_left_out=0)
        with paused_gc():  # millions of small dicts and no cycles: collections would take half the time
            g.add_nodes_from((node_id, {"label": label, "name": name}) for node_id, label, name in self._all_nodes())
            for start, end, rel_type, props in self._all_edges(wanted):
                if valid_on(props, as_of):
                    if not valid_on(props, as_of, undated, rel_type):
                        g.graph["undated_left_out"] += 1
                        continue
                    g.add_edge(start, end, key=props["id"], type=rel_type, dating=fact_dating(rel_type, props), **props)
        return g

    def topology(
        self,
        types: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        properties: Iterable[str] | None = None,
    ) -> Topology:
        """:meth:`projection` as arrays, for the ownership and path engines on large graphs.

        ``properties`` limits the edge columns read (``id`` always comes);
        None reads them all. Backends override this with a columnar read;
        this version builds it from the same rows as the projection.
        """
        wanted = list(types) if types else list(self.schema.relationships)
        nodes = pa.Table.from_pylist(
            [{"id": i, "label": lab, "name": n} for i, lab, n in self._all_nodes()], schema=NODE_COLUMNS
        )
        rows = [
            {**props, "start": a, "end": b, "type": t}
            for a, b, t, props in self._all_edges(wanted)
            if valid_on(props, as_of)
        ]
        return Topology(nodes, edge_table(rows, properties))

    def stats(self) -> dict[str, Any]:
        """Counts per label and type, and the sources loaded with how many nodes and relationships cite each."""
        nodes, rels = self.counts()
        sources = self._rows(
            "MATCH (s:Source) RETURN s.id, s.publisher, s.title, s.date, s.url, s.license ORDER BY s.id"
        )
        cited: dict[str, int] = {}
        for _, _, _, props in self._all_edges(list(self.schema.relationships)):
            for sid in props.get("sources", []):
                cited[sid] = cited.get(sid, 0) + 1
        # Nodes cite sources too (a country cites pycountry, a control its order); a Source cites itself, not counted.
        cited_nodes: dict[str, int] = {}
        for label in self.schema.labels:
            if label == "Source" or not nodes.get(label):
                continue
            # Labels come from the schema.
            for (ids,) in self._rows("MATCH (n:" + label + ") RETURN n.sources"):
                for sid in ids or []:
                    cited_nodes[sid] = cited_nodes.get(sid, 0) + 1
        return {
            "store": self.describe(),
            "nodes": nodes,
            "relationships": rels,
            "total_nodes": sum(nodes.values()),
            "total_relationships": sum(rels.values()),
            "sources": [
                dict(
                    zip(("id", "publisher", "title", "date", "url", "license"), row),
                    relationships_citing=cited.get(row[0], 0),
                    nodes_citing=cited_nodes.get(row[0], 0),
                )
                for row in sources
            ],
        }

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
