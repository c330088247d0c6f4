"""Influence paths page."""

from __future__ import annotations

import streamlit as st

from graph import views as gv
from graph.errors import GraphError, NoPath
from graph.ui.common import (
    citations,
    ctx,
    entity_box,
    header,
    md,
    parse_date,
    projection,
    query_int,
    save_button,
    topology,
)
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Influence paths -----------------------------------------------------------


def paths_page() -> None:
    from graph.analytics.paths import influence_paths

    header("Influence paths")
    q = st.query_params
    all_types = list(STORE.schema.relationships)
    c1, c2 = st.columns(2)
    with c1:
        a = entity_box("From", "path_from", q.get("from", "smic"))
    with c2:
        b = entity_box("To", "path_to", q.get("to", "asml"))
    d1, d2, d3, d4, d5 = st.columns([3, 1, 1, 1, 1])
    linked_types = [t for t in q.get("types", "").split(",") if t in all_types]
    types = d1.multiselect("Relationship types (none: all)", all_types, linked_types, key="path_types")
    max_hops = d2.slider("Max hops", 1, 8, query_int("hops", 6, 1, 8), key="path_hops")
    k = d3.number_input("Paths (k)", 1, 20, query_int("k", 5, 1, 20), key="path_k")
    undirected = d4.checkbox("Ignore direction", q.get("directed") != "1", key="path_undirected")
    as_of = d5.date_input("As of", parse_date(q.get("as_of")), key="path_as_of")
    # The address bar holds the view's parameters, so a copied link opens the same paths.
    link = {
        "from": a,
        "to": b,
        "types": ",".join(types),
        "hops": str(max_hops),
        "k": str(int(k)),
        "directed": "0" if undirected else "1",
        "as_of": as_of.isoformat(),
    }
    st.query_params.update(link)
    g = projection(VERSION, as_of)
    try:
        paths = influence_paths(
            topology(VERSION, as_of), a, b, k=int(k), types=types or None, max_hops=max_hops, directed=not undirected
        )
    except (NoPath, GraphError) as exc:
        st.warning(md(exc))
        return
    view = gv.paths_view(STORE, paths, g.nodes, as_of, link)
    st.caption("Share this view: copy the address bar (it holds the parameters)")
    network(view, key="paths_net", height=520)
    save_button(view, "save_paths")
    for i, p in enumerate(paths, 1):
        st.markdown(f"**{i}. {p.length} hop(s)**")
        for h in p.hops:
            note = "" if h.confidence == "high" else f" — confidence {h.confidence}"
            st.markdown(f"- {md(h.sentence)} ({md(', '.join(h.sources))}){md(note)}")
    citations(view)


paths_page()
