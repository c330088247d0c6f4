"""Canonical records, deterministic ids and whole-batch validation.

Every loader, the curated data and ``python -m graph import`` produce the same
two record kinds, :class:`NodeRecord` and :class:`EdgeRecord`. A batch is
validated as a whole against the schema and the store it will be written to
(:func:`validate`), so a batch either goes in entirely or not at all.

>>> make_id("cset", "P159")
'cset-305b0e77a300'
>>> edge_id("OWNS", "a", "b", None)
'OWNS-f576d666b7258363'
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import pyarrow as pa

from graph.errors import Problem, ValidationError
from graph.schema import PropertySpec, Schema, load_schema


def _digest(*parts: object, length: int) -> str:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def make_id(prefix: str, *parts: object) -> str:
    """A stable id: the source prefix plus a hash of the identifying fields."""
    return f"{prefix}-{_digest(*parts, length=12)}"


def edge_id(rel_type: str, start: str, end: str, valid_from: object) -> str:
    """The id of a relationship that has none of its own: type, ends and start date."""
    return f"{rel_type}-{_digest(start, end, valid_from, length=16)}"


@dataclass(slots=True)
class NodeRecord:
    """A node: its label and its properties (``id``, ``name``, ``sources`` among them)."""

    label: str
    props: dict[str, Any]
    origin: tuple[str, int] = ("", 0)  # file and line it came from, for messages

    @property
    def id(self) -> str:
        return self.props["id"]


@dataclass(slots=True)
class EdgeRecord:
    """A relationship between two node ids, with its properties (``id`` among them)."""

    type: str
    start: str
    end: str
    props: dict[str, Any]
    origin: tuple[str, int] = ("", 0)
    start_label: str = ""  # filled by validate()
    end_label: str = ""

    @property
    def id(self) -> str:
        return self.props["id"]


ARROW_TYPES = {
    "string": pa.string(),
    "string[]": pa.list_(pa.string()),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


def arrow_columns(specs: Mapping[str, PropertySpec], props: list[dict[str, Any]]) -> dict[str, pa.Array]:
    """Arrow columns, in schema order, for a list of property dicts.

    Properties no record carries become all-null columns without a pass over
    the records: most of the schema's optional properties are absent in bulk data.
    """
    present = set(chain.from_iterable(props))
    return {
        name: pa.array([p.get(name) for p in props], type=ARROW_TYPES[spec.type])
        if name in present
        else pa.nulls(len(props), type=ARROW_TYPES[spec.type])
        for name, spec in specs.items()
    }


@dataclass
class Batch:
    """A validated set of records ready for a store. Build it with :func:`validate`.

    Stores consume it as Arrow tables, one per label and one per
    (type, start label, end label), with columns in schema order; edge tables
    start with ``from`` and ``to`` ids. A bulk import may supply the tables
    directly (:class:`TableBatch`), and a build adds the validated tables of
    its bulk sources (``bulk_nodes``, ``bulk_edges``: :mod:`graph.bulk`),
    which come after the records' rows of the same label or type.
    """

    nodes: list[NodeRecord] = field(default_factory=list)
    edges: list[EdgeRecord] = field(default_factory=list)
    bulk_nodes: dict[str, pa.Table] = field(default_factory=dict)
    bulk_edges: dict[tuple[str, str, str], pa.Table] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "nodes": len(self.nodes) + sum(t.num_rows for t in self.bulk_nodes.values()),
            "edges": len(self.edges) + sum(t.num_rows for t in self.bulk_edges.values()),
        }

    def node_tables(self, schema: Schema) -> dict[str, pa.Table]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for n in self.nodes:
            groups[n.label].append(n.props)
        tables = {
            label: pa.table(arrow_columns(schema.labels[label].properties, rows)) for label, rows in groups.items()
        }
        return _with_bulk(tables, self.bulk_nodes)

    def edge_tables(self, schema: Schema) -> dict[tuple[str, str, str], pa.Table]:
        groups: dict[tuple[str, str, str], list[EdgeRecord]] = defaultdict(list)
        for e in self.edges:
            groups[(e.type, e.start_label, e.end_label)].append(e)
        tables = {
            key: pa.table(
                {
                    "from": pa.array([e.start for e in recs], pa.string()),
                    "to": pa.array([e.end for e in recs], pa.string()),
                    **arrow_columns(schema.relationships[key[0]].properties, [e.props for e in recs]),
                }
            )
            for key, recs in groups.items()
        }
        return _with_bulk(tables, self.bulk_edges)

    def node_props(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(label, properties) of every node, records and bulk rows alike (for checks, not for speed)."""
        for n in self.nodes:
            yield n.label, n.props
        for label, table in self.bulk_nodes.items():
            for row in table.to_pylist():
                yield label, {k: v for k, v in row.items() if v is not None}


def _with_bulk(tables: dict[Any, pa.Table], bulk: Mapping[Any, pa.Table]) -> dict[Any, pa.Table]:
    for key, table in bulk.items():
        tables[key] = pa.concat_tables([tables[key], table]) if key in tables else table
    return tables


@dataclass
class TableBatch(Batch):
    """A validated batch that arrives as Arrow tables (see :mod:`graph.columnar`)."""

    tables_of_nodes: dict[str, pa.Table] = field(default_factory=dict)
    tables_of_edges: dict[tuple[str, str, str], pa.Table] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "nodes": sum(t.num_rows for t in self.tables_of_nodes.values()),
            "edges": sum(t.num_rows for t in self.tables_of_edges.values()),
        }

    def node_tables(self, schema: Schema) -> dict[str, pa.Table]:
        return self.tables_of_nodes

    def edge_tables(self, schema: Schema) -> dict[tuple[str, str, str], pa.Table]:
        return self.tables_of_edges


def source_node(raw: Mapping[str, Any], origin: tuple[str, int] = ("", 0)) -> NodeRecord:
    """Turn a ``sources.jsonl`` object into a ``Source`` node that cites itself."""
    props = dict(raw)
    props.setdefault("name", props.get("title"))
    props.setdefault("sources", [props.get("id")])
    return NodeRecord("Source", props, origin)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small records are built.

    The records hold no cycles; without the pause, collections triggered by
    allocation take about a third of a large import's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate(
    nodes: Iterable[NodeRecord],
    edges: Iterable[EdgeRecord],
    existing_labels: Callable[[Iterable[str]], Mapping[str, str]] = lambda ids: {},
    schema: Schema | None = None,
    max_problems: int = 50,
) -> Batch:
    """Check a batch against the schema and the store; raise :class:`ValidationError` on any problem.

    ``existing_labels`` maps ids already in the store to their labels, so that
    edges and source citations may point at nodes written earlier. Node and edge
    properties are normalised (dates become ``datetime.date``) and edges get
    their deterministic id when they have none.
    """
    schema = schema or load_schema()
    problems: list[Problem] = []

    def report(origin: tuple[str, int], message: str) -> None:
        problems.append(Problem(origin[0], origin[1], message))

    batch = Batch()
    labels: dict[str, str] = {}
    first_seen: dict[str, tuple[str, int]] = {}
    for rec in nodes:
        props, errs = schema.check_node_props(rec.label, rec.props)
        for e in errs:
            report(rec.origin, e)
        node_id = props.get("id")
        if isinstance(node_id, str) and node_id:
            if node_id in first_seen:
                f, ln = first_seen[node_id]
                report(rec.origin, f"duplicate node id {node_id!r} (first at {f}:{ln})")
            first_seen.setdefault(node_id, rec.origin)
            labels[node_id] = rec.label
        if not errs:
            batch.nodes.append(NodeRecord(rec.label, props, rec.origin))

    edge_list = list(edges)
    wanted = {e.start for e in edge_list} | {e.end for e in edge_list}
    for rec in batch.nodes:
        wanted.update(rec.props.get("sources") or [])
    for rec in edge_list:
        cited = rec.props.get("sources")
        if isinstance(cited, list):
            wanted.update(cited)
    # Ask the store about ids the batch refers to but lacks, and about the batch's own
    # ids: an id is unique across labels, so one stored under another label is a clash.
    asked = [i for i in wanted if isinstance(i, str) and i not in labels] + list(labels)
    stored = dict(existing_labels(asked)) if asked else {}
    for node_id, label in stored.items():
        if node_id in labels and labels[node_id] != label:
            report(first_seen[node_id], f"node {node_id!r} is a {label} in the store, not a {labels[node_id]}")
    known = {**stored, **labels}

    verdicts: dict[tuple[str, ...], list[str]] = {}  # most records cite the same few source lists

    def check_sources(origin: tuple[str, int], sources: Any) -> None:
        key = tuple(sources or ())
        found = verdicts.get(key)
        if found is None:
            found = verdicts[key] = [
                f"source {sid!r} {'is not a Source' if sid in known else 'does not exist'}; add it to sources.jsonl"
                for sid in key
                if known.get(sid) != "Source"
            ]
        for message in found:
            report(origin, message)

    for rec in batch.nodes:
        if rec.label != "Source":
            check_sources(rec.origin, rec.props.get("sources"))

    edge_seen: dict[str, tuple[str, int]] = {}
    for rec in edge_list:
        start_label, end_label = known.get(rec.start), known.get(rec.end)
        if start_label is None:
            report(rec.origin, f"dangling edge: start node {rec.start!r} does not exist")
        if end_label is None:
            report(rec.origin, f"dangling edge: end node {rec.end!r} does not exist")
        values = rec.props
        if not values.get("id"):
            values = {**values, "id": edge_id(rec.type, rec.start, rec.end, values.get("valid_from"))}
        props, errs = schema.check_edge_props(rec.type, values, start_label, end_label)
        for e in errs:
            report(rec.origin, e)
        check_sources(rec.origin, props.get("sources"))
        if errs or start_label is None or end_label is None:
            continue
        if props["id"] in edge_seen:
            f, ln = edge_seen[props["id"]]
            report(rec.origin, f"duplicate edge id {props['id']!r} (first at {f}:{ln})")
        edge_seen.setdefault(props["id"], rec.origin)
        batch.edges.append(EdgeRecord(rec.type, rec.start, rec.end, props, rec.origin, start_label, end_label))
    if problems:
        problems.sort(key=lambda p: (p.file, p.line))
        raise ValidationError(problems[:max_problems])
    return batch
