"""Every page of the app renders on both stores, its widgets change state, and the console stays read-only.

These run the real app script with Streamlit's AppTest on the core dataset
built from data/ (embedded) and on a real Neo4j server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from graph import settings as settings_mod
from graph import views as gv
from graph.importer import import_dir
from graph.store import open_store
from graph.store.embedded import EmbeddedStore
from graph.ui.common import md
from tests.conftest import EVIL_ID, IMG, MARKUP, ROOT
from tests.test_import_cli import MINI

PAGES = ["explore", "paths", "exposure", "console", "briefing", "sources"]
TITLES = ["Explore", "Influence paths", "Sanction exposure", "Cypher console", "Briefing", "Sources"]


def plain(markdown: str) -> str:
    """What a person reads in markdown that escapes text from data: backslash escapes and word joiners resolved."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


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
        assert where in plain(at.caption[0].value) and "built" in at.caption[0].value
        assert "password" not in at.caption[0].value


def test_explore_filters_change_the_picture(core_env: str) -> None:
    at = app()
    assert at.session_state["entity"] == "huawei" and "Open: **Huawei" in at.caption[1].value
    first = at.markdown[0].value
    assert any(plain(m.value).startswith("score 100 = ") for m in at.markdown), "Explore's details explain the score"
    at.multiselect(key="types").set_value(["LICENSES_TO"]).run()
    with open_store(settings_mod.load()) as store:
        sub = store.neighbourhood("huawei", 1, types=["LICENSES_TO"], as_of=dt.date.today())
    assert f"showing {sub.shown_neighbours} of {sub.total_neighbours} neighbours" in at.markdown[0].value
    assert at.markdown[0].value != first
    at.slider(key="hops").set_value(2).run()
    assert not at.exception
    assert at.query_params["hops"] == ["2"] or at.query_params["hops"] == "2"


def test_explore_opens_on_the_seed_story_and_pages_each_expansion(core_env: str) -> None:
    at = app()
    story = at.markdown[0].value
    assert "Belt and Road membership" in story and "chokepoint inputs" in story, story
    at.number_input(key="limit").set_value(10).run()
    at.session_state["expanded"] = [["CHN", 0]]
    at.run()
    more = [b for b in at.button if b.label.startswith("More of China (showing 1–10 of ")]
    assert more, [b.label for b in at.button]
    more[0].click().run()
    assert at.session_state["expanded"] == [["CHN", 10]]
    assert "China: showing 11–20 of" in plain(at.markdown[0].value)
    assert "Belt and Road membership" in at.markdown[0].value  # still the story, grown by the expansion


def test_seed_story_has_suppliers_and_belt_and_road_countries(core_env: str) -> None:
    from graph import views as gv

    with open_store(settings_mod.load()) as store:
        view = gv.seed_view(store, dt.date(2026, 11, 24))
    labels = {n["id"]: n["label"] for n in view.nodes}
    types = {(e["type"], e["from"], e["to"]) for e in view.edges}
    assert ("MANUFACTURES_FOR", "smic", "hisilicon") in types  # the foundry that makes its chips
    assert ("SUPPLIES", "asml", "cset-N20") in types  # EUV tools, a chokepoint SMIC needs, from ASML
    licensees = {b for t, a, b in types if t == "LICENSES_TO" and a == "huawei"}
    countries = {b for t, a, b in types if t == "HEADQUARTERED_IN" and a in licensees}
    assert countries and all(labels[c] == "Country" for c in countries)
    assert any(t == "MEMBER_OF" and a in countries and b == "bri" for t, a, b in types)
    assert 20 <= len(view.nodes) <= 60, len(view.nodes)  # a readable picture, not a hairball
    assert all(e["sources"] for e in view.edges) and view.sources


def test_every_saved_query_runs_on_this_store_and_finds_something(core_env: str) -> None:
    from graph.console import SAVED_QUERIES

    with open_store(settings_mod.load()) as store:
        for saved in SAVED_QUERIES:
            params = {
                p.name: dt.date.today().isoformat() if p.kind == "date" and p.default is None else p.default
                for p in saved.params
            }
            result = store.query(saved.text(store.kind), params, timeout=30, limit=500)
            assert result.rows, (store.kind, saved.name)


def test_console_link_runs_its_query(core_env: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(
        {"q": "MATCH (n:Company) WHERE n.id = $id RETURN n.name AS name", "params": '{"id": "asml"}', "run": "1"}
    )
    at.run()
    at.switch_page("graph/ui/pages/console.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.dataframe[0].value["name"].tolist() == ["ASML Holding N.V."]


def test_console_refuses_a_write_and_keeps_the_graph(core_env: str) -> None:
    with open_store(settings_mod.load()) as store:
        before = store.counts()
    at = app("console")
    at.text_area[0].set_value("MATCH (n) DETACH DELETE n")
    at.button[0].click().run()
    assert any("read-only" in plain(e.value) for e in at.error), [e.value for e in at.error]
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
    at.text_input(key="whatif_who_find").input("honor").run()
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
    assert any("seed story" in e.label for e in at.expander), [e.label for e in at.expander]
    # Each view is shared by a link to its frozen picture and one that recomputes it on today's graph.
    links = {e.proto.label: e.proto for e in at.get("page_link")}
    frozen = links["Link to this saved view"]
    assert frozen.page == "briefing" and frozen.query_string.startswith("board=briefing&view="), frozen
    live = links["Open it live on today's graph"]
    assert live.page in ("", "explore") and "entity=huawei" in live.query_string, live  # Explore is the default page
    assert at.query_params["board"] in (["briefing"], "briefing")


def test_briefing_makes_png_and_pdf(core_embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from tests.conftest import need

    need(shutil.which("chromium") is not None, "PNG and PDF export needs Debian's chromium (apt-get install chromium)")
    store = tmp_path / "graph.lbdb"  # a store of its own, so the storyboard folder is this test's
    shutil.copyfile(core_embedded, store)
    monkeypatch.setenv("TECHGEO_STORE", str(store))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app()
    next(b for b in at.button if b.label == "Save view to briefing").click().run()
    at.switch_page("graph/ui/pages/briefing.py").run()
    for fmt in ("PNG", "PDF"):
        next(b for b in at.button if b.label == f"Make {fmt}").click().run()
        assert not at.error, [e.value for e in at.error]
        (made,) = [d for d in at.get("download_button") if d.proto.label == f"Download {fmt}"]
        assert made.proto.url.endswith(f".{fmt.lower()}"), made.proto
    # The bytes behind those buttons: the same storyboard, printed the same way.
    from graph.briefing import Storyboard

    board = Storyboard.load_or_new(tmp_path / "briefings", "briefing")
    assert board.export_bytes("png").startswith(b"\x89PNG") and board.export_bytes("pdf").startswith(b"%PDF")


def test_explore_survives_a_mangled_link(core_env: str) -> None:
    """Numbers in a hand-edited link that are not numbers, or out of range, fall back or clamp."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"hops": "two", "limit": "99999"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="hops").value == 1 and at.number_input(key="limit").value == 2000


def test_exposure_link_explains_its_entity_with_its_dependence(core_env: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"entity": "hisilicon", "as_of": "2026-11-24"})
    at.run()
    at.switch_page("graph/ui/pages/exposure.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox[0].value == "hisilicon"
    assert any("Supply-chain dependence" in m.value for m in at.markdown)
    inputs = next(d.value for d in at.dataframe if "needed for" in d.value.columns)
    assert "EUV lithography tools" in inputs["input"].tolist()
    # The score in words, its listings as a table, and no Python text on the page.
    said = [plain(m.value) for m in at.markdown]
    assert any(re.fullmatch(r"score 100 = (min\(100, )?direct \d+.*", m) for m in said), said
    assert any(m.startswith("listed on BIS Entity List since 20") for m in said), said
    listings = next(d.value for d in at.dataframe if "since" in d.value.columns)
    assert "BIS Entity List" in listings["list"].tolist()
    page_text = " ".join(said) + " ".join(str(j.proto) for j in at.get("json"))
    assert "datetime.date(" not in page_text


def test_paths_page_reads_and_writes_its_link(core_env: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    # AppTest opens the default page first, and Explore keeps its own (clamped) `hops` in the link; the
    # link under test is set afterwards, as when it is opened on the Paths page directly.
    at.query_params.update({"from": "hisilicon", "to": "asml", "hops": "4", "k": "3", "directed": "0"})
    at.switch_page("graph/ui/pages/paths.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="path_hops").value == 4 and at.number_input(key="path_k").value == 3
    assert "HiSilicon" in at.markdown[0].value or any("HiSilicon" in m.value for m in at.markdown)
    at.slider(key="path_hops").set_value(5).run()
    assert at.query_params["hops"] in (["5"], "5") and at.query_params["from"] in (["hisilicon"], "hisilicon")


def test_missing_store_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "absent.lbdb"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app()
    assert "run `python -m graph build`" in plain(at.error[0].value)


def test_unreachable_neo4j_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "g.lbdb"))
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:1")
    at = app()
    assert at.error and "127.0.0.1:1" in plain(at.error[0].value)
    assert any("NEO4J_URI" in i.value for i in at.info)


def test_small_import_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    import_dir(store, MINI)
    store.close()
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "g.lbdb"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app("sources")
    assert [m.value for m in at.metric][:2] == ["7", "6"]


def _mini_copy(tmp_path: Path, name: str, replace: dict[str, str]) -> Path:
    """A copy of the mini import with some of its text replaced."""
    d = tmp_path / name
    d.mkdir()
    for f in MINI.iterdir():
        text = f.read_text(encoding="utf-8")
        for old, new in replace.items():
            text = text.replace(old, new)
        (d / f.name).write_text(text, encoding="utf-8")
    return d


def test_app_reads_the_new_file_after_a_rebuild_swaps_it_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build or import renames a new file over the store; the app's open handle must not go on reading the old one.

    The new graph has the same counts, so only the file's identity tells the two versions apart.
    """
    path = tmp_path / "g.lbdb"
    with EmbeddedStore(path) as s:
        import_dir(s, MINI)
    monkeypatch.setenv("TECHGEO_STORE", str(path))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    assert "Huawei Technologies" in at.subheader[0].value
    assert "Open: **Huawei Technologies Co" in at.caption[1].value

    renamed = _mini_copy(tmp_path, "renamed", {"Huawei Technologies Co., Ltd.": "Renamed Holding"})
    with EmbeddedStore(path) as s:  # another writer, as `python -m graph import` is
        s.clear()
        import_dir(s, renamed)
    manifest = path.with_name(path.name + ".build.json")
    manifest.write_text('{"built_at": "2031-01-02T03:04:05+00:00", "loaders": []}', encoding="utf-8")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "2031-01-02T03:04:05" in plain(at.caption[0].value)
    assert "Renamed Holding" in at.subheader[0].value  # read from the store now
    assert "Open: **Renamed Holding**" in at.caption[1].value  # the names index is per graph version
    assert not [f for f in _open_files() if str(path) in f and f.endswith("(deleted)")]  # the old handle is closed


def _open_files() -> list[str]:
    """What this process's file descriptors point to (Linux); a deleted file reads 'PATH (deleted)'."""
    out = []
    for fd in list(Path("/proc/self/fd").glob("*")):
        with contextlib.suppress(OSError):  # an fd closed while listing
            out.append(os.readlink(fd))
    return out


# -- markup from data or a link is shown as text -------------------------------------


def _markdown_of(at: AppTest) -> list[tuple[str, str]]:
    """Every string on the page that Streamlit renders as markdown, with the kind of element it is in."""
    from streamlit.testing.v1 import element_tree as et

    out: list[tuple[str, str]] = []
    for node in [*at.main, *at.sidebar, *at.toast]:
        if isinstance(node, (et.Markdown, et.AlertBase, et.HeadingBase, et.Toast)):
            out.append((node.type, node.proto.body))
        if isinstance(node, (et.Expander, et.Widget, et.PageLink, et.Metric)):
            out.append((node.type, node.proto.label))
        if isinstance(node, et.Widget) and getattr(node.proto, "help", ""):
            out.append((node.type, node.proto.help))
    return out


def _live(markdown: str) -> list[str]:
    """Markup in ``markdown`` that a renderer would act on: its unescaped characters matched against each construct."""
    skeleton = re.sub(r"\\[!-/:-@\[-`{-~]", "\x00", markdown)  # an escaped character is text
    found = [
        m.group()
        for pattern in (r"!\[", r"\]\(", r"<[A-Za-z!/?]", r":red\[", r":material/", r"\$x\$", r"\*\*bold")
        for m in re.finditer(pattern, skeleton)
    ]
    # GFM links the bare URLs and e-mail addresses in the text, escaped or not; a word joiner breaks them.
    text = re.sub(r"\\(.)", r"\1", markdown)
    return found + re.findall(r"(?i)https?://|www\.\w|\w@\w", text)


def _assert_shown_as_text(at: AppTest, page: str, kinds: set[str]) -> None:
    """No markup is live on the page, and the markup did reach it (as text) in elements of each of ``kinds``."""
    assert not at.exception, (page, [e.value for e in at.exception])
    shown = _markdown_of(at)
    live = [(kind, body, _live(body)) for kind, body in shown if _live(body)]
    assert live == [], (page, live)
    assert kinds <= {kind for kind, body in shown if IMG in plain(body)}, (page, shown)


def test_markup_from_data_and_links_is_shown_as_text_on_every_page(hostile_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"as_of": f"2024-01-01{MARKUP}"})
    at.run()
    _assert_shown_as_text(at, "explore", {"caption", "subheader", "markdown"})
    assert any("not a date" in w.value for w in at.warning), [w.value for w in at.warning]  # the link's as_of
    assert "Huawei" in at.subheader[0].value
    next(b for b in at.button if b.label == "Save view to briefing").click().run()  # its toast names the view
    _assert_shown_as_text(at, "explore (saved)", {"toast"})
    assert at.toast, "the save shows a toast"

    at.text_input(key="entity_find").input(EVIL_ID).run()
    _assert_shown_as_text(at, "explore (an id with markup)", {"subheader"})
    assert any("Evil" in s.value for s in at.subheader), [s.value for s in at.subheader]

    at.query_params.update({"from": EVIL_ID, "to": "CHN", "hops": "3", "as_of": "2024-01-01"})
    pages = {"paths": {"markdown"}, "exposure": {"caption"}, "briefing": {"expander"}, "sources": {"expander"}}
    for page, kinds in pages.items():
        at.switch_page(f"graph/ui/pages/{page}.py").run()
        _assert_shown_as_text(at, page, kinds)
    # Only an http(s) url is a link; any other address is shown as text beside it.
    frame = at.dataframe[0].value
    assert frame["url"].dropna().tolist() == ["https://example.org/source"]
    assert frame["address (not a web link)"].dropna().tolist() == ["javascript:alert(1)"]
    assert json.loads(at.dataframe[0].proto.columns)["url"]["type_config"]["type"] == "link"

    at.switch_page("graph/ui/pages/console.py").run()
    at.text_area[0].set_value(f"MATCH (n) RETURN n.name, {MARKUP}")
    at.button[0].click().run()
    assert at.error, "the console echoes the bad query in its error"
    _assert_shown_as_text(at, "console error", {"error"})


def _keep_downloads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Keep the in-memory media store of each AppTest run (AppTest drops it), to read what a download gives."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    kept: list[Any] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            kept.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Kept)
    return kept


def _download(kept: list[Any], button: Any) -> bytes:
    """The bytes a download button of the last run hands out."""
    return kept[-1].get_file(button.proto.url.rsplit("/", 1)[-1]).content


def test_console_csv_download_neutralises_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    from tests.test_import_cli import FORMULA_QUERY, FORMULAS, copy_fixture

    huawei = {"id": "huawei", "label": "Company", "name": FORMULAS[0], "sources": ["src-fr-2019-10616"]}
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        import_dir(s, copy_fixture(tmp_path, "nodes.jsonl", 1, json.dumps(huawei)))
    monkeypatch.setenv("TECHGEO_STORE", str(tmp_path / "g.lbdb"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    kept = _keep_downloads(monkeypatch)
    at = app("console")
    at.text_area[0].set_value(FORMULA_QUERY)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    (button,) = [d for d in at.get("download_button") if d.proto.label == "Download CSV"]
    header, row = list(csv.reader(_download(kept, button).decode("utf-8").splitlines()))
    assert header == ["name", "plus", "at", "minus", "number", "text_number", "plain"]
    assert row == ["'" + f for f in FORMULAS] + ["-5", "-5", "Huawei Technologies"]


def test_a_new_storyboard_is_made_filled_presented_and_exported(
    core_embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new name makes a storyboard and makes it current: views saved on other pages go to it."""
    import shutil

    from graph.briefing import Storyboard

    store = tmp_path / "graph.lbdb"  # a store of its own, so the storyboard folder is this test's
    shutil.copyfile(core_embedded, store)
    monkeypatch.setenv("TECHGEO_STORE", str(store))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    kept = _keep_downloads(monkeypatch)
    at = app("briefing")
    next(t for t in at.text_input if t.label == "New storyboard name").set_value("!!!").run()
    assert not at.exception and any("cannot name a storyboard" in plain(e.value) for e in at.error)
    next(t for t in at.text_input if t.label == "New storyboard name").set_value("Wall of China").run()
    assert not at.exception, [e.value for e in at.exception]
    assert next(s for s in at.selectbox if s.label == "Storyboard").value == "Wall-of-China"
    assert next(t for t in at.text_input if t.label == "New storyboard name").value == ""  # ready for the next
    assert (tmp_path / "briefings" / "Wall-of-China.json").exists()

    for page in ("explore", "paths"):
        if page == "paths":  # AppTest keeps Explore's link across pages, where a browser starts afresh
            at.query_params.update({"hops": "6", "types": ""})
        at.switch_page(f"graph/ui/pages/{page}.py").run()
        next(b for b in at.button if b.label == "Save view to briefing").click().run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert "Wall\\-of\\-China" in at.toast[0].value, at.toast[0].value
    at.switch_page("graph/ui/pages/briefing.py").run()
    assert at.selectbox(key="board_pick").value == "Wall-of-China"
    board = Storyboard.load_or_new(tmp_path / "briefings", "Wall-of-China")
    assert [v.params.get("kind") for v in board.views] == ["seed", "paths"]
    assert [e.label for e in at.expander if e.label[:1].isdigit()] == [
        f"{i}. {md(v.title)}" for i, v in enumerate(board.views, 1)
    ]
    assert not Storyboard.load_or_new(tmp_path / "briefings", "briefing").views  # nothing went to the default

    at.toggle(key="present").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["present"] in (["1"], "1") and at.query_params["board"] in (
        ["Wall-of-China"],
        "Wall-of-China",
    )
    (html,) = [d for d in at.get("download_button") if d.proto.label == "Standalone HTML (offline)"]
    page = _download(kept, html).decode("utf-8")
    assert page == board.html() and all(v.title in page for v in board.views)

    at.selectbox(key="board_pick").set_value("briefing").run()  # and back to another storyboard
    assert not at.exception and any("No views yet" in i.value for i in at.info)
    assert at.query_params["board"] in (["briefing"], "briefing")

    linked = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)  # a shared link opens its storyboard
    linked.run()
    linked.query_params.update({"board": "Wall-of-China", "view": "2"})
    linked.switch_page("graph/ui/pages/briefing.py").run()
    assert linked.selectbox(key="board_pick").value == "Wall-of-China"
    assert [e.proto.expanded for e in linked.expander if e.label[:1].isdigit()] == [False, True]


def test_the_2020_picture_shows_only_what_was_true_then(core_env: str) -> None:
    """Licences known only by a later year stay off a 2020 picture; undated facts are left out and
    counted until the reader includes them; an undated listing reads "date not in source", never "?"."""
    from graph import views as gv

    day = dt.date(2020, 9, 15)
    with open_store(settings_mod.load()) as store:
        view = gv.seed_view(store, day)
        included = gv.seed_view(store, day, undated=True)
    licensees = {e["to"] for e in view.edges if e["type"] == "LICENSES_TO"}
    assert not licensees & {"xiaomi", "volkswagen", "sharp", "amazon", "vivo"}, licensees
    assert all(e["dating"] != "unknown" for e in view.edges)
    assert any(e["dating"] == "unknown" for e in included.edges)

    at = app()
    at.text_input(key="as_of").input(day.isoformat()).run()
    caption = plain(at.markdown[0].value)
    assert re.search(r"\d+ undated facts? left out", caption), caption
    assert at.toggle(key="undated").value is False
    at.toggle(key="undated").set_value(True).run()
    caption = plain(at.markdown[0].value)
    assert "left out" not in caption and "drawn dashed" in caption, caption
    details = " ".join(plain(m.value) for m in at.markdown)
    assert "DoD Section 1260H" in details and "date not in source" in details and "since ?" not in details


def test_paths_page_says_how_many_pages_through_them_and_ranks_the_control_first(core_env: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    at.query_params.update({"from": "smic", "to": "asml", "hops": "4", "k": "5", "directed": "0", "types": ""})
    at.switch_page("graph/ui/pages/paths.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = [plain(m.value).strip("*") for m in at.markdown]
    count = next(t for t in text if t.startswith("showing "))
    assert re.match(r"showing 1–5 of \d+ paths, ranked by relevance", count), count
    # The Dutch control on DUV lithography, effective 2023-09-01, is the first path, and its hop says when.
    first = text[text.index(next(t for t in text if t.startswith("1. "))) + 1 :]
    assert any("Netherlands" in t and "since 2023-09-01" in t for t in first[:4]), "\n".join(first[:5])
    assert "log2" in " ".join(c.value for c in at.caption)  # the ranking is explained on the page
    at.button(key="paths_next").click().run()
    assert any(plain(m.value).strip("*").startswith("showing 6–10 of ") for m in at.markdown)
    at.radio(key="path_rank").set_value("length").run()
    count = next(plain(m.value).strip("*") for m in at.markdown if plain(m.value).strip("*").startswith("showing "))
    assert count.startswith("showing 1–5 of ") and "ranked by length" in count, count


def test_search_opens_only_an_exact_name_and_says_when_a_name_is_not_in_the_graph(core_env: str) -> None:
    at = app()
    at.text_input(key="entity_find").input("Megvii").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["entity"] == "huawei"  # nothing opened: still the entity it had
    assert any("No entity is named “Megvii” exactly" in plain(w.value) for w in at.warning), [
        w.value for w in at.warning
    ]
    pick = at.selectbox(key="entity_pick")
    assert "MEGVII" in pick.options[0] and "(Company) · 95% · similar name" in pick.options[0], pick.options
    assert any("Screen “Megvii”" in plain(link.label) for link in at.get("page_link"))
    at.text_input(key="entity_find").input("ByteDance").run()
    assert any("“ByteDance” is not in the graph" in plain(w.value) for w in at.warning)
    at.text_input(key="entity_find").input("Megvii").run()
    megvii = at.session_state["entity_found"].suggestions[0].id
    at.selectbox(key="entity_pick").set_value(megvii).run()  # choosing a suggestion opens it
    assert at.session_state["entity"] == megvii and not at.warning
    assert "MEGVII" in at.subheader[0].value
    # "Screen this name" carries it to the Screen page, filled in.
    at.query_params["names"] = "Megvii"
    at.switch_page("graph/ui/pages/screen.py").run()
    assert at.text_area(key="screen_names").value == "Megvii"


def test_switching_from_the_story_clears_its_type_filter(core_env: str) -> None:
    at = app()
    assert set(at.multiselect(key="types").value) == set(gv.SEED_TYPES)
    at.text_input(key="entity_find").input("tsmc").run()
    assert at.session_state["entity"] == "tsmc" and at.multiselect(key="types").value == []
    with open_store(settings_mod.load()) as store:
        sub = store.neighbourhood("tsmc", 1, as_of=dt.date.today(), undated=False)
    assert f"of {sub.total_neighbours} neighbours" in at.markdown[0].value  # all types, not the story's
    assert "TWN" in sub.nodes  # HEADQUARTERED_IN, which the story's filter leaves out


def test_what_if_reports_a_new_status_under_a_capped_score_and_a_fact_dated_too_late(core_env: str) -> None:
    at = app("exposure")
    at.radio[0].set_value("listing").run()
    at.text_input(key="whatif_who_find").input("huawei").run()  # at 100 already: the score cannot move
    next(s for s in at.selectbox if s.label == "List").set_value("us-ofac-sdn")
    next(b for b in at.button if b.label == "Add to scenario").click().run()
    assert not at.exception, [e.value for e in at.exception]
    changed = next(d.value for d in at.dataframe if "change" in d.value.columns)
    row = changed[changed["id"] == "huawei"].iloc[0]
    assert row["baseline"] == row["scenario"] == 100
    assert "newly listed on OFAC Specially Designated Nationals" in row["change"]
    # A listing dated after the page's date does not count on it, and the page says so.
    next(b for b in at.button if b.label == "Clear scenario").click().run()
    at.text_input(key="whatif_when").input((dt.date.today() + dt.timedelta(days=30)).isoformat()).run()
    next(b for b in at.button if b.label == "Add to scenario").click().run()
    assert any("does not count on the page's as-of date" in plain(w.value) for w in at.warning), at.warning


def test_an_empty_ownership_column_says_why(core_env: str) -> None:
    at = app("exposure")
    text = " ".join(plain(c.value) for c in at.caption)
    assert re.search(r"OFAC 50% rule \(ofac_50\): \d+ owners? listed on OFAC .* among [\d,]+ ownership edges on", text)


def test_pages_are_pages_of_direct_neighbours_at_any_hops(core_env: str) -> None:
    at = app()
    at.text_input(key="entity_find").input("China").run()
    at.number_input(key="limit").set_value(60).run()
    at.slider(key="hops").set_value(2).run()
    first = plain(at.markdown[0].value)
    m = re.search(r"showing direct neighbours 1–(\d+) of ([\d,]+), and (\d+) of ([\d,]+) more further out", first)
    assert m, first
    shown, total = int(m[1]), int(m[2].replace(",", ""))
    assert shown == 60 and total > 120  # China's direct neighbours fill the page
    next(b for b in at.button if b.label == "Next page").click().run()
    assert f"showing direct neighbours 61–120 of {m[2]}" in plain(at.markdown[0].value)
    assert not any(d.value for d in at.markdown if "no neighbours" in d.value)
    next(b for b in at.button if b.label == "Previous page").click().run()
    assert plain(at.markdown[0].value).startswith(first.split(" · ")[0][:40])
    next(b for b in at.button if b.label == "Next page").click().run()
    at.slider(key="hops").set_value(3).run()  # other filters: back to their first page
    assert "showing direct neighbours 1–60 of" in plain(at.markdown[0].value)
    assert at.session_state["offset"] == 0


def test_a_typed_date_commits_and_one_that_is_not_a_date_says_so(core_env: str) -> None:
    at = app()
    at.text_input(key="as_of").input("15 Sep 2020").run()
    assert at.query_params["as_of"] in (["2020-09-15"], "2020-09-15")
    at.text_input(key="as_of").input("2020-13-45").run()
    assert any("is not a date (YYYY-MM-DD): showing 2020-09-15" in plain(w.value) for w in at.warning), at.warning
    assert at.query_params["as_of"] in (["2020-09-15"], "2020-09-15")  # the last good date holds


def test_a_link_to_another_entity_opens_it_in_a_running_session(core_env: str) -> None:
    """A page link (a briefing's "open it live") naming another entity opens it, though the search box
    keeps the open entity across pages."""
    at = app()
    at.text_input(key="entity_find").input("tsmc").run()
    assert at.session_state["entity"] == "tsmc"
    at.query_params["entity"] = "smic"
    at.switch_page("graph/ui/pages/explore.py").run()
    assert at.session_state["entity"] == "smic", at.session_state["entity"]


def test_explore_counts_a_holders_patents_and_pages_through_them(core_env: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"entity": "samsung"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    frames = [d.value for d in at.dataframe]
    held = next(f for f in frames if "portfolio" in f.columns)
    assert held.iloc[0].to_dict() | {"sources": "-"} == {
        "portfolio": "all loaded US patents",  # two real grants of 2013-04-16, resolved to Samsung
        "patents": 2,
        "counted": "from loaded patents",
        "as of": "2013-04-16",
        "sources": "-",
    }
    page = next(f for f in frames if "number" in f.columns)
    assert sorted(page["number"]) == ["US8421436", "US8421615"]
    assert any("patents 1–2 of 2, newest grant first" in c.value for c in at.caption)
