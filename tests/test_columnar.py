"""The columnar fast path accepts exactly what the record path accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph import columnar
from graph.errors import Problem, ValidationError
from graph.importer import read_dir, read_sources
from graph.model import TableBatch, validate
from graph.schema import load_schema
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import dump
from tests.test_import_cli import BAD_INPUTS, MINI, copy_fixture


def fast(directory: Path, store: GraphStore) -> TableBatch | None:
    problems: list[Problem] = []
    sources = read_sources(directory, problems)
    assert not problems
    return columnar.read_validated(directory, sources, store.labels_of, load_schema())


def test_same_graph_from_both_paths(tmp_path: Path) -> None:
    a, b = EmbeddedStore(tmp_path / "a.lbdb"), EmbeddedStore(tmp_path / "b.lbdb")
    a.create()
    b.create()
    batch = fast(MINI, a)
    assert batch is not None and batch.counts() == {"nodes": 7, "edges": 6}
    a.write(batch)
    nodes, edges = read_dir(MINI)
    b.write(validate(nodes, edges, b.labels_of))
    assert dump(a) == dump(b)
    # A second, identical import through the fast path is accepted and changes nothing.
    again = fast(MINI, a)
    assert again is not None
    a.write(again)
    assert dump(a) == dump(b)


@pytest.mark.parametrize(("file", "line", "content", "message"), BAD_INPUTS, ids=[b[3][:30] for b in BAD_INPUTS])
def test_fast_path_has_doubts_wherever_the_record_path_refuses(
    tmp_path: Path, file: str, line: int, content: str, message: str
) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    store.create()
    d = copy_fixture(tmp_path, file, line, content)
    if file == "sources.jsonl":
        problems: list[Problem] = []
        read_sources(d, problems)
        assert problems
    else:
        assert fast(d, store) is None


@pytest.mark.parametrize(
    ("file", "line", "content"),
    [
        ("nodes.jsonl", 1, '{"id": "huawei", "label": "Company", "name": "Huawei", "sources": [null]}'),
        ("nodes.jsonl", 1, '{"id": "huawei", "label": "Company", "name": "   ", "sources": ["src-fr-2019-10616"]}'),
        (
            "nodes.jsonl",
            1,
            '{"id": "huawei", "label": "Company", "name": "H", "confidence": "sure", "sources": ["src-fr-2019-10616"]}',
        ),
        (
            "nodes.jsonl",
            1,
            '{"id": "huawei", "label": "Company", "name": "H", "count": 3, "sources": ["src-fr-2019-10616"]}',
        ),
        ("nodes.jsonl", 2, '{"id": "huawei", "label": "Company", "name": "Dup", "sources": ["src-fr-2019-10616"]}'),
        (
            "edges.jsonl",
            1,
            '{"type": "HEADQUARTERED_IN", "start": "huawei", "end": "CHN", "valid_from": "2020-02-30", "sources": ["src-fr-2019-10616"]}',
        ),
        (
            "edges.jsonl",
            1,
            '{"type": "HEADQUARTERED_IN", "start": "huawei", "end": "CHN", "valid_from": "2021-01-01", "valid_to": "2020-01-01", "sources": ["src-fr-2019-10616"]}',
        ),
        (
            "edges.jsonl",
            1,
            '{"type": "HEADQUARTERED_IN", "start": "CHN", "end": "huawei", "sources": ["src-fr-2019-10616"]}',
        ),
        ("edges.jsonl", 1, '{"type": "HEADQUARTERED_IN", "start": "huawei", "end": "CHN", "sources": ["huawei"]}'),
        (
            "edges.jsonl",
            1,
            '{"type": "OWNS", "start": "huawei", "end": "hisilicon", "share": true, "sources": ["src-fr-2019-10616"]}',
        ),
    ],
)
def test_more_doubts(tmp_path: Path, file: str, line: int, content: str) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    store.create()
    d = copy_fixture(tmp_path, file, line, content)
    assert fast(d, store) is None
    nodes, edges = read_dir(d) if file != "sources.jsonl" else ([], [])
    with pytest.raises(Exception):  # noqa: B017 - the record path refuses, whichever way
        validate(nodes, edges, store.labels_of)


def test_store_label_clash_is_refused_on_both_paths(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    store.create()
    nodes, edges = read_dir(MINI)
    store.write(validate(nodes, edges, store.labels_of))
    d = copy_fixture(tmp_path)
    text = (
        (d / "nodes.jsonl")
        .read_text(encoding="utf-8")
        .replace('"id": "CHN", "label": "Country"', '"id": "CHN", "label": "Company"')
    )
    (d / "nodes.jsonl").write_text(text, encoding="utf-8")
    assert fast(d, store) is None
    nodes, edges = read_dir(d)
    with pytest.raises(ValidationError) as err:
        validate(nodes, edges, store.labels_of)
    assert any("'CHN' is a Country in the store, not a Company" in str(p) for p in err.value.problems)
