"""Bulk rows: the records of sources with millions of them (GLEIF's golden copy, PatentsView), as Arrow columns.

A Python dict per record costs about a kilobyte: 3 million LEIs and a million
patents would take 5 GB before the build had done anything. A loader whose
:class:`~loaders.base.SourceInfo` says ``bulk=True`` emits through the same
``ctx.node`` and ``ctx.edge`` calls, and its context keeps the rows in Arrow
record batches of :data:`CHUNK` rows (:class:`BulkWriter`), one table per
label and per relationship type, each row with the file and line it came from.

The build's steps take these :class:`Part` s beside the records, and only the
rows a step must look at one by one ever become records again:

* :func:`absorb`, before ``merge``: a row that shares its id or an ``xref``
  with a record, or with another bulk row, becomes a record, so the merge rules
  (earlier loaders win, lists are unioned) apply to it exactly as before;
* :func:`repoint`: relationships follow the ids that merging and resolution
  mapped away, and those that became loops are dropped;
* :func:`take`: rows the resolver joins to another record become records;
* :func:`check`: column-wise validation (the checks of :mod:`graph.columnar`).
  A table it cannot vouch for is validated as records instead, and that names
  each problem with its file and line;
* the validated tables go to the store beside the records' tables (:class:`~graph.model.Batch`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.columnar import Doubt, check_group, require
from graph.model import ARROW_TYPES, Batch, EdgeRecord, NodeRecord, edge_id, validate
from graph.schema import PropertySpec, Schema, load_schema

CHUNK = 50_000  # rows per record batch: a few MB of transient Python objects at a time
FILE, LINE = "__file", "__line"
_TYPES = {**ARROW_TYPES, "date": pa.string()}  # dates stay ISO text until check() parses them


@dataclass
class Part:
    """One bulk loader's rows: node tables by label, relationship tables by type (``from``, ``to`` first).

    ``after`` and ``edges_after`` are how many record nodes and edges precede
    this loader's in load order (set by the build), which is where its rows
    rank when two records of one party meet.
    """

    source: str
    nodes: dict[str, pa.Table] = field(default_factory=dict)
    edges: dict[str, pa.Table] = field(default_factory=dict)
    after: int = 0
    edges_after: int = 0

    def rows(self) -> int:
        return sum(t.num_rows for t in self.nodes.values()) + sum(t.num_rows for t in self.edges.values())


class BulkWriter:
    """Collects a bulk loader's rows into Arrow record batches, in the schema's column types.

    A row the columns cannot hold as given (an unknown label, type or
    property, or a value of the wrong type) is kept as a record instead, so
    validation reports it with its file and line as it always has.
    """

    def __init__(self, source: str, schema: Schema | None = None, chunk: int = CHUNK):
        self.source = source
        self.schema = schema or load_schema()
        self.chunk = chunk
        self._rows: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
        self._batches: dict[tuple[str, str], list[pa.RecordBatch]] = defaultdict(list)
        self.nodes: list[NodeRecord] = []  # rows kept as records
        self.edges: list[EdgeRecord] = []

    def node(self, label: str, props: dict[str, Any], origin: tuple[str, int]) -> None:
        spec = self.schema.labels.get(label)
        if spec is None or not props.keys() <= spec.properties.keys():
            self.nodes.append(NodeRecord(label, props, origin))
            return
        self._add(("n", label), (props, origin))

    def edge(self, rel_type: str, start: str, end: str, props: dict[str, Any], origin: tuple[str, int]) -> None:
        spec = self.schema.relationships.get(rel_type)
        if spec is None or not props.keys() <= spec.properties.keys():
            self.edges.append(EdgeRecord(rel_type, start, end, props, origin))
            return
        if not props.get("id"):
            props["id"] = edge_id(rel_type, start, end, props.get("valid_from"))
        self._add(("e", rel_type), (props, origin, start, end))

    def _add(self, key: tuple[str, str], row: tuple[Any, ...]) -> None:
        rows = self._rows[key]
        rows.append(row)
        if len(rows) >= self.chunk:
            self._flush(key)

    def _specs(self, key: tuple[str, str]) -> Mapping[str, PropertySpec]:
        kind, name = key
        return (self.schema.labels[name] if kind == "n" else self.schema.relationships[name]).properties

    def _flush(self, key: tuple[str, str]) -> None:
        rows = self._rows.pop(key, [])
        if not rows:
            return
        specs = self._specs(key)
        props = [r[0] for r in rows]
        present: set[str] = set()
        for p in props:
            present.update(p)
        try:
            cols: dict[str, pa.Array] = {}
            if key[0] == "e":
                cols["from"] = pa.array([r[2] for r in rows], pa.string())
                cols["to"] = pa.array([r[3] for r in rows], pa.string())
            for name, spec in specs.items():
                kind = _TYPES[spec.type]
                if name not in present:
                    cols[name] = pa.nulls(len(rows), kind)
                    continue
                values = [p.get(name) for p in props]
                if spec.type == "date":
                    values = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
                elif spec.type == "int" and any(type(v) is bool for v in values):
                    raise pa.ArrowTypeError("a bool where a number belongs")
                cols[name] = pa.array(values, kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            # A value of the wrong type: as records, validation names it and its line.
            for r in rows:
                if key[0] == "n":
                    self.nodes.append(NodeRecord(key[1], r[0], r[1]))
                else:
                    self.edges.append(EdgeRecord(key[1], r[2], r[3], r[0], r[1]))
            return
        files = [r[1][0] for r in rows]
        cols[LINE] = pa.array([r[1][1] for r in rows], pa.int64())
        cols[FILE] = pa.array(files, pa.string()).dictionary_encode()
        self._batches[key].append(pa.record_batch(cols))

    def finish(self) -> Part:
        """Flush what is left and return the loader's tables."""
        for key in list(self._rows):
            self._flush(key)
        part = Part(self.source)
        for (kind, name), batches in sorted(self._batches.items()):
            table = pa.Table.from_batches(batches)
            (part.nodes if kind == "n" else part.edges)[name] = table
        self._batches.clear()
        return part


# -- rows as records ------------------------------------------------------------------------------


def _props(row: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, int]]:
    origin = (str(row.pop(FILE, "") or ""), int(row.pop(LINE, 0) or 0))
    return {k: v for k, v in row.items() if v is not None}, origin


def node_records(label: str, table: pa.Table) -> list[NodeRecord]:
    """Rows of a node table as records, with the file and line each came from."""
    out = []
    for row in table.to_pylist():
        props, origin = _props(row)
        out.append(NodeRecord(label, props, origin))
    return out


def edge_records(rel_type: str, table: pa.Table) -> list[EdgeRecord]:
    """Rows of a relationship table as records."""
    out = []
    for row in table.to_pylist():
        start, end = row.pop("from"), row.pop("to")
        props, origin = _props(row)
        out.append(EdgeRecord(rel_type, start, end, props, origin))
    return out


def _mask(n: int, rows: Iterable[int]) -> pa.Array:
    m = np.zeros(n, dtype=bool)
    m[np.fromiter(rows, dtype=np.int64)] = True
    return pa.array(m)


def _rows_with(column: pa.ChunkedArray, values: pa.Array) -> np.ndarray:
    """Indexes of the rows whose list ``column`` holds one of ``values``."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    hit = pc.is_in(pc.list_flatten(col), value_set=values)
    return np.unique(pc.list_parent_indices(col).to_numpy()[hit.to_numpy(zero_copy_only=False)])


def _repeated(arrays: Sequence[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """Values that occur more than once across ``arrays``."""
    chunks = [c for a in arrays for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
    if not chunks:
        return pa.array([], pa.string())
    counts = pc.value_counts(pa.chunked_array(chunks, pa.string()))
    return counts.field("values").filter(pc.greater(counts.field("counts"), 1))


def absorb(nodes: list[NodeRecord], edges: list[EdgeRecord], parts: Sequence[Part]) -> None:
    """Turn into records, in place, each bulk row that shares an id or an xref with a record or another row.

    Promoted rows join the records at their loader's place in load order, so
    :func:`graph.build.merge` gives them the precedence they always had.
    Afterwards every bulk id and xref is unique and no record has it.
    """
    record_ids = pa.array(list({n.id for n in nodes}), pa.string())
    record_xrefs = pa.array(list({x for n in nodes for x in n.props.get("xrefs") or []}), pa.string())
    record_edge_ids = pa.array(
        list({e.props.get("id") or edge_id(e.type, e.start, e.end, e.props.get("valid_from")) for e in edges}),
        pa.string(),
    )
    # Claimed: by a record, or by more than one bulk row.
    ids = pa.concat_arrays([record_ids, _repeated([t.column("id") for p in parts for t in p.nodes.values()])])
    xrefs = pa.concat_arrays(
        [
            record_xrefs,
            _repeated(
                [
                    pc.list_flatten(t.column("xrefs"))
                    for p in parts
                    for t in p.nodes.values()
                    if "xrefs" in t.column_names
                ]
            ),
        ]
    )
    edge_ids = pa.concat_arrays([record_edge_ids, _repeated([t.column("id") for p in parts for t in p.edges.values()])])
    shift_n = shift_e = 0
    for part in parts:
        part.after += shift_n
        part.edges_after += shift_e
        promoted_nodes: list[NodeRecord] = []
        for label, table in sorted(part.nodes.items()):
            hit = pc.is_in(table.column("id"), value_set=ids)
            rows = set(np.flatnonzero(hit.to_numpy(zero_copy_only=False)).tolist())
            if "xrefs" in table.column_names:
                rows.update(_rows_with(table.column("xrefs"), xrefs).tolist())
            if rows:
                mask = _mask(table.num_rows, rows)
                promoted_nodes += node_records(label, table.filter(mask))
                part.nodes[label] = table.filter(pc.invert(mask))
        promoted_edges: list[EdgeRecord] = []
        for rel_type, table in sorted(part.edges.items()):
            col = table.column("id")
            hit = pc.is_in(col, value_set=edge_ids)
            if pc.any(hit).as_py():
                promoted_edges += edge_records(rel_type, table.filter(hit))
                part.edges[rel_type] = table.filter(pc.invert(hit))
        nodes[part.after : part.after] = promoted_nodes
        edges[part.edges_after : part.edges_after] = promoted_edges
        part.after += len(promoted_nodes)
        part.edges_after += len(promoted_edges)
        shift_n += len(promoted_nodes)
        shift_e += len(promoted_edges)


def take(part: Part, label: str, rows: Iterable[int]) -> list[NodeRecord]:
    """Remove rows (by index) from one of the part's node tables and return them as records, in row order."""
    table = part.nodes[label]
    wanted = sorted(set(rows))
    if not wanted:
        return []
    mask = _mask(table.num_rows, wanted)
    out = node_records(label, table.filter(mask))
    part.nodes[label] = table.filter(pc.invert(mask))
    return out


def _replace(col: pa.ChunkedArray, keys: pa.Array, values: pa.Array) -> pa.ChunkedArray:
    index = pc.index_in(col, value_set=keys)
    return pc.if_else(pc.is_null(index), col, pc.take(values, pc.fill_null(index, 0)))


def repoint(parts: Sequence[Part], mapping: Mapping[str, str]) -> int:
    """Point bulk relationships at the ids ``mapping`` maps theirs to; drop those that became loops.

    Returns how many were dropped.
    """
    if not mapping:
        return 0
    keys = pa.array(list(mapping), pa.string())
    values = pa.array(list(mapping.values()), pa.string())
    dropped = 0
    for part in parts:
        for rel_type, table in list(part.edges.items()):
            start, end = table.column("from"), table.column("to")
            new_start, new_end = _replace(start, keys, values), _replace(end, keys, values)
            loop = pc.and_(pc.equal(new_start, new_end), pc.not_equal(start, end))
            table = table.set_column(0, "from", new_start).set_column(1, "to", new_end)
            n = pc.sum(loop).as_py() or 0
            if n:
                table = table.filter(pc.invert(loop))
                dropped += n
            part.edges[rel_type] = table
    return dropped


def labels_of(parts: Sequence[Part]) -> Callable[[Iterable[str]], dict[str, str]]:
    """A lookup of the bulk rows' labels by id, in the form :func:`graph.model.validate` asks the store."""

    def lookup(ids: Iterable[str]) -> dict[str, str]:
        asked = pa.array([i for i in ids if isinstance(i, str)], pa.string())
        found: dict[str, str] = {}
        for part in parts:
            for label, table in part.nodes.items():
                hit = pc.is_in(asked, value_set=table.column("id"))
                found.update(dict.fromkeys(asked.filter(hit).to_pylist(), label))
        return found

    return lookup


# -- validation ---------------------------------------------------------------------------------


def check(
    nodes: list[NodeRecord],
    edges: list[EdgeRecord],
    parts: Sequence[Part],
    schema: Schema | None = None,
    max_problems: int = 50,
) -> Batch:
    """Validate records and bulk rows as one batch; raise :class:`ValidationError` on any problem.

    The records go through :func:`graph.model.validate`, knowing the bulk
    ids. Each bulk table is checked column-wise; when a check fails, the whole
    build is validated as records, which names every problem with its file
    and line (and is right by definition, so both paths accept the same input).
    """
    schema = schema or load_schema()
    if not any(p.rows() for p in parts):
        return validate(nodes, edges, schema=schema, max_problems=max_problems)
    batch = validate(nodes, edges, existing_labels=labels_of(parts), schema=schema, max_problems=max_problems)
    try:
        _check_bulk(batch, parts, schema)
    except (Doubt, pa.ArrowException):
        everything = list(nodes)
        all_edges = list(edges)
        for part in parts:
            for label, table in part.nodes.items():
                everything += node_records(label, table)
            for rel_type, table in part.edges.items():
                all_edges += edge_records(rel_type, table)
        batch = validate(everything, all_edges, schema=schema, max_problems=max_problems)  # names the problems
    return batch


def _check_bulk(batch: Batch, parts: Sequence[Part], schema: Schema) -> None:
    sources = {n.id for n in batch.nodes if n.label == "Source"}
    ids: list[pa.Array] = [pa.array([n.id for n in batch.nodes], pa.string())]
    labels: list[pa.Array] = [pa.array([n.label for n in batch.nodes], pa.string())]
    node_tables: dict[str, list[pa.Table]] = defaultdict(list)
    for part in parts:
        for label, table in part.nodes.items():
            if not table.num_rows:
                continue
            specs = schema.labels[label].properties
            checked = check_group(table.drop_columns([FILE, LINE]), specs, specs)
            _cites_sources(checked, sources)
            node_tables[label].append(checked)
            ids.append(checked.column("id").combine_chunks())
            labels.append(pa.repeat(pa.scalar(label, pa.string()), checked.num_rows))
    known_ids = pa.concat_arrays(ids)
    known_labels = pa.concat_arrays(labels).dictionary_encode()
    require(pc.count_distinct(known_ids).as_py() == len(known_ids))  # an id used twice
    edge_tables: dict[tuple[str, str, str], list[pa.Table]] = defaultdict(list)
    edge_ids: list[pa.Array] = [pa.array([e.id for e in batch.edges], pa.string())]
    for part in parts:
        for rel_type, table in part.edges.items():
            if not table.num_rows:
                continue
            spec = schema.relationships[rel_type]
            checked = check_group(table.drop_columns(["from", "to", FILE, LINE]), spec.properties, spec.properties)
            _cites_sources(checked, sources)
            vf, vt = checked.column("valid_from"), checked.column("valid_to")
            require(pc.all(pc.fill_null(pc.less_equal(vf, vt), True)))
            start = pc.index_in(table.column("from"), value_set=known_ids)
            end = pc.index_in(table.column("to"), value_set=known_ids)
            require(start.null_count == 0 and end.null_count == 0)  # a dangling relationship
            a = pc.take(known_labels, start).cast(pa.string())
            b = pc.take(known_labels, end).cast(pa.string())
            ends = pa.table({"a": a, "b": b})
            for pair in ends.group_by(["a", "b"]).aggregate([]).to_pylist():
                require((pair["a"], pair["b"]) in spec.pair_set)
                mask = pc.and_(pc.equal(a, pair["a"]), pc.equal(b, pair["b"]))
                edge_tables[(rel_type, pair["a"], pair["b"])].append(
                    pa.table(
                        {
                            "from": table.column("from").filter(mask),
                            "to": table.column("to").filter(mask),
                            **{c: checked.column(c).filter(mask) for c in checked.column_names},
                        }
                    )
                )
            edge_ids.append(checked.column("id").combine_chunks())
    all_edge_ids = pa.concat_arrays(edge_ids)
    require(pc.count_distinct(all_edge_ids).as_py() == len(all_edge_ids))  # a relationship id used twice
    batch.bulk_nodes = {k: pa.concat_tables(v) for k, v in node_tables.items()}
    batch.bulk_edges = {k: pa.concat_tables(v) for k, v in edge_tables.items()}


def _cites_sources(table: pa.Table, sources: set[str]) -> None:
    cited = pc.unique(pc.list_flatten(table.column("sources"))).to_pylist()
    require(all(s in sources for s in cited))


def iter_rows(parts: Sequence[Part], labels: Iterable[str]) -> Iterator[tuple[int, str, pa.Table]]:
    """(part index, label, table) of the parts' node tables with one of ``labels``, in load order."""
    wanted = set(labels)
    for i, part in enumerate(parts):
        for label in sorted(part.nodes):
            if label in wanted and part.nodes[label].num_rows:
                yield i, label, part.nodes[label]
