"""The schema is the one source of truth: DDL, constraints and validation derive from it."""

from __future__ import annotations

import datetime as dt

import pytest

from graph.errors import SchemaError
from graph.schema import load_schema, parse_date, parse_schema


def test_required_names_are_declared() -> None:
    s = load_schema()
    for label in (
        "Company",
        "Person",
        "Country",
        "Patent",
        "Portfolio",
        "Technology",
        "Product",
        "ExportControl",
        "SanctionList",
        "Initiative",
        "Source",
    ):
        assert label in s.labels
        assert {"id", "name", "sources"} <= set(s.labels[label].properties)
        assert s.labels[label].color.startswith("#")
    for rel in (
        "OWNS",
        "SUBSIDIARY_OF",
        "HEADQUARTERED_IN",
        "HOLDS",
        "COVERS",
        "LICENSES_TO",
        "LICENSED_UNDER",
        "SUPPLIES",
        "MANUFACTURES_FOR",
        "LISTED_ON",
        "TARGETS",
        "RESTRICTS",
        "IMPOSED_BY",
        "MEMBER_OF",
    ):
        assert {"id", "valid_from", "valid_to", "sources"} <= set(s.relationships[rel].properties)
    assert {"share"} <= set(s.relationships["OWNS"].properties)
    assert {"citation", "footnote"} <= set(s.relationships["LISTED_ON"].properties)


def test_ddl_derives_from_schema() -> None:
    s = load_schema()
    ddl = s.ladybug_ddl()
    assert len(ddl) == len(s.labels) + len(s.relationships)
    owns = next(d for d in ddl if d.startswith("CREATE REL TABLE IF NOT EXISTS OWNS("))
    assert "FROM Person TO Company" in owns and "share DOUBLE" in owns and "valid_from DATE" in owns
    cypher = s.neo4j_ddl()
    assert any("FOR (n:Company) REQUIRE n.id IS UNIQUE" in c for c in cypher)
    assert any("FOR ()-[r:OWNS]-() ON (r.id)" in c for c in cypher)


@pytest.mark.parametrize(
    ("record", "start", "end", "problem"),
    [
        ({"type": "OWNS", "id": "x", "share": 101, "sources": ["s"]}, "Company", "Company", "above the maximum 100"),
        ({"type": "OWNS", "id": "x", "share": -1, "sources": ["s"]}, "Company", "Company", "below the minimum 0"),
        ({"type": "OWNS", "id": "x", "share": "half", "sources": ["s"]}, "Company", "Company", "expected a number"),
        ({"type": "OWNS", "id": "x", "sources": []}, "Company", "Company", "sources must not be empty"),
        ({"type": "OWNS", "id": "x", "sources": ["s"]}, "Country", "Country", "cannot join Country to Country"),
        (
            {"type": "OWNS", "id": "x", "sources": ["s"], "valid_from": "2020-02-30"},
            "Company",
            "Company",
            "not a real date",
        ),
        ({"type": "OWNS", "id": "x", "sources": ["s"], "valid_from": "15/05/2020"}, "Company", "Company", "YYYY-MM-DD"),
        (
            {"type": "OWNS", "id": "x", "sources": ["s"], "valid_from": "2021-01-01", "valid_to": "2020-01-01"},
            "Company",
            "Company",
            "before valid_from",
        ),
        (
            {"type": "OWNS", "id": "x", "sources": ["s"], "colour": "red"},
            "Company",
            "Company",
            "unknown property 'colour'",
        ),
        ({"type": "OWNED_BY", "id": "x", "sources": ["s"]}, "Company", "Company", "unknown relationship type"),
    ],
)
def test_edge_validation(record: dict, start: str, end: str, problem: str) -> None:
    _, problems = load_schema().check_edge(record, start, end)
    assert any(problem in p for p in problems), problems


def test_node_validation_normalises_dates() -> None:
    props, problems = load_schema().check_node(
        {"label": "ExportControl", "id": "ec", "name": "Rule", "sources": ["s"], "effective": "2020-08-17"}
    )
    assert problems == []
    assert props["effective"] == dt.date(2020, 8, 17)
    _, problems = load_schema().check_node({"label": "Company", "id": "c", "name": " ", "sources": ["s"]})
    assert problems == ["name is required and must not be blank"]
    _, problems = load_schema().check_node(
        {"label": "Company", "id": "c", "name": "C", "sources": ["s"], "confidence": "maybe"}
    )
    assert "not one of high, medium, low" in problems[0]


def test_parse_date_is_strict() -> None:
    assert parse_date("2019-05-16") == (dt.date(2019, 5, 16), None)
    assert parse_date("2019-5-16")[1] is not None
    assert parse_date(20190516)[1] is not None


def test_inconsistent_schema_is_rejected() -> None:
    raw = {
        "node_properties": {
            "id": {"type": "string", "key": True},
            "name": {"type": "string"},
            "sources": {"type": "string[]"},
        },
        "relationship_properties": {"id": {"type": "string"}},
        "labels": {"Source": {"caption": "name", "color": "#000", "shape": "dot"}},
        "relationships": {"CITES": {"from": ["Source"], "to": ["Ghost"]}},
    }
    with pytest.raises(SchemaError, match="unknown label Ghost"):
        parse_schema(raw)


def test_single_patents_are_detail_records_that_projections_leave_out() -> None:
    s = load_schema()
    assert s.detail_labels == ("Patent",)
    assert "Portfolio" in s.shown_labels and "Patent" not in s.shown_labels
    assert s.shown_ends("HOLDS") == (("Company", "Person"), ("Portfolio",))
    assert s.shown_ends("COVERS") == (("Portfolio",), ("Technology",))
    assert s.shown_ends("OWNS") is None  # joins no detail label: read as it is
