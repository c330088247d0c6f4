"""The bulk path (graph.bulk): sources of millions of rows kept as Arrow columns through the build.

The reference is the record path: the same loaders with every row made a
record. Both must give the same graph, row for row, and a bad bulk row must
stop the build with its file and line, as a bad record does.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from graph import build as build_mod
from graph.bulk import BulkWriter, Part, check
from graph.errors import ValidationError
from graph.model import Batch, validate
from graph.patents import portfolios
from graph.resolve import resolve
from loaders import countries, cset_eto, curated, gleif, patentsview, uspto_grants
from tests.conftest import ROOT, SHARED_DATA, need, source
from tools import gleif_fixture, patentsview_fixture

LOADERS = (curated, countries, cset_eto, gleif, patentsview, uspto_grants)
HUAWEI_LEI = gleif_fixture.lei("5493", "00HUAWEITEST01")


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A small golden copy and PatentsView download, plus one LEI row that only its name ties to Huawei."""
    need(SHARED_DATA.is_dir(), f"the shared source files are not at {SHARED_DATA}")
    folder = tmp_path_factory.mktemp("bulk-raw")
    gleif_fixture.write(folder / gleif.FOLDER, 3000, 400)
    patentsview_fixture.write(folder / patentsview.FOLDER, patents=2000, huawei=300, others=30)
    path = folder / gleif.FOLDER / "lei2-golden-copy.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    at = {h: i for i, h in enumerate(rows[0])}
    row = list(rows[1])
    row[at["LEI"]], row[at["Entity.LegalName"]] = HUAWEI_LEI, "Huawei Technologies Co., Ltd."
    for column in ("Entity.LegalJurisdiction", "Entity.LegalAddress.Country", "Entity.HeadquartersAddress.Country"):
        row[at[column]] = "CN"
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(row)
    return [folder, ROOT / "data" / "raw", SHARED_DATA]


def record_path(raw: list[Path]) -> Batch:
    nodes, edges, _ = build_mod.run_loaders(raw, LOADERS)  # no bulk list: every row a record
    nodes, edges = build_mod.merge(nodes, edges)
    nodes, edges, _ = resolve(nodes, edges)
    nodes, edges, _ = portfolios(nodes, edges)
    return validate(nodes, edges)


def bulk_path(raw: list[Path]) -> tuple[Batch, list[Part]]:
    parts: list[Part] = []
    nodes, edges, _ = build_mod.run_loaders(raw, LOADERS, bulk=parts)
    nodes, edges = build_mod.merge_with(nodes, edges, parts)
    nodes, edges, _ = resolve(nodes, edges, bulk=parts)
    nodes, edges, _ = portfolios(nodes, edges, parts)
    return check(nodes, edges, parts), parts


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


def graph_of(batch: Batch) -> tuple[dict[str, tuple[str, dict[str, Any]]], dict[str, tuple[Any, ...]]]:
    from graph.schema import load_schema

    nodes = {props["id"]: (label, _clean(props)) for label, props in batch.node_props()}
    edges: dict[str, tuple[Any, ...]] = {}
    for (rel_type, _, _), table in batch.edge_tables(load_schema()).items():
        for row in table.to_pylist():
            start, end = row.pop("from"), row.pop("to")
            edges[row["id"]] = (rel_type, start, end, _clean(row))
    return nodes, edges


def test_the_bulk_path_builds_the_graph_the_record_path_builds(raw: list[Path]) -> None:
    expected_nodes, expected_edges = graph_of(record_path(raw))
    batch, _ = bulk_path(raw)
    nodes, edges = graph_of(batch)
    assert sum(t.num_rows for t in batch.bulk_nodes.values()) > 4000  # the rows stayed columns
    assert sum(t.num_rows for t in batch.bulk_edges.values()) > 4000
    assert nodes.keys() == expected_nodes.keys()
    assert [i for i in nodes if nodes[i] != expected_nodes[i]] == []
    assert edges.keys() == expected_edges.keys()
    assert [i for i in edges if edges[i] != expected_edges[i]] == []
    # The LEI row that only its name ties to Huawei was resolved into the curated node, which keeps its id.
    huawei = nodes["huawei"][1]
    assert f"lei-{HUAWEI_LEI}" in huawei["resolved_from"] and huawei.get("lei") == HUAWEI_LEI
    assert f"lei-{HUAWEI_LEI}" not in nodes
    # Huawei's generated patents (300, shared with Huawei Device and Huawei Cloud) are counted into its portfolios.
    assert nodes["portfolio-huawei"][1]["count"] > 200
    assert isinstance(next(iter(batch.bulk_nodes["Patent"].column("granted").to_pylist())), dt.date)


def _writer_part(rows: list[tuple[str, dict[str, Any]]], edges: list[tuple[str, str, str, dict[str, Any]]]) -> Part:
    writer = BulkWriter("src-test", chunk=2)
    for n, (label, props) in enumerate(rows, start=2):
        writer.node(label, props, ("bulk.csv", n))
    for n, (rel_type, start, end, props) in enumerate(edges, start=100):
        writer.edge(rel_type, start, end, props, ("bulk.csv", n))
    part = writer.finish()
    assert not writer.nodes and not writer.edges
    return part


SOURCE = source()


@pytest.mark.parametrize(
    ("rows", "edges", "message"),
    [
        ([("Company", {"id": "a", "name": " ", "sources": ["src-test"]})], [], r"bulk.csv:2: name is required"),
        (
            [("Company", {"id": "a", "name": "A", "sources": ["src-test"]})],
            [("OWNS", "a", "nobody", {"id": "o1", "share": 50.0, "sources": ["src-test"]})],
            r"bulk.csv:100: dangling edge: end node 'nobody' does not exist",
        ),
        (
            [("Company", {"id": "a", "name": "A", "sources": ["src-test"]})] * 2,
            [],
            r"bulk.csv:3: duplicate node id 'a' \(first at bulk.csv:2\)",
        ),
        (
            [("Company", {"id": "a", "name": "A", "sources": ["src-nowhere"]})],
            [],
            r"bulk.csv:2: source 'src-nowhere' does not exist",
        ),
        (
            [
                ("Company", {"id": "a", "name": "A", "sources": ["src-test"]}),
                ("Company", {"id": "b", "name": "B", "sources": ["src-test"]}),
            ],
            [("OWNS", "a", "b", {"id": "o1", "share": 150.0, "sources": ["src-test"]})],
            r"bulk.csv:100: share: 150 is above the maximum 100",
        ),
        (
            [("Company", {"id": "a", "name": "A", "sources": ["src-test"], "founded": "2020-02-30"})],
            [],
            r"bulk.csv:2: founded: '2020-02-30' is not a real date",
        ),
    ],
    ids=["blank name", "dangling", "duplicate id", "unknown source", "share above 100", "impossible date"],
)
def test_a_bad_bulk_row_stops_validation_naming_its_file_and_line(rows, edges, message) -> None:  # type: ignore[no-untyped-def]
    part = _writer_part(rows, edges)
    with pytest.raises(ValidationError, match=message):
        check([SOURCE], [], [part])


def test_a_value_of_the_wrong_type_stays_a_record_and_is_reported() -> None:
    writer = BulkWriter("src-test")
    writer.node("Company", {"id": "a", "name": "A", "sources": ["src-test"], "founded": "2001-01-01"}, ("f.csv", 2))
    writer.node("Company", {"id": "b", "name": 7, "sources": ["src-test"]}, ("f.csv", 3))
    part = writer.finish()
    assert part.nodes == {} and [n.id for n in writer.nodes] == ["a", "b"]  # the chunk went back to records
    with pytest.raises(ValidationError, match=r"f.csv:3: name: expected text, got int"):
        validate([SOURCE, *writer.nodes], [])
