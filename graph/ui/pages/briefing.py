"""Briefing page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from graph import views as gv
from graph.briefing import Storyboard, list_storyboards
from graph.errors import GraphError
from graph.ui.common import ctx, header, md, query_int
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Briefing --------------------------------------------------------------------


def _create_board(folder: Path) -> None:
    """Make the storyboard named in the new-name box and make it current (a callback: it runs before the widgets)."""
    text = st.session_state.get("new_board", "")
    if not text.strip():
        return
    try:
        board = Storyboard.load_or_new(folder, text)
    except GraphError as exc:
        st.session_state["board_problem"] = str(exc)
        return
    if not board.path.exists():
        board.save()  # an empty storyboard, so the list offers it
    st.session_state["board"] = board.name
    st.session_state["new_board"] = ""


def _pick_board() -> None:
    st.session_state["board"] = st.session_state["board_pick"]


def briefing_page() -> None:
    header("Briefing")
    folder = settings.store_path.parent / "briefings"
    q = st.query_params
    choices = sorted(set(list_storyboards(folder)) | {"briefing"})
    # The current storyboard lives under "board", which no widget owns: a widget's state is dropped on pages
    # that do not draw it, and "Save view to briefing" on every page reads the name (current_board).
    if q.get("board") in choices and q.get("board") != st.session_state.get("board_linked"):
        st.session_state["board"] = q.get("board")  # a link opened, not the address this page wrote itself
    name = st.session_state.get("board") if st.session_state.get("board") in choices else "briefing"
    st.session_state["board_pick"] = name
    c1, c2 = st.columns([2, 1])
    c1.selectbox("Storyboard", choices, key="board_pick", on_change=_pick_board)
    c2.text_input("New storyboard name", key="new_board", on_change=_create_board, args=(folder,))
    if "board_problem" in st.session_state:
        c2.error(md(st.session_state.pop("board_problem")))
    board = Storyboard.load_or_new(folder, name)
    st.session_state["board"] = st.session_state["board_linked"] = st.query_params["board"] = board.name
    if not board.views:
        st.info("No views yet: use 'Save view to briefing' on Explore, Influence paths, Exposure or the console.")
        return
    shown = query_int("view", 1, 1, len(board.views)) - 1  # a link may name one view, counted from 1
    present = st.toggle("Present (large fonts, full width; arrow keys step)", q.get("present") == "1", key="present")
    st.query_params.update(view=str(shown + 1), present="1" if present else "0")
    if present:
        network(board.views, key="present_net", height=860, present=True, start=shown)
    for i, v in enumerate(board.views):
        with st.expander(f"{i + 1}. {md(v.title)}", expanded=not present and i == shown):
            _links(board.name, i, v)
            v.title = st.text_input("Title", v.title, key=f"title_{i}")
            v.note = st.text_area("Note", v.note, key=f"note_{i}")
            b1, b2, b3, b4 = st.columns(4)
            if b1.button("Up", key=f"up_{i}", disabled=i == 0):
                board.move(i, -1)
            if b2.button("Down", key=f"down_{i}", disabled=i == len(board.views) - 1):
                board.move(i, 1)
            if b3.button("Remove", key=f"rm_{i}"):
                board.remove(i)
            b4.download_button("HTML", board.html(i), f"{board.name}-{i + 1}.html", "text/html", key=f"dl_{i}")
            if not present:
                network(v, key=f"board_net_{i}", height=420)
    board.save()
    st.subheader("Export the whole storyboard", anchor=False)
    e1, e2, e3 = st.columns(3)
    e1.download_button("Standalone HTML (offline)", board.html(), f"{board.name}.html", "text/html")
    # A PNG is one picture: a storyboard of several views makes one per view, zipped.
    pictures = ("png", "PNG") if len(board.views) == 1 else ("zip", f"PNGs ({len(board.views)} views, zipped)")
    for col, (fmt, name) in ((e2, pictures), (e3, ("pdf", "PDF"))):
        if col.button(f"Make {name}", key=f"make_{fmt}"):
            try:
                data = board.export_bytes(fmt)
            except GraphError as exc:
                col.error(md(exc))
            else:
                mime = {"png": "image/png", "zip": "application/zip", "pdf": "application/pdf"}[fmt]
                col.download_button(f"Download {name}", data, f"{board.name}.{fmt}", mime, key=f"get_{fmt}")


def _links(board: str, i: int, view: Any) -> None:
    """Links that share this view: the saved picture as it was frozen, and the page that recomputes it today."""
    l1, l2 = st.columns(2)
    with l1:
        st.page_link(
            "graph/ui/pages/briefing.py",
            label="Link to this saved view",
            query_params={"board": board, "view": str(i + 1)},
        )
    live = gv.live_link(view)
    if live:
        page, params = live
        with l2:
            st.page_link(f"graph/ui/pages/{page}.py", label="Open it live on today's graph", query_params=params)


briefing_page()
