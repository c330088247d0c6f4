"""One contract, run against both backends: the embedded store and a real Neo4j server."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from graph.errors import NodeNotFound, QueryError, QueryTimeout, StoreError, WriteRefused
from graph.model import validate
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import company, dump, edge, poison_neo4j_edges, source, write_records


def seed(store: GraphStore) -> None:
    nodes = [
        source(),
        company("a", "Alpha Holdings"),
        company("b", "Beta Chips"),
        company("c", "Gamma Fab"),
        company("d", "Delta Tools"),
    ]
    edges = [
        edge("OWNS", "a", "b", share=60.0, valid_from="2018-01-01"),
        edge("OWNS", "b", "c", share=None),
        edge("SUPPLIES", "d", "c", input="lithography tools", valid_from="2015-01-01", valid_to="2020-09-14"),
        edge("MANUFACTURES_FOR", "c", "b", valid_from="2021-01-01"),
    ]
    write_records(store, nodes, edges)


def test_upsert_is_idempotent(store: GraphStore) -> None:
    seed(store)
    first = dump(store)
    seed(store)
    assert dump(store) == first
    nodes, rels = store.counts()
    assert nodes["Company"] == 4 and nodes["Source"] == 1
    assert rels["OWNS"] == 2 and rels["SUPPLIES"] == 1


def test_upsert_updates_in_place(store: GraphStore) -> None:
    seed(store)
    write_records(
        store,
        [source(), company("b", "Beta Chips Ltd", country="CHN")],
        [edge("OWNS", "a", "b", share=75.0, valid_from="2018-01-01")],
    )
    node = store.node("b")
    assert node is not None and node["name"] == "Beta Chips Ltd" and node["country"] == "CHN"
    many = store.nodes(["b", "a", "nobody", "b"])  # in bulk, the same records; unknown ids left out
    assert set(many) == {"a", "b"} and many["b"] == node and many["a"] == store.node("a")
    rows = store.query("MATCH (a:Company)-[r:OWNS]->(b:Company) WHERE a.id = 'a' RETURN r.share, r.valid_from").rows
    assert rows == [[75.0, dt.date(2018, 1, 1)]]
    assert store.counts()[1]["OWNS"] == 2


def test_query_with_parameters_returns_plain_values(store: GraphStore) -> None:
    seed(store)
    res = store.query(
        "MATCH (a:Company)-[r:OWNS]->(b:Company) WHERE a.id = $id RETURN a, r, b.name AS name", {"id": "a"}
    )
    assert res.columns == ["a", "r", "name"]
    ((a, r, name),) = res.rows
    assert a["_label"] == "Company" and a["id"] == "a" and a["sources"] == ["src-test"]
    assert r["_type"] == "OWNS" and r["share"] == 60.0 and r["_start"] == "a"
    assert r["valid_from"] == dt.date(2018, 1, 1)
    assert name == "Beta Chips"
    assert res.truncated is False


def test_row_cap_truncates_and_says_so(store: GraphStore) -> None:
    seed(store)
    res = store.query("MATCH (n:Company) RETURN n.id ORDER BY n.id", limit=2)
    assert [r[0] for r in res.rows] == ["a", "b"]
    assert res.truncated is True and res.limit == 2
    assert store.query("MATCH (n:Company) RETURN n.id", limit=4).truncated is False


@pytest.mark.parametrize(
    "cypher",
    [
        "CREATE (n:Company {id: 'x', name: 'X'})",
        "MATCH (n:Company) WHERE n.id = 'a' SET n.name = 'Hacked'",
        "MATCH (n:Company) WHERE n.id = 'a' DETACH DELETE n",
        "MERGE (n:Company {id: 'y'})",
        "match (n) where n.id = 'a' set n.name = 'lower case'",
        "COPY (MATCH (n) RETURN n.id) TO '/tmp/exfiltrated.csv'",
        "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    ],
)
def test_writes_are_refused_and_nothing_changes(store: GraphStore, cypher: str) -> None:
    seed(store)
    before = dump(store)
    with pytest.raises(WriteRefused, match="read-only"):
        store.query(cypher)
    assert dump(store) == before


def test_backend_refuses_a_write_the_text_check_cannot_see(store: GraphStore) -> None:
    """The second fence: the backend itself runs the query read-only."""
    seed(store)
    before = dump(store)
    with pytest.raises((WriteRefused, QueryError)):
        # Not a write keyword at the top level: a procedure that would change the schema.
        store.query(
            "CALL create_fts_index('Company', 'idx', ['name'])"
            if store.kind == "embedded"
            else "CALL db.createLabel('Hacked')"
        )
    assert dump(store) == before


def test_words_inside_strings_are_not_writes(store: GraphStore) -> None:
    seed(store)
    res = store.query("MATCH (n:Company) WHERE n.name <> 'SET DELETE CREATE' RETURN count(n) AS n")
    assert res.rows == [[4]]


def test_slow_query_is_stopped_and_store_stays_usable(store: GraphStore) -> None:
    nodes = [source()] + [company(f"n{i}", f"N {i:05d}") for i in range(1500)]
    write_records(store, nodes, [])
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="time limit"):
        store.query(
            "MATCH (a:Company), (b:Company), (c:Company) WHERE a.name < b.name AND b.name < c.name RETURN count(*)",
            timeout=1.0,
        )
    assert time.perf_counter() - started < 10
    assert store.query("MATCH (n:Company) RETURN count(n)").rows == [[1500]]


def test_bad_query_is_a_query_error(store: GraphStore) -> None:
    with pytest.raises(QueryError):
        store.query("MATCH (n:Company RETURN n")


def test_neighbourhood_filters_by_type_label_and_date(store: GraphStore) -> None:
    seed(store)
    sub = store.neighbourhood("c", hops=1)
    assert set(sub.nodes) == {"b", "c", "d"}
    sub = store.neighbourhood("c", hops=1, as_of=dt.date(2022, 1, 1))  # the supply ended in 2020
    assert set(sub.nodes) == {"b", "c"}
    sub = store.neighbourhood("c", hops=1, types=["SUPPLIES"])
    assert set(sub.nodes) == {"c", "d"}
    sub = store.neighbourhood("c", hops=2, types=["OWNS"])
    assert set(sub.nodes) == {"a", "b", "c"}
    assert {e["_type"] for e in sub.edges.values()} == {"OWNS"}
    sub = store.neighbourhood("c", hops=2, labels=["Country"])
    assert set(sub.nodes) == {"c"} and sub.nodes["c"]["name"] == "Gamma Fab"
    with pytest.raises(NodeNotFound):
        store.neighbourhood("nobody")


def test_neighbourhood_is_capped_and_counts_what_it_left_out(store: GraphStore) -> None:
    nodes = [source(), company("hub", "Hub")] + [company(f"s{i:03d}") for i in range(40)]
    edges = [edge("SUPPLIES", f"s{i:03d}", "hub") for i in range(40)]
    write_records(store, nodes, edges)
    sub = store.neighbourhood("hub", hops=1, limit=15)
    assert sub.total_neighbours == 40 and sub.shown_neighbours == 15 and sub.truncated
    assert len(sub.nodes) == 16 and len(sub.edges) == 15


def test_the_walk_in_a_projection_gives_the_stores_answer(store: GraphStore) -> None:
    """neighbourhood(within=projection), the app's walk in its cached projection, equals the store's walk,
    node for node and property for property, under every filter, page and date."""
    nodes = [source(), company("hub", "Hub"), company("far", "Far Away")]
    nodes += [company(f"s{i:02d}", f"Supplier {i:02d}") for i in range(30)]
    edges = [edge("SUPPLIES", f"s{i:02d}", "hub", valid_from=dt.date(2010 + i % 12, 1, 1)) for i in range(20)]
    edges += [edge("SUPPLIES", f"s{i:02d}", "hub") for i in range(20, 30)]  # undated
    edges += [edge("OWNS", "far", f"s{i:02d}", share=10.0 + i) for i in range(0, 30, 3)]
    write_records(store, nodes, edges)
    for as_of in (None, dt.date(2015, 6, 1), dt.date(2030, 1, 1)):
        g = store.projection(as_of=as_of)
        for hops, limit, offset, undated, types in [
            (1, 150, 0, True, None),
            (1, 7, 7, False, None),
            (2, 12, 0, False, None),
            (2, 40, 5, True, ["OWNS"]),
            (3, 25, 0, True, ["SUPPLIES", "OWNS"]),
        ]:
            a = store.neighbourhood("hub", hops, None, types, as_of, limit, offset, undated)
            b = store.neighbourhood("hub", hops, None, types, as_of, limit, offset, undated, within=g)
            assert (a.nodes, a.edges, a.undated_left_out) == (b.nodes, b.edges, b.undated_left_out)
            counts = ("total_neighbours", "shown_neighbours", "direct_total", "direct_shown")
            assert [getattr(a, c) for c in counts] == [getattr(b, c) for c in counts]


def test_projection_respects_as_of(store: GraphStore) -> None:
    seed(store)
    g = store.projection()
    assert g.number_of_nodes() == 5 and g.number_of_edges() == 4
    assert g.nodes["a"]["label"] == "Company"
    g2017 = store.projection(as_of=dt.date(2017, 6, 1))
    assert not g2017.has_edge("a", "b")  # the stake starts in 2018
    assert g2017.has_edge("d", "c")
    owns = store.projection(types=["OWNS"])
    assert {d["type"] for _, _, d in owns.edges(data=True)} == {"OWNS"}
    assert owns["a"]["b"][next(iter(owns["a"]["b"]))]["share"] == 60.0


def test_stats_and_clear(store: GraphStore) -> None:
    seed(store)
    stats = store.stats()
    assert stats["total_nodes"] == 5 and stats["total_relationships"] == 4
    assert stats["sources"][0]["id"] == "src-test" and stats["sources"][0]["relationships_citing"] == 4
    assert stats["sources"][0]["nodes_citing"] == 4  # the four entities; the Source itself is not counted
    store.clear()
    assert store.stats()["total_nodes"] == 0


def test_bulk_writes_in_parallel_chunks_give_the_same_graph(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the atomic size Neo4j writes committed chunks, several at once; the result must not differ."""
    import graph.store.neo4j_store as mod

    monkeypatch.setattr(mod, "ATOMIC_ROWS", 20)
    monkeypatch.setattr(mod, "BATCH", 7)
    nodes = [source(), *(company(f"c{i}", f"Company {i}") for i in range(60))]
    # Every company owns a stake in one of the first three: hot nodes that parallel chunks all lock.
    edges = [edge("OWNS", f"c{i}", f"c{i % 3}", share=float(i % 50)) for i in range(3, 60)]
    edges += [edge("SUPPLIES", f"c{i}", f"c{(i * 7) % 60}") for i in range(60) if (i * 7) % 60 != i]
    reference = EmbeddedStore(tmp_path / "reference.lbdb")
    for target in (store, reference):
        first = target.write(validate(nodes, edges, target.labels_of))
        again = target.write(validate(nodes, edges, target.labels_of))  # every row an upsert now
        assert (first.nodes_created, first.edges_created) == (61, len(edges))
        assert (again.nodes_created, again.edges_created, again.edges_updated) == (0, 0, len(edges))
    assert dump(store) == dump(reference)
    assert store.counts() == reference.counts()
    if store.kind == "neo4j":
        poison_neo4j_edges(monkeypatch)
        with pytest.raises(StoreError, match=r"committed in \d+ chunks.*run the same import again"):
            store.write(validate(nodes, edges, store.labels_of))
        monkeypatch.undo()
        store.write(validate(nodes, edges, store.labels_of))  # the advice holds: the same write completes it
        assert dump(store) == dump(reference)
