"""Briefing page."""

from __future__ import annotations

import streamlit as st

from graph.briefing import Storyboard, list_storyboards
from graph.errors import GraphError
from graph.ui.common import ctx, header
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Briefing --------------------------------------------------------------------


def briefing_page() -> None:
    header("Briefing")
    folder = settings.store_path.parent / "briefings"
    boards = list_storyboards(folder)
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox("Storyboard", sorted(set(boards) | {"briefing"}), key="board")
    new = c2.text_input("New storyboard name")
    if new:
        st.session_state["board"] = Storyboard.clean_name(new)
        name = st.session_state["board"]
    board = Storyboard.load_or_new(folder, name)
    if not board.views:
        st.info("No views yet: use 'Save view to briefing' on Explore, Influence paths, Exposure or the console.")
        return
    present = st.toggle("Present (large fonts, full width; arrow keys step)", key="present")
    if present:
        network(board.views, key="present_net", height=860, present=True)
    for i, v in enumerate(board.views):
        with st.expander(f"{i + 1}. {v.title}", expanded=not present and i == 0):
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
    for col, fmt in ((e2, "png"), (e3, "pdf")):
        if col.button(f"Make {fmt.upper()}", key=f"make_{fmt}"):
            try:
                data = board.export_bytes(fmt)
            except GraphError as exc:
                col.error(str(exc))
            else:
                col.download_button(f"Download {fmt.upper()}", data, f"{board.name}.{fmt}", key=f"get_{fmt}")


briefing_page()
