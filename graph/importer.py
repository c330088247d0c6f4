"""``python -m graph import DIR``: the canonical import format.

DIR holds ``sources.jsonl``, ``nodes.jsonl`` and ``edges.jsonl``, one JSON
object per line (blank lines are allowed). Everything is parsed and validated
before anything is written; any problem raises :class:`ValidationError` naming
the file and line, and the store is left exactly as it was.

Large files first take the columnar fast path (:mod:`graph.columnar`); if it
has any doubt, the record path below decides and names the problems.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph import columnar
from graph.errors import Problem, ValidationError
from graph.model import Batch, EdgeRecord, NodeRecord, paused_gc, source_node, validate
from graph.store.base import GraphStore, WriteResult

FILES = ("sources.jsonl", "nodes.jsonl", "edges.jsonl")
SOURCE_KEYS = {"id", "publisher", "title", "date", "url", "license", "retrieved", "kind"}


class DuplicateKey(ValueError):
    """A JSON object names the same key twice; ``json.loads`` would silently keep the last value."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise DuplicateKey(f"duplicate key {twice!r} in one object; JSON would keep only its last value")
    return obj


# The C scanner calls the hook once per object, which costs about a tenth of a plain parse.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads(text: str) -> Any:
    """``json.loads``, but an object with a repeated key raises :class:`DuplicateKey`.

    >>> loads('{"share": 10, "share": 90}')
    Traceback (most recent call last):
    ...
    graph.importer.DuplicateKey: duplicate key 'share' in one object; JSON would keep only its last value
    """
    return _DECODER.decode(text)


def read_jsonl(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) from a JSON Lines file; record bad lines in ``problems``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), 0, f"cannot read: {exc.strerror}"))
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(str(path), line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        )
        return
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    try:
        # One parse of the whole file is several times faster than one per line;
        # on any error, fall back to line by line to say which line is broken.
        objects = loads("[" + ",".join(line for _, line in numbered) + "]")
        if len(objects) != len(numbered):
            raise ValueError("a line holds more than one value")
        parsed = list(zip((n for n, _ in numbered), objects))
    except ValueError:  # JSONDecodeError and DuplicateKey are ValueErrors
        parsed = []
        for number, line in numbered:
            try:
                parsed.append((number, loads(line)))
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(path), number, f"broken JSON: {exc.msg} at column {exc.colno}"))
            except DuplicateKey as exc:
                problems.append(Problem(str(path), number, str(exc)))
            except ValueError as exc:  # an integer of over 4300 digits
                problems.append(Problem(str(path), number, f"unreadable number: {exc}"))
    for number, obj in parsed:
        if not isinstance(obj, dict):
            problems.append(Problem(str(path), number, "expected a JSON object"))
            continue
        yield number, obj


def _check_dir(directory: Path) -> None:
    if not directory.is_dir():
        raise ValidationError([Problem(str(directory), 0, "not a directory")])
    missing = [f for f in FILES if not (directory / f).is_file()]
    if missing:
        raise ValidationError(
            [Problem(str(directory), 0, f"missing {', '.join(missing)}; an import needs {', '.join(FILES)}")]
        )


def read_sources(directory: Path, problems: list[Problem]) -> list[NodeRecord]:
    """``sources.jsonl`` as Source nodes; unknown fields are problems."""
    nodes = []
    path = directory / "sources.jsonl"
    for line, obj in read_jsonl(path, problems):
        unknown = set(obj) - SOURCE_KEYS
        if unknown:
            problems.append(
                Problem(
                    str(path),
                    line,
                    f"unknown field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(SOURCE_KEYS))}",
                )
            )
            continue
        nodes.append(source_node(obj, (str(path), line)))
    return nodes


def read_dir(directory: Path) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Parse the three files of an import directory into records, or raise ValidationError."""
    _check_dir(directory)
    problems: list[Problem] = []
    nodes = read_sources(directory, problems)
    edges: list[EdgeRecord] = []
    path = directory / "nodes.jsonl"
    for line, obj in read_jsonl(path, problems):
        label = obj.pop("label", None)
        nodes.append(NodeRecord(label, obj, (str(path), line)))  # type: ignore[arg-type]
    path = directory / "edges.jsonl"
    for line, obj in read_jsonl(path, problems):
        shape = [obj.pop(k, None) for k in ("type", "start", "end")]
        if not all(isinstance(v, str) and v for v in shape):
            problems.append(Problem(str(path), line, "an edge needs text fields type, start and end"))
            continue
        edges.append(EdgeRecord(shape[0], shape[1], shape[2], obj, (str(path), line)))
    if problems:
        raise ValidationError(problems)
    return nodes, edges


def import_dir(store: GraphStore, directory: Path) -> tuple[Batch, WriteResult]:
    """Validate DIR against the schema and the store, then write it in one atomic step."""
    _check_dir(directory)
    # The lock covers validation too: the ids found in the store must still be its ids at the write.
    with paused_gc(), store.locked():
        batch: Batch | None = None
        size = sum((directory / f).stat().st_size for f in ("nodes.jsonl", "edges.jsonl"))
        if size >= columnar.MIN_BYTES:
            problems: list[Problem] = []
            sources = read_sources(directory, problems)
            if not problems:
                batch = columnar.read_validated(directory, sources, store.labels_of, store.schema)
        if batch is None:
            nodes, edges = read_dir(directory)
            batch = validate(nodes, edges, store.labels_of, store.schema)
        return batch, store.write(batch)
