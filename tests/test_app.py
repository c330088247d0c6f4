"""Every page of the app renders on both stores, its widgets change state, and the console stays read-only.

These run the real app script with Streamlit's AppTest on the core dataset
built from data/ (embedded) and on a real Neo4j server.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graph import settings as settings_mod
from graph.importer import import_dir
from graph.store import open_store
from graph.store.embedded import EmbeddedStore
from tests.conftest import ROOT
from tests.test_import_cli import MINI

PAGES = ["explore", "paths", "exposure", "console", "briefing", "sources"]
TITLES = ["Explore", "Influence paths", "Sanction exposure", "Cypher console", "Briefing", "Sources"]


def app(page: str = "explore") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if page != "explore":
        at.switch_page(f"graph/ui/pages/{page}.py").run()
    return at


def test_every_page_renders_and_names_its_store(core_env: str) -> None:
    where = open_store(settings_mod.load()).describe()
    for page, title in zip(PAGES, TITLES):
        at = app(page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        assert at.title[0].value == title
        assert where in at.caption[0].value and "built" in at.caption[0].value
        assert "password" not in at.caption[0].value


def test_explore_filters_change_the_picture(core_env: str) -> None:
    at = app()
    assert "Huawei" in at.selectbox(key="entity").value or at.selectbox(key="entity").value == "huawei"
    first = at.markdown[0].value
    at.multiselect(key="types").set_value(["LICENSES_TO"]).run()
    with open_store(settings_mod.load()) as store:
        sub = store.neighbourhood("huawei", 1, types=["LICENSES_TO"], as_of=dt.date.today())
    assert f"showing {sub.shown_neighbours} of {sub.total_neighbours} neighbours" in at.markdown[0].value
    assert at.markdown[0].value != first
    at.slider(key="hops").set_value(2).run()
    assert not at.exception
    assert at.query_params["hops"] == ["2"] or at.query_params["hops"] == "2"


def test_console_refuses_a_write_and_keeps_the_graph(core_env: str) -> None:
    with open_store(settings_mod.load()) as store:
        before = store.counts()
    at = app("console")
    at.text_area[0].set_value("MATCH (n) DETACH DELETE n")
    at.button[0].click().run()
    assert any("read-only" in e.value for e in at.error), [e.value for e in at.error]
    with open_store(settings_mod.load()) as store:
        assert store.counts() == before


def test_console_shows_a_truncation_banner(core_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_ROW_CAP", "5")
    at = app("console")
    at.text_area[0].set_value("MATCH (n:Company) RETURN n.name")
    at.button[0].click().run()
    assert any("Truncated" in w.value and "5 rows" in w.value for w in at.warning), [w.value for w in at.warning]


def test_console_names_the_ladybug_equivalent(core_embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(core_embedded))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app("console")
    at.text_area[0].set_value("MATCH (a:Company)-[r]->(b) RETURN type(r) LIMIT 3")
    at.button[0].click().run()
    assert any("label(r)" in e.value for e in at.error), [e.value for e in at.error]


def test_exposure_what_if_shows_the_difference(core_env: str) -> None:
    at = app("exposure")
    assert len(at.dataframe[0].value) > 0
    with open_store(settings_mod.load()) as store:
        before = store.counts()
    at.radio[0].set_value("listing").run()
    next(s for s in at.selectbox if s.label == "Entity").set_value("honor")
    next(s for s in at.selectbox if s.label == "List").set_value("us-ofac-sdn")
    next(b for b in at.button if b.label == "Add to scenario").click().run()
    assert not at.exception, [e.value for e in at.exception]
    changed = next(d.value for d in at.dataframe if "baseline" in d.value.columns)
    row = changed[changed["id"] == "honor"].iloc[0]
    assert row["scenario"] == 100 and row["baseline"] < 100
    with open_store(settings_mod.load()) as store:
        assert store.counts() == before  # a scenario never writes


def test_saved_view_appears_in_the_briefing(core_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app()
    next(b for b in at.button if b.label == "Save view to briefing").click().run()
    at.switch_page("graph/ui/pages/briefing.py").run()
    assert not at.exception
    assert any("neighbourhood" in e.label for e in at.expander), [e.label for e in at.expander]


def test_missing_store_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "absent.lbdb"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app()
    assert "run `python -m graph build`" in at.error[0].value


def test_unreachable_neo4j_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "g.lbdb"))
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    at = app()
    assert at.error and "127.0.0.1:1" in at.error[0].value
    assert any("NEO4J_URI" in i.value for i in at.info)


def test_small_import_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    import_dir(store, MINI)
    store.close()
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "g.lbdb"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app("sources")
    assert [m.value for m in at.metric][:2] == ["7", "6"]
