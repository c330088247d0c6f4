"""Shared fixtures: a fresh store of each kind, and a real Neo4j server.

The ``store`` fixture runs each contract test twice, on the embedded
LadybugDB store and on a real Neo4j 5.26 server started from Maven Central
jars (tools/neo4j/server.py). Outside CI a missing Java or Maven skips the
Neo4j half, saying why; with ``CI=true`` nothing skips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.model import EdgeRecord, NodeRecord, validate
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"

_spec = importlib.util.spec_from_file_location("neo4j_server", ROOT / "tools" / "neo4j" / "server.py")
neo4j_server = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(neo4j_server)  # type: ignore[union-attr]


def need(condition: bool, reason: str) -> None:
    """Skip outside CI when a prerequisite is absent; fail in CI, where nothing may skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def _need_neo4j() -> None:
    need(shutil.which("java") is not None, "Java 17 is needed to run Neo4j (apt-get install openjdk-17-jdk-headless)")
    need(
        shutil.which("mvn") is not None or (neo4j_server.LIB / "neo4j-kernel-5.26.30.jar").exists(),
        "Maven is needed to fetch Neo4j (apt-get install maven)",
    )


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    """A running Neo4j server for tests that write: reuse one on the port, or start one and stop it afterwards."""
    was_running = neo4j_server.listening()
    if not was_running:
        _need_neo4j()
        neo4j_server.start()
    os.environ.setdefault("NEO4J_PASSWORD", neo4j_server.PASSWORD)
    yield neo4j_server.URI
    if not was_running:
        neo4j_server.stop()


@pytest.fixture(scope="session")
def core_neo4j_uri(core_embedded: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second Neo4j server that holds the core dataset for the whole session, built into it once.

    Tests that write use :func:`neo4j_uri` and clear it; keeping the core graph on its own server spares a
    rebuild (half a minute) each time a reading test follows a writing one.
    """
    from graph.store.neo4j_store import Neo4jStore

    server = neo4j_server.Server(
        int(os.environ.get("TECHGEO_NEO4J_CORE_PORT", neo4j_server.PORT + 1)),
        neo4j_server.VAR.with_name(neo4j_server.VAR.name + "-core"),
        heap="2g",
    )
    was_running = server.listening()
    if not was_running:
        _need_neo4j()
        server.start()
    os.environ.setdefault("NEO4J_PASSWORD", neo4j_server.PASSWORD)
    with EmbeddedStore(core_embedded) as e, Neo4jStore(server.uri, "neo4j", neo4j_server.PASSWORD) as s:
        if s.counts() != e.counts():
            build_core(s, tmp_path_factory.mktemp("core-neo4j") / "graph.lbdb")
    yield server.uri
    if not was_running:
        server.stop()


def _neo4j_store(uri: str) -> GraphStore:
    from graph.store.neo4j_store import Neo4jStore

    store = Neo4jStore(uri, "neo4j", neo4j_server.PASSWORD)
    store.clear()
    return store


@pytest.fixture(params=["embedded", "neo4j"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each kind, with the schema in place."""
    if request.param == "embedded":
        s: GraphStore = EmbeddedStore(tmp_path / "graph.lbdb")
        s.create()  # type: ignore[attr-defined]
    else:
        s = _neo4j_store(request.getfixturevalue("neo4j_uri"))
    yield s
    s.close()


def write_records(store: GraphStore, nodes: list[NodeRecord], edges: list[EdgeRecord]) -> None:
    """Validate and write records, as the importer does."""
    with store.locked():
        store.write(validate(nodes, edges, store.labels_of))


def source(sid: str = "src-test") -> NodeRecord:
    return NodeRecord(
        "Source",
        {
            "id": sid,
            "name": "Test source",
            "publisher": "Tests",
            "title": "Test source",
            "url": "file:///tests",
            "sources": [sid],
        },
    )


def company(cid: str, name: str | None = None, **props: object) -> NodeRecord:
    return NodeRecord("Company", {"id": cid, "name": name or cid.upper(), "sources": ["src-test"], **props})


def edge(rel_type: str, start: str, end: str, **props: object) -> EdgeRecord:
    return EdgeRecord(rel_type, start, end, {"sources": ["src-test"], **props})


def poison_neo4j_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the Neo4j store's last row of every relationship statement one that the server refuses.

    The row keeps its ends and gets a map, which Neo4j cannot store, for every property: the
    failure comes from inside the server's transaction, after the nodes went in.
    """
    import graph.store.neo4j_store as mod

    real = mod._statements

    def poisoned(*args: object):  # type: ignore[no-untyped-def]
        for query, rows, counter, is_edge in real(*args):
            if is_edge:
                rows = [*rows[:-1], (*rows[-1][:2], *({"nested": 1} for _ in rows[-1][2:]))]
            yield query, rows, counter, is_edge

    monkeypatch.setattr(mod, "_statements", poisoned)


def dump(store: GraphStore) -> tuple[list[tuple], list[tuple]]:
    """Everything in a store, in a stable order, to compare before and after (single patents too, which
    projections leave out)."""
    g = store.projection()
    nodes = [(n, d["label"], d["name"]) for n, d in g.nodes(data=True)]
    for label in store.schema.detail_labels:
        nodes += [(i, label, name) for i, name in store.read("MATCH (n:" + label + ") RETURN n.id, n.name")]
    nodes.sort()
    edges = sorted(
        (a, b, k, tuple(sorted((p, str(v)) for p, v in d.items()))) for a, b, k, d in g.edges(keys=True, data=True)
    )
    return nodes, edges


ARTIFACTS = Path(os.environ.get("TECHGEO_ARTIFACTS") or ROOT / "test-artifacts")


def build_core(store: GraphStore, store_path: Path) -> None:
    """Build the real core dataset (data/ and the shipped raw files) into a store, as `make run` does."""
    from graph import settings as settings_mod
    from graph.build import build

    build(store, settings_mod.load(store_path=store_path))


@pytest.fixture(scope="session")
def core_embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store holding the core dataset, built once per session; tests only read it."""
    path = tmp_path_factory.mktemp("core") / "graph.lbdb"
    with EmbeddedStore(path) as s:
        build_core(s, path)
    return path


def core_environ(kind: str, request: pytest.FixtureRequest, workdir: Path) -> dict[str, str]:
    """The environment variables of an app run on the core dataset on one store kind (``embedded``, ``neo4j``)."""
    core = request.getfixturevalue("core_embedded")
    if kind == "embedded":
        return {"TECHGEO_STORE": str(core)}
    from graph.store.neo4j_store import Neo4jStore

    uri = request.getfixturevalue("core_neo4j_uri")
    # A test may have changed the core graph (a build, an import): rebuild it only then.
    with EmbeddedStore(core) as e, Neo4jStore(uri, "neo4j", neo4j_server.PASSWORD) as s:
        if s.counts() != e.counts():
            build_core(s, workdir / "graph.lbdb")
    return {"TECHGEO_STORE": str(workdir / "graph.lbdb"), "NEO4J_URI": uri, "NEO4J_PASSWORD": neo4j_server.PASSWORD}


@pytest.fixture(params=["embedded", "neo4j"])
def core_env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The environment of an app run on the core dataset, on each store kind; yields the kind."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    for k, v in core_environ(request.param, request, tmp_path).items():
        monkeypatch.setenv(k, v)
    yield request.param


# -- a store whose every string carries markup ---------------------------------------

IMG = "![img](http://127.0.0.1:9/x.png)"
JS = "[click](javascript:alert(1))"
HTML = "<img src=x onerror=alert(1)>"
MARKUP = f"{IMG} {JS} {HTML} **bold** :red[x] $x$ :material/home:"
EVIL_ID = "evil-" + IMG


def hostile_import(tmp_path: Path) -> Path:
    """An import whose names, ids, source titles, publishers, urls and citations all carry markup."""
    d = tmp_path / "hostile"
    d.mkdir()
    sources = [
        {"id": "src-evil", "publisher": f"Pub {MARKUP}", "title": f"Title {MARKUP}", "date": "2020-01-01",
         "url": "javascript:alert(1)", "license": f"Lic {MARKUP}"},
        {"id": "src-web", "publisher": "Web", "title": f"Web {IMG}", "date": "2020-01-01",
         "url": "https://example.org/source", "license": "CC0"},
    ]  # fmt: skip
    nodes = [
        {"id": "huawei", "label": "Company", "name": f"Huawei {MARKUP}", "country": "CHN",
         "aliases": [f"Alias {IMG}"], "sources": ["src-evil"]},
        {"id": EVIL_ID, "label": "Company", "name": f"Evil {MARKUP}", "country": "CHN", "sources": ["src-evil"]},
        {"id": "CHN", "label": "Country", "name": f"China {HTML}", "sources": ["src-web"]},
        {"id": "us-bis-entity-list", "label": "SanctionList", "name": f"Entity List {MARKUP}",
         "citation": f"15 CFR {MARKUP}", "sources": ["src-evil"]},
    ]  # fmt: skip
    edges = [
        {"type": "SUBSIDIARY_OF", "start": EVIL_ID, "end": "huawei", "sources": ["src-evil", "src-web"]},
        {"type": "HEADQUARTERED_IN", "start": "huawei", "end": "CHN", "sources": ["src-web"]},
        {"type": "LISTED_ON", "start": "huawei", "end": "us-bis-entity-list", "valid_from": "2019-05-16",
         "citation": f"84 FR {MARKUP}", "sources": ["src-evil"]},
        {"type": "LISTED_ON", "start": EVIL_ID, "end": "us-bis-entity-list", "valid_from": "2019-05-16",
         "citation": f"84 FR {MARKUP}", "sources": ["src-evil"]},
    ]  # fmt: skip
    for name, rows in (("sources", sources), ("nodes", nodes), ("edges", edges)):
        (d / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return d


@pytest.fixture
def hostile_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's environment on a store of hostile names, with a build report that carries markup too."""
    path = tmp_path / "hostile.lbdb"
    with EmbeddedStore(path) as s:
        from graph.importer import import_dir

        import_dir(s, hostile_import(tmp_path))
    report = {"source": f"loader {MARKUP}", "rows_read": {f"file {IMG}": 1}, "skipped": [f"row {MARKUP}"]}
    manifest = {"built_at": f"today {MARKUP}", "seconds": f"1 {IMG}", "loaders": [report]}
    path.with_name(path.name + ".build.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("TECHGEO_STORE", str(path))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    return path
