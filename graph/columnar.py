"""Columnar validation for bulk imports: the fast path of ``python -m graph import``.

Arrow reads ``nodes.jsonl`` and ``edges.jsonl`` with the schema's column
types and every check of :func:`graph.model.validate` runs as a vector
operation. The result is a :class:`TableBatch` that stores write without ever
building per-record Python objects.

The fast path only ever says "all valid" or "not sure". On any problem, or
on input it cannot read (a broken line, a wrong type, a key repeated in an
object, an integer beyond 64 bits, a property name used with two types), :func:`read_validated` returns None and the record path
runs, which names each problem with its file and line. Both paths therefore
accept exactly the same input; the record path is the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from graph.errors import ValidationError
from graph.model import ARROW_TYPES, NodeRecord, TableBatch, edge_id, validate
from graph.schema import PropertySpec, Schema

# Below this size the record path is fast enough, and simpler to trust.
MIN_BYTES = 4 << 20
_ISO = r"^\d{4}-\d{2}-\d{2}$"


class Doubt(Exception):
    """The fast path cannot vouch for the input; the record path decides."""


def _union(specs: Iterable[Mapping[str, PropertySpec]]) -> dict[str, PropertySpec]:
    """One column per property name across labels or types; a name with two types is a doubt."""
    out: dict[str, PropertySpec] = {}
    for props in specs:
        for name, spec in props.items():
            if name in out and out[name].type != spec.type:
                raise Doubt(f"property {name} has two types")
            out.setdefault(name, spec)
    return out


def _read(path: Path, columns: Mapping[str, PropertySpec], shape: Mapping[str, pa.DataType]) -> pa.Table:
    fields = [pa.field(k, t) for k, t in shape.items()]
    # Dates are read as text and checked below: Arrow's parser would roll 2020-02-30 over.
    fields += [pa.field(n, pa.string() if s.type == "date" else ARROW_TYPES[s.type]) for n, s in columns.items()]
    try:
        return pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=16 << 20),
            parse_options=pj.ParseOptions(explicit_schema=pa.schema(fields), unexpected_field_behavior="error"),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise Doubt(str(exc)) from exc


def require(ok: bool | pa.Scalar) -> None:
    if not (ok.as_py() if isinstance(ok, pa.Scalar) else ok):
        raise Doubt("a check failed")


def check_group(table: pa.Table, specs: Mapping[str, PropertySpec], all_columns: Iterable[str]) -> pa.Table:
    """Check one label's (or type's) rows; return them with dates parsed, in schema column order."""
    for name in all_columns:
        if name not in specs:
            require(table.column(name).null_count == table.num_rows)  # a property the label does not have
    out: dict[str, pa.ChunkedArray] = {}
    for name, spec in specs.items():
        col = table.column(name)
        if spec.required:
            require(col.null_count == 0)
        valid = pc.drop_null(col)
        if spec.type == "string" and len(valid):
            if spec.required:
                require(pc.all(pc.invert(pc.match_substring_regex(valid, r"^\s*$"))))
            if spec.enum:
                require(pc.all(pc.is_in(valid, value_set=pa.array(spec.enum))))
        elif spec.type == "string[]" and len(valid):
            require(pc.list_flatten(valid).null_count == 0)
            if spec.required:
                require(pc.min(pc.list_value_length(valid)).as_py() > 0)
        elif spec.type in ("int", "float") and len(valid):
            if spec.type == "float":
                require(pc.all(pc.is_finite(valid)))  # Arrow reads NaN and Infinity; min_max skips NaN
            lo, hi = pc.min_max(valid).values()
            require(spec.min is None or lo.as_py() >= spec.min)
            require(spec.max is None or hi.as_py() <= spec.max)
        elif spec.type == "date":
            if len(valid):
                distinct = pc.unique(valid)  # bulk data repeats a few dates: check each once
                require(pc.all(pc.match_substring_regex(distinct, _ISO)))
                parsed = pc.strptime(distinct, format="%Y-%m-%d", unit="s")
                require(pc.all(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), distinct)))
            col = pc.cast(pc.strptime(col, format="%Y-%m-%d", unit="s"), pa.date32())
        out[name] = col
    return pa.table(out)


def _labels_of(ids: pa.ChunkedArray, known_ids: pa.Array, known_labels: pa.Array) -> pa.ChunkedArray:
    index = pc.index_in(ids, value_set=known_ids)
    require(index.null_count == 0)  # a dangling edge
    return pc.take(known_labels, index)


def read_validated(
    directory: Path,
    sources: list[NodeRecord],
    existing_labels: Callable[[Iterable[str]], Mapping[str, str]],
    schema: Schema,
) -> TableBatch | None:
    """Validate an import directory column-wise; None means "use the record path"."""
    try:
        return _read_validated(directory, sources, existing_labels, schema)
    except (Doubt, ValidationError, pa.ArrowException):
        return None


def _read_validated(
    directory: Path,
    sources: list[NodeRecord],
    existing_labels: Callable[[Iterable[str]], Mapping[str, str]],
    schema: Schema,
) -> TableBatch:
    source_batch = validate(sources, [], schema=schema)
    node_cols = _union(spec.properties for spec in schema.labels.values())
    edge_cols = _union(spec.properties for spec in schema.relationships.values())
    nodes = _read(directory / "nodes.jsonl", node_cols, {"label": pa.string()})
    edges = _read(directory / "edges.jsonl", edge_cols, {"type": pa.string(), "start": pa.string(), "end": pa.string()})
    require(nodes.column("label").null_count == 0 and edges.column("type").null_count == 0)
    require(edges.column("start").null_count == 0 and edges.column("end").null_count == 0)

    node_tables: dict[str, pa.Table] = {}
    batch_ids = [n.id for n in source_batch.nodes]
    batch_labels = ["Source"] * len(batch_ids)
    for label in pc.unique(nodes.column("label")).to_pylist():
        require(label in schema.labels and label != "Source")
        group = nodes.filter(pc.equal(nodes.column("label"), label))
        node_tables[label] = check_group(group, schema.labels[label].properties, node_cols)
        batch_ids += node_tables[label].column("id").to_pylist()
        batch_labels += [label] * node_tables[label].num_rows
    require(len(set(batch_ids)) == len(batch_ids))  # duplicate node ids
    if source_batch.nodes:
        node_tables["Source"] = source_batch.node_tables(schema)["Source"]

    # Ids the batch refers to but does not hold must already be in the store, with a label.
    referenced = set(pc.unique(edges.column("start")).to_pylist()) | set(pc.unique(edges.column("end")).to_pylist())
    cited: set[str] = set()
    for table in [*node_tables.values(), edges]:
        cited |= set(pc.unique(pc.list_flatten(table.column("sources"))).to_pylist())
    known = dict(zip(batch_ids, batch_labels))
    # One question to the store covers both the batch's own ids and those it refers to.
    for node_id, label in dict(existing_labels(referenced | cited | set(batch_ids))).items():
        if node_id in known:
            require(label == known[node_id])  # same id, other label in the store
        else:
            known[node_id] = label
    require(all(known.get(s) == "Source" for s in cited))
    known_ids = pa.array(list(known), pa.string())
    known_labels = pa.array(list(known.values()), pa.string())

    edge_tables: dict[tuple[str, str, str], pa.Table] = {}
    seen_ids: set[str] = set()
    n_ids = 0
    for rel_type in pc.unique(edges.column("type")).to_pylist():
        require(rel_type in schema.relationships)
        spec = schema.relationships[rel_type]
        group = edges.filter(pc.equal(edges.column("type"), rel_type))
        if group.column("id").null_count:
            ids = [
                i or edge_id(rel_type, s, e, v)
                for i, s, e, v in zip(
                    group.column("id").to_pylist(),
                    group.column("start").to_pylist(),
                    group.column("end").to_pylist(),
                    group.column("valid_from").to_pylist(),
                )
            ]
            group = group.set_column(group.column_names.index("id"), "id", pa.array(ids, pa.string()))
        checked = check_group(group, spec.properties, edge_cols)
        vf, vt = checked.column("valid_from"), checked.column("valid_to")
        require(pc.all(pc.fill_null(pc.less_equal(vf, vt), True)))
        ends = pa.table(
            {
                "a": _labels_of(group.column("start"), known_ids, known_labels),
                "b": _labels_of(group.column("end"), known_ids, known_labels),
            }
        )
        pairs = ends.group_by(["a", "b"]).aggregate([]).to_pylist()
        for pair in pairs:
            a, b = pair["a"], pair["b"]
            require((a, b) in spec.pair_set)
            mask = pc.and_(pc.equal(ends.column("a"), a), pc.equal(ends.column("b"), b))
            part = checked.filter(mask)
            ends_part = group.filter(mask)
            edge_tables[(rel_type, a, b)] = pa.table(
                {
                    "from": ends_part.column("start"),
                    "to": ends_part.column("end"),
                    **{c: part.column(c) for c in part.column_names},
                }
            )
        ids = checked.column("id").to_pylist()
        seen_ids.update(ids)
        n_ids += len(ids)
    require(len(seen_ids) == n_ids)  # duplicate edge ids
    return TableBatch(tables_of_nodes=node_tables, tables_of_edges=edge_tables)
