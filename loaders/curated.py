"""Curated facts: hand-written from public records, in ``data/curated/*.yaml``.

Each file has up to three sections:

``sources``
    Source documents: ``id``, ``publisher``, ``title``, ``date``, ``url``,
    ``license``, optional ``kind`` and ``retrieved``.
``nodes``
    Entities. ``label`` defaults to the file's top-level ``label``. Every node
    names its ``sources``. A ``hq: ISO3`` shorthand adds a ``HEADQUARTERED_IN``
    edge that cites the node's sources.
``edges``
    Relationships: ``type``, ``start``, ``end``, ``sources`` and properties.

Nothing here is stamped with a source of its own: each fact cites the
documents that support it, and uncertain facts carry ``confidence: low`` with
a ``confidence_note``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from graph.settings import DATA_DIR
from loaders.base import Context, SourceInfo

SOURCE = SourceInfo(
    id="curated",
    publisher="This project's curators",
    title="Curated facts (data/curated/*.yaml), each citing its own sources",
    url="data/curated/",
    license="See each cited source",
    kind="curated",
    cites_itself=False,
)
CURATED_DIR = DATA_DIR / "curated"


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def load(ctx: Context, folder: Path = CURATED_DIR) -> None:
    """Emit every source, node and edge declared in the curated YAML files."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ctx.fail(f"no curated files in {folder}")
    for path in files:
        ctx.at(path, 0)
        try:
            tree = yaml.compose(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ctx.fail(f"{path.name} is not valid UTF-8 YAML: {exc}") from exc
        if tree is None:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(doc) - {"label", "sources", "nodes", "edges", "description"}
        if unknown:
            raise ctx.fail(f"{path.name}: unknown section(s) {sorted(unknown)}; expected sources, nodes, edges")
        lines = {k.value: v for k, v in tree.value}  # section name -> YAML node, for line numbers
        default_label = doc.get("label")
        rows = 0
        for i, src in enumerate(doc.get("sources") or []):
            ctx.at(path, _line_of(lines["sources"].value[i]))
            props = {k: v for k, v in src.items() if k != "id"}
            ctx.node("Source", src.get("id"), src.get("title"), **props, sources=[src.get("id")])
            rows += 1
        for i, raw in enumerate(doc.get("nodes") or []):
            ctx.at(path, _line_of(lines["nodes"].value[i]))
            node = dict(raw)
            label = node.pop("label", default_label)
            hq = node.pop("hq", None)
            node_id, name = node.pop("id", None), node.pop("name", None)
            if label == "Company" and hq:
                node.setdefault("country", hq)
            ctx.node(label, node_id, name, **node)
            if hq:
                ctx.edge("HEADQUARTERED_IN", node_id, hq, sources=list(node.get("sources") or []))
            rows += 1
        for i, raw in enumerate(doc.get("edges") or []):
            ctx.at(path, _line_of(lines["edges"].value[i]))
            edge = dict(raw)
            rel_type, start, end = edge.pop("type", None), edge.pop("start", None), edge.pop("end", None)
            ctx.edge(rel_type, start, end, **edge)
            rows += 1
        ctx.count(path.name, rows)
