"""``python -m graph build``: the whole graph from data/ and the loaders, atomically.

The loaders run in order (curated facts first); their records are merged by id
and by shared external identifiers (``xrefs``), resolved (records of one party
from several sources become one entity: :mod:`graph.resolve`, with the
judgements of ``data/resolutions.yaml``), their patents counted into
portfolios (:mod:`graph.patents`), validated as one batch, and
written with ``replace=True``. On the embedded store that builds a new file and
swaps it in; on Neo4j it is one transaction (in recoverable committed chunks
beyond :data:`graph.store.neo4j_store.ATOMIC_ROWS`). Either way a failed build
leaves the previous graph serving.

The rows of bulk sources (GLEIF's golden copy, PatentsView: millions of rows)
stay Arrow columns through every step (:mod:`graph.bulk`); the manifest
records each phase's time and the peak memory by its end.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

from graph.bulk import Part, absorb, check, repoint
from graph.errors import SourceMissing
from graph.model import Batch, EdgeRecord, NodeRecord, edge_id
from graph.patents import portfolios
from graph.resolve import load_judgements, resolve
from graph.settings import Settings
from graph.store.base import GraphStore, WriteResult
from loaders import LOADERS
from loaders.base import Context, LoadReport

LIST_PROPS = ("sources", "aliases", "roles", "xrefs", "cpc", "eccn")


def run_loaders(
    raw_dirs: Sequence[Path],
    loaders: Sequence[ModuleType] = LOADERS,
    progress: Callable[[str], None] = lambda m: None,
    bulk: list[Part] | None = None,
) -> tuple[list[NodeRecord], list[EdgeRecord], list[LoadReport]]:
    """Run each loader; return all records and each loader's report.

    A bulk loader's rows (:mod:`graph.bulk`) are appended to ``bulk`` as one
    :class:`~graph.bulk.Part`, placed after the records loaded before it;
    without a ``bulk`` list they become records too.
    """
    nodes: list[NodeRecord] = []
    edges: list[EdgeRecord] = []
    reports = []
    for module in loaders:
        started = time.perf_counter()
        ctx = Context(module.SOURCE, raw_dirs)
        try:
            module.load(ctx)
        except SourceMissing as exc:
            # A fresh clone or a partial download: the graph is built from what is there.
            ctx.report.absent = str(exc)
            reports.append(ctx.report)
            progress(f"  {module.SOURCE.id}: skipped, files absent: {exc}")
            continue
        if bulk is None:
            ctx.materialise()
        if module.SOURCE.cites_itself:
            nodes.append(NodeRecord("Source", module.SOURCE.as_props(), (module.SOURCE.id, 0)))
        part = ctx.finish()
        nodes += ctx.nodes
        edges += ctx.edges
        if part is not None and bulk is not None:
            part.after, part.edges_after = len(nodes), len(edges)
            bulk.append(part)
        reports.append(ctx.report)
        r = ctx.report
        r.seconds = round(time.perf_counter() - started, 3)
        progress(
            f"  {module.SOURCE.id}: {r.nodes} nodes, {r.edges} edges, {len(r.skipped)} rows skipped ({r.seconds:.1f} s)"
        )
    return nodes, edges, reports


def merge(
    nodes: list[NodeRecord],
    edges: list[EdgeRecord],
    aliases: dict[str, str] | None = None,
    marks: list[int] | None = None,
) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Merge records that describe the same entity; earlier records take precedence.

    Two nodes are the same entity when they share an id, or when a later node
    carries an ``xref`` (``cset:P88``) that an earlier node claims. List
    properties (sources, aliases, roles, xrefs) are unioned; for other
    properties the first non-null value wins. Edges are re-pointed to the
    surviving ids, and edges with the same id are merged the same way.
    ``aliases``, when given, receives each merged-away id and the id it became;
    each of ``marks``, positions in ``nodes``, becomes the matching position in
    the result (where a bulk loader's rows rank: :class:`graph.bulk.Part`).
    """
    claimed: dict[str, str] = {}
    alias_of: dict[str, str] = {} if aliases is None else aliases
    merged: dict[str, NodeRecord] = {}
    at: dict[int, list[int]] = {}
    for k, m in enumerate(marks or []):
        at.setdefault(m, []).append(k)
    for i, rec in enumerate(nodes):
        for k in at.get(i, ()):
            marks[k] = len(merged)  # type: ignore[index]
        target = rec.id
        for x in rec.props.get("xrefs") or []:
            if x in claimed and claimed[x] != rec.id:
                target = claimed[x]
                break
        if target != rec.id:
            alias_of[rec.id] = target
        for x in rec.props.get("xrefs") or []:
            claimed.setdefault(x, target)
        if target in merged and merged[target].label == rec.label:
            _merge_props(merged[target].props, rec.props, keep_id=target)
            if rec.props.get("name") and rec.props["name"] != merged[target].props.get("name"):
                merged[target].props["aliases"] = sorted(
                    {*(merged[target].props.get("aliases") or []), rec.props["name"]}
                )
        elif target in merged:
            # Same id, different labels: keep both so validation reports the clash with its line.
            merged[f"{target}\x00{rec.label}"] = rec
        else:
            merged[target] = NodeRecord(rec.label, dict(rec.props, id=target), rec.origin)
    for k, m in enumerate(marks or []):
        if m >= len(nodes):
            marks[k] = len(merged)  # type: ignore[index]
    out_edges: dict[str, EdgeRecord] = {}
    for e in edges:
        e = EdgeRecord(e.type, alias_of.get(e.start, e.start), alias_of.get(e.end, e.end), dict(e.props), e.origin)
        key = e.props.get("id")
        if not key:
            key = edge_id(e.type, e.start, e.end, e.props.get("valid_from"))
            e.props["id"] = key
        if key in out_edges:
            _merge_props(out_edges[key].props, e.props, keep_id=key)
        else:
            out_edges[key] = e
    return list(merged.values()), list(out_edges.values())


def merge_with(
    nodes: list[NodeRecord], edges: list[EdgeRecord], parts: Sequence[Part]
) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """:func:`merge` for a build with bulk rows (:mod:`graph.bulk`): the rows another record shares an id or
    an xref with become records first; the parts keep their place in load order, and their relationships
    follow the ids merged away."""
    absorb(nodes, edges, parts)
    aliases: dict[str, str] = {}
    marks = [p.after for p in parts]
    nodes, edges = merge(nodes, edges, aliases, marks)
    for part, mark in zip(parts, marks, strict=True):
        part.after = mark
    repoint(parts, aliases)
    return nodes, edges


def _merge_props(into: dict[str, Any], other: dict[str, Any], keep_id: str) -> None:
    for k, v in other.items():
        if k == "id" or v is None:
            continue
        if k in LIST_PROPS and isinstance(v, list):
            into[k] = list(dict.fromkeys([*(into.get(k) or []), *v]))
        elif into.get(k) is None:
            into[k] = v
    into["id"] = keep_id


def build(
    store: GraphStore, settings: Settings, progress: Callable[[str], None] = lambda m: None
) -> tuple[Batch, WriteResult, list[LoadReport]]:
    """Run the loaders, merge, validate and replace the store's contents atomically."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    peaks: dict[str, int] = {}  # the process's peak resident memory (MB) by the end of each phase

    def lap(phase: str, since: float) -> float:
        now = time.perf_counter()
        timings[phase] = round(now - since, 3)
        peaks[phase] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        return now

    progress("loading sources")
    parts: list[Part] = []
    nodes, edges, reports = run_loaders(settings.raw_dirs, progress=progress, bulk=parts)
    t = lap("load", started)
    nodes, edges = merge_with(nodes, edges, parts)
    t = lap("merge", t)
    judgements = load_judgements(settings.resolutions_path)  # a malformed file stops the build before any write
    nodes, edges, resolution = resolve(nodes, edges, judgements, settings, bulk=parts)
    t = lap("resolve", t)
    progress(
        f"resolved {resolution.records} records into {resolution.entities} entities "
        f"({resolution.records - resolution.entities} merged away, {len(resolution.review)} pairs to review, "
        f"{resolution.judgements_applied} judgements applied) in {resolution.seconds:.1f} s"
    )
    nodes, edges, counted = portfolios(nodes, edges, parts)
    t = lap("portfolios", t)
    progress(
        f"counted {counted.patents} patents of {counted.holders} holders into {counted.portfolios} portfolios; "
        f"{counted.licence_links} links from licences to portfolios"
    )
    progress(
        f"validating {len(nodes)} nodes and {len(edges)} edges, and {sum(p.rows() for p in parts)} rows of bulk sources"
    )
    batch = check(nodes, edges, parts)  # a build replaces the store, so nothing in it counts
    del nodes, edges, parts
    t = lap("validate", t)
    progress(f"writing to {store.describe()}")
    result = store.write(batch, replace=True)
    lap("write", t)
    manifest = {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "store": store.describe(),
        "seconds": round(time.perf_counter() - started, 2),
        "counts": batch.counts(),
        "timings": timings,
        "peak_mb": peaks,
        "resolution": {k: v for k, v in resolution.as_dict().items() if k not in ("merges", "review")}
        | {"review_queue": len(resolution.review)},
        "patents": asdict(counted),
        "loaders": [asdict(r) for r in reports],
    }
    manifest_path(store, settings).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    resolution.save(resolution_path(settings))
    progress(f"done in {manifest['seconds']} s")
    return batch, result, reports


def resolution_path(settings: Settings) -> Path:
    """Where the last build's resolution report (merges and review queue) is kept, beside the manifest."""
    if settings.neo4j_uri:
        return settings.store_path.parent / "neo4j.resolution.json"
    return settings.store_path.with_name(settings.store_path.name + ".resolution.json")


def manifest_path(store: GraphStore, settings: Settings) -> Path:
    """Where the last build's report is kept: beside the embedded file, or under var/ for Neo4j."""
    if store.kind == "embedded":
        return settings.store_path.with_name(settings.store_path.name + ".build.json")
    path = settings.store_path.parent / "neo4j.build.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
