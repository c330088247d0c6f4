"""Pictures: escaped data, no network resources, frozen layouts, and the render command on both stores."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pytest

from graph.briefing import Storyboard
from graph.errors import GraphError
from graph.export import export
from graph.layout import layout
from graph.render import HEAT_RING_PX, LABELLED_UP_TO, View, caption, heat_colour, to_html, vis_data
from graph.schema import load_schema
from tests.conftest import need
from tests.test_import_cli import MINI, run, target

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">']


def hostile_view() -> View:
    nodes = [{"id": "a", "label": "Company", "name": HOSTILE[0], "props": {"note": HOSTILE[1]}}]
    nodes += [{"id": "b", "label": "Company", "name": HOSTILE[1], "heat": 100}]
    edges = [{"id": "e", "from": "a", "to": "b", "type": "OWNS", "sources": ["s"], "sentence": HOSTILE[0]}]
    sources = [{"id": "s", "publisher": HOSTILE[1], "title": "</script><script>alert(3)</script>"}]
    return View(HOSTILE[0], nodes, edges, "2026-01-01", note=HOSTILE[1], focus="a", sources=sources)


def test_names_from_data_never_reach_the_page_as_markup() -> None:
    page = to_html(hostile_view())
    for text in [*HOSTILE, "</script><script>alert(3)"]:
        assert text not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the <title>
    assert "\\u003cscript\\u003ealert(1)" in page  # the JSON payload, read with textContent


def test_exported_page_references_no_network_resource() -> None:
    page = to_html(hostile_view())
    resources = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", page)
    assert resources == []
    assert "<link" not in page and "<script src" not in page


def test_layout_is_deterministic_and_centred_on_the_focus() -> None:
    nodes = [f"n{i}" for i in range(60)]
    edges = [("n0", f"n{i}") for i in range(1, 40)] + [(f"n{i}", f"n{i + 20}") for i in range(1, 20)]
    first = layout(nodes, edges, focus="n0")
    assert first == layout(list(nodes), list(edges), focus="n0")
    assert first["n0"] == (0.0, 0.0)
    assert len(set(first.values())) == len(nodes)  # no two nodes on the same spot
    free = layout(nodes, edges)
    assert len(set(free.values())) == len(nodes)


def test_briefing_sized_views_leave_room_for_every_label() -> None:
    """Up to LABELLED_UP_TO nodes, rings are spaced by each node's box, label included: no two overlap,
    on rings of mixed long and short labels, and nodes sit near the node they hang from."""
    import itertools

    long, short = "Entity List: Huawei and 68 non-US affiliates added", "ZTE"
    nodes = [{"id": "hub", "label": "Company", "name": "Huawei"}]
    nodes += [{"id": f"a{i}", "label": "ExportControl", "name": long if i % 2 else short} for i in range(24)]
    nodes += [{"id": f"b{i}", "label": "Company", "name": f"{long} {i}"} for i in range(12)]
    edges = [{"id": f"e{i}", "from": "hub", "to": f"a{i}", "type": "TARGETS"} for i in range(24)]
    edges += [{"id": f"f{i}", "from": f"a{i}", "to": f"b{i}", "type": "TARGETS"} for i in range(12)]
    view = View("t", nodes, edges, "2026-01-01", focus="hub")
    boxes = view.boxes()
    assert boxes["a1"][0] > 5 * boxes["a0"][0]  # a long label's box is wider

    def apart(a: str, b: str) -> bool:
        (x, y), (u, v) = view.positions[a], view.positions[b]
        return abs(x - u) >= (boxes[a][0] + boxes[b][0]) / 2 or abs(y - v) >= (boxes[a][1] + boxes[b][1]) / 2

    assert all(apart(a, b) for a, b in itertools.combinations(view.positions, 2))

    def direction(node: str) -> float:
        x, y = view.positions[node]
        return math.atan2(y, x)

    for i in range(12):  # each child lies in its parent's direction from the centre, within an eighth of a turn
        turn = abs(direction(f"b{i}") - direction(f"a{i}")) % (2 * math.pi)
        assert min(turn, 2 * math.pi - turn) < math.pi / 4
    assert vis_data(view)["labelGrow"] > 1  # the browser may grow labels into that room

    crowd = [{"id": f"c{i}", "label": "Company", "name": long} for i in range(LABELLED_UP_TO + 1)]
    big = View(
        "big",
        crowd,
        [{"id": f"g{i}", "from": "c0", "to": f"c{i}", "type": "OWNS"} for i in range(1, len(crowd))],
        "2026-01-01",
        focus="c0",
    )
    assert "labelGrow" not in vis_data(big)  # too many labels to read: fixed spacing, fonts as they are


def test_path_columns_make_room_for_their_labels() -> None:
    from graph.layout import layered

    columns = [["a"], ["b", "c"], ["d"]]
    plain = layered(columns)
    assert plain["d"] == (520.0, 0.0)  # 260 px apart without boxes
    boxes = {"a": (100.0, 60.0), "b": (900.0, 60.0), "c": (50.0, 200.0), "d": (100.0, 60.0)}
    roomy = layered(columns, boxes=boxes)
    assert roomy["b"][0] - roomy["a"][0] >= (100 + 900) / 2  # side by side, clear
    assert roomy["c"][1] - roomy["b"][1] >= 200  # one above the other, clear


def test_a_long_name_is_drawn_as_its_first_latin_alias() -> None:
    smic = {
        "id": "smic",
        "name": "Semiconductor Manufacturing International Corporation",
        "props": {"aliases": ["中芯国际", "SMIC"]},
    }
    assert caption(smic) == "SMIC"
    assert caption({"id": "x", "name": "Huawei", "props": {"aliases": ["华为"]}}) == "Huawei"  # short: kept
    assert caption({"id": "y", "name": "A" * 40}) == "A" * 21 + "…"
    assert caption({"id": "z", "name": None}) == "z"


def test_a_saved_view_keeps_its_positions(tmp_path: Path) -> None:
    board = Storyboard.load_or_new(tmp_path, "wall")
    view = hostile_view()
    view.positions["a"] = [123.0, 456.0]
    board.add(view)
    board.save()
    again = Storyboard.load_or_new(tmp_path, "wall")
    assert again.views[0].positions == view.positions
    assert again.views[0].positions["a"] == [123.0, 456.0]


def test_render_command_writes_html_on_both_stores(store, tmp_path: Path) -> None:
    assert run("import", str(MINI), *target(store)).returncode == 0
    out = tmp_path / "huawei.html"
    done = run("render", "Huawei", "--hops", "2", "--out", str(out), *target(store))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "HiSilicon Technologies Co., Ltd." in page
    assert "wrote" in done.stdout and "neighbours" in done.stdout


def test_render_command_explains_bad_arguments(store, tmp_path: Path) -> None:
    assert run("import", str(MINI), *target(store)).returncode == 0
    bad_format = run("render", "huawei", "--out", str(tmp_path / "x.svg"), *target(store))
    assert bad_format.returncode == 1 and "use one of .html, .png, .pdf, .zip" in bad_format.stderr
    bad_type = run("render", "huawei", "--types", "OWNZ", "--out", str(tmp_path / "x.html"), *target(store))
    assert bad_type.returncode == 1 and "unknown relationship type(s) OWNZ" in bad_type.stderr
    missing = run("render", "nobody-at-all", "--out", str(tmp_path / "x.html"), *target(store))
    assert missing.returncode == 1 and "nobody-at-all" in missing.stderr
    assert not list(tmp_path.glob("x.*"))


def _board() -> list[View]:
    """Three small views with their own titles, notes and citations, as a storyboard holds them."""
    out = []
    for i, title in enumerate(["Huawei and its licensors", "SMIC to ASML", "Who owns HiSilicon"], start=1):
        nodes = [{"id": f"a{i}", "label": "Company", "name": f"Alpha {i}", "heat": 80}]
        nodes += [{"id": f"b{i}", "label": "Country", "name": f"Beta {i}"}]
        edges = [{"id": f"e{i}", "from": f"a{i}", "to": f"b{i}", "type": "HEADQUARTERED_IN", "sources": ["s"]}]
        sources = [{"id": "s", "publisher": "Federal Register", "title": f"Rule number {i}", "date": "2020-08-20"}]
        out.append(View(title, nodes, edges, "2026-01-01", note=f"Note of view {i}", focus=f"a{i}", sources=sources))
    return out


def test_png_and_pdf_exports(tmp_path: Path) -> None:
    """A storyboard exports every view: a PNG each (zipped), a PDF page each with its words as text."""
    import zipfile

    from pypdf import PdfReader

    need(shutil.which("chromium") is not None, "PNG and PDF export needs Debian's chromium (apt-get install chromium)")
    board = _board()
    one = export(board[0], tmp_path / "one.png")
    assert one.read_bytes().startswith(b"\x89PNG") and one.stat().st_size > 10_000
    with pytest.raises(GraphError, match=r"has 3 views; export it as \.zip"):
        export(board, tmp_path / "board.png")
    assert not (tmp_path / "board.png").exists()
    with zipfile.ZipFile(export(board, tmp_path / "board.zip")) as z:
        names = z.namelist()
        assert names == ["01-Huawei-and-its-licensors.png", "02-SMIC-to-ASML.png", "03-Who-owns-HiSilicon.png"]
        assert all(z.read(n).startswith(b"\x89PNG") for n in names)
        assert len({z.read(n) for n in names}) == 3  # three pictures, not the first one thrice
    pdf = PdfReader(export(board, tmp_path / "board.pdf", title="Wall of China"))
    assert len(pdf.pages) == 3 and pdf.metadata.title == "Wall of China"
    for i, (page, view) in enumerate(zip(pdf.pages, board), start=1):
        text = " ".join(page.extract_text().split())
        for words in (view.title, f"Note of view {i}", "Legend", "Company", "HEADQUARTERED_IN (1)", "76-100"):
            assert words in text, (words, text)
        assert f"Federal Register, Rule number {i}, 2020-08-20" in text and f"view {i} of 3" in text
    single = PdfReader(export(board[1], tmp_path / "one.pdf"))
    assert single.metadata.title == "SMIC to ASML"


def test_the_exposure_ring_leaves_the_kind_of_node_readable() -> None:
    view = View("t", [{"id": "x", "label": "ExportControl", "name": "X", "heat": 90}], [], "2026-01-01")
    [node] = vis_data(view)["nodes"]
    kind = load_schema().style("ExportControl")["color"]
    assert node["color"]["background"] == kind  # the fill says what it is
    assert node["color"]["border"] == heat_colour(90) and node["borderWidth"] == HEAT_RING_PX < node["size"] / 4
    assert node["shadow"] == {"enabled": True, "color": heat_colour(90), "size": 14, "x": 0, "y": 0}
