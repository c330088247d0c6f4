"""Influence paths page."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from graph import views as gv
from graph.errors import GraphError, NoPath
from graph.ui.common import citations, ctx, entity_box, header, md, projection, save_button
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Influence paths -----------------------------------------------------------


def paths_page() -> None:
    from graph.analytics.paths import influence_paths

    header("Influence paths")
    c1, c2 = st.columns(2)
    with c1:
        a = entity_box("From", "path_from", st.query_params.get("from", "smic"))
    with c2:
        b = entity_box("To", "path_to", st.query_params.get("to", "asml"))
    d1, d2, d3, d4, d5 = st.columns([3, 1, 1, 1, 1])
    types = d1.multiselect("Relationship types (none: all)", list(STORE.schema.relationships), key="path_types")
    max_hops = d2.slider("Max hops", 1, 8, 6, key="path_hops")
    k = d3.number_input("Paths (k)", 1, 20, 5, key="path_k")
    undirected = d4.checkbox("Ignore direction", True, key="path_undirected")
    as_of = d5.date_input("As of", dt.date.today(), key="path_as_of")
    g = projection(VERSION, as_of)
    try:
        paths = influence_paths(g, a, b, k=int(k), types=types or None, max_hops=max_hops, directed=not undirected)
    except (NoPath, GraphError) as exc:
        st.warning(str(exc))
        return
    view = gv.paths_view(STORE, paths, g.nodes, as_of)
    network(view, key="paths_net", height=520)
    save_button(view, "save_paths")
    for i, p in enumerate(paths, 1):
        st.markdown(f"**{i}. {p.length} hop(s)**")
        for h in p.hops:
            note = "" if h.confidence == "high" else f" — confidence {h.confidence}"
            st.markdown(f"- {md(h.sentence)} ({md(', '.join(h.sources))}){md(note)}")
    citations(view)


paths_page()
