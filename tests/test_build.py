"""``python -m graph build``: the whole core dataset, on both stores, atomically."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import settings as settings_mod
from graph.build import build
from graph.errors import StoreError
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import SHARED_DATA, dump, need, neo4j_server, poison_neo4j_edges
from tests.test_import_cli import run, target


@pytest.fixture(scope="module")
def raw_dirs() -> tuple[Path, ...]:
    need((SHARED_DATA / "bri-gfdc").is_dir(), f"the GFDC workbook is not under {SHARED_DATA}")
    return (settings_mod.DATA_DIR / "raw", SHARED_DATA)


@pytest.fixture(params=["embedded", "neo4j"])
def core_store(request: pytest.FixtureRequest, core_embedded: Path, tmp_path: Path) -> Iterator[GraphStore]:
    """The session's core graph on each store kind, as its first build left it (a copy, on the embedded store)."""
    if request.param == "embedded":
        for f in core_embedded.parent.glob(core_embedded.name + "*"):
            shutil.copy(f, tmp_path / f.name.replace(core_embedded.name, "g.lbdb"))
        store: GraphStore = EmbeddedStore(tmp_path / "g.lbdb")
    else:
        from graph.store.neo4j_store import Neo4jStore

        store = Neo4jStore(request.getfixturevalue("core_neo4j_uri"), "neo4j", neo4j_server.PASSWORD)
    yield store
    store.close()


def test_build_core_dataset(
    core_store: GraphStore, core_embedded: Path, raw_dirs: tuple[Path, ...], tmp_path: Path
) -> None:
    store = core_store
    first = dump(store)  # built by the session's fixtures, as `make run` builds
    if store.kind == "embedded":
        settings = settings_mod.load(store_path=tmp_path / "g.lbdb", raw_dirs=raw_dirs)
        batch, _, reports = build(store, settings)
        assert dump(store) == first  # idempotent: building again gives the same graph
        nodes, _ = store.counts()
        assert batch.counts()["nodes"] == sum(nodes.values())
        manifest = json.loads((tmp_path / "g.lbdb.build.json").read_text())  # beside the file
        assert manifest["counts"]["nodes"] == sum(nodes.values())
        assert {r.source for r in reports} >= {"curated", "src-cset-eto-chip-explorer", "src-gfdc-bri-countries-2023"}
    else:
        # The server holds, fact for fact, what the embedded build holds: the same build through the other
        # backend. (Building into the server a second time would prove idempotency again, at a minute's cost.)
        with EmbeddedStore(core_embedded) as embedded:
            assert first == dump(embedded)
    nodes, rels = store.counts()
    assert nodes["Company"] >= 400 and nodes["ExportControl"] >= 30 and nodes["Country"] == 249
    assert rels["MEMBER_OF"] == 150 and rels["SUPPLIES"] > 1000
    # Curated companies absorbed CSET's records of the same firm through their xrefs.
    asml = store.node("asml")
    assert asml is not None and "src-cset-eto-chip-explorer" in asml["sources"]
    assert store.node("cset-P88") is None
    euv = store.query(
        "MATCH (a:Company)-[r:SUPPLIES]->(t:Technology) WHERE a.id = 'asml' AND t.name = 'EUV lithography tools' RETURN r.share"
    ).rows
    assert euv == [[100.0]]
    # Every fact cites sources that exist.
    source_ids = {r[0] for r in store.query("MATCH (s:Source) RETURN s.id", limit=None).rows}
    g = store.projection()
    for _, _, data in g.edges(data=True):
        assert data["sources"] and set(data["sources"]) <= source_ids
    uncited = store.query("MATCH (n) WHERE size(n.sources) = 0 RETURN n.id", limit=None).rows
    assert uncited == []
    # As of 2020-09-15 Huawei was listed; on 2019-01-01 it was not.
    listed = store.projection(types=["LISTED_ON"], as_of=dt.date(2020, 9, 15))
    assert listed.has_edge("huawei", "us-bis-entity-list")
    assert not store.projection(types=["LISTED_ON"], as_of=dt.date(2019, 1, 1)).has_edge("huawei", "us-bis-entity-list")
    assert store.neighbourhood("ITA", types=["MEMBER_OF"], as_of=dt.date(2024, 1, 1)).nodes.keys() == {"ITA"}
    # The real grants' patents are in the store as detail records, each with its holder.
    held = store.read("MATCH (h)-[:HOLDS]->(p:Patent) RETURN count(DISTINCT p)")[0][0]
    assert held == 24  # 25 grants, one without an assignee


def test_failed_build_leaves_old_graph_serving(
    store: GraphStore, raw_dirs: tuple[Path, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_mod.load(store_path=tmp_path / "g.lbdb", raw_dirs=raw_dirs)
    assert run("import", str(Path(__file__).parent / "fixtures" / "mini"), *target(store)).returncode == 0
    before = dump(store)
    # Fail half-way through the write, after the nodes went in.
    if isinstance(store, EmbeddedStore):
        import graph.store.embedded as mod

        def boom(*args: object) -> None:
            raise RuntimeError("disk full (injected)")

        monkeypatch.setattr(mod, "_write_edges", boom)
    else:
        poison_neo4j_edges(monkeypatch)
    with pytest.raises(StoreError, match="rolled back"):
        build(store, settings)
    assert dump(store) == before
    if isinstance(store, EmbeddedStore):
        assert not list(tmp_path.glob(".g*.tmp"))


def test_cli_build_shows_progress(tmp_path: Path, raw_dirs: tuple[Path, ...]) -> None:
    res = run("build", "--store", str(tmp_path / "cli.lbdb"), env={"TECHGEO_RAW_DIRS": ":".join(map(str, raw_dirs))})
    assert res.returncode == 0, res.stderr
    assert "src-gfdc-bri-countries-2023: 152 nodes, 150 edges" in res.stderr
    assert res.stdout.startswith("built ")
