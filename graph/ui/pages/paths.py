"""Influence paths page."""

from __future__ import annotations

import streamlit as st

from graph import views as gv
from graph.analytics.paths import PLACING_BITS, SUBSTANCE_BITS
from graph.errors import GraphError, NoPath
from graph.ui.common import (
    citations,
    ctx,
    date_box,
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
RANK_LABELS = {"relevance": "Relevance (hub and type penalty)", "length": "Length only"}
RANKING = (
    "**How paths are ranked.** By relevance, each path costs bits: a hop of a type that carries substance "
    f"(controls, ownership, supply with its share, manufacturing, licences, listings) costs {SUBSTANCE_BITS:g}, "
    f"a hop that only places or classifies (headquarters, membership, taxonomy) costs {PLACING_BITS:g}, and "
    "each entity passed through costs log2 of its number of relationships, so a hop through China or the "
    "Entity List says little and ranks low. Cheapest first; ties go to the shorter path, then the strongest "
    "evidence. *Length only* ranks by hops, then evidence."
)


# -- Influence paths -----------------------------------------------------------


def paths_page() -> None:
    from graph.analytics.paths import path_page

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
    k = d3.number_input("Paths per page", 1, 50, query_int("k", 5, 1, 50), key="path_k")
    undirected = d4.checkbox("Ignore direction", q.get("directed") != "1", key="path_undirected")
    as_of = date_box("As of", "path_as_of", parse_date(q.get("as_of")), d5)
    e1, e2 = st.columns([2, 3])
    rank = e1.radio(
        "Rank",
        list(RANK_LABELS),
        index=1 if q.get("rank") == "length" else 0,
        format_func=RANK_LABELS.get,
        horizontal=True,
        key="path_rank",
    )
    undated = e2.toggle(
        "Include undated facts",
        q.get("undated") == "1",
        key="path_undated",
        help="Facts whose start date the source does not give are left out of as-of paths by default.",
    )
    st.caption(md(RANKING.replace("**", "").replace("*", "")))
    # The address bar holds the view's parameters, so a copied link opens the same paths.
    link = {
        "from": a,
        "to": b,
        "types": ",".join(types),
        "hops": str(max_hops),
        "k": str(int(k)),
        "directed": "0" if undirected else "1",
        "as_of": as_of.isoformat(),
        "rank": rank,
        "undated": "1" if undated else "0",
    }
    st.query_params.update(link)
    # A new question starts on its first page, with no path highlighted.
    question = tuple(sorted(link.items()))
    if st.session_state.get("path_question") != question:
        st.session_state.update(path_question=question, path_offset=0, path_pick=0)
    offset = st.session_state.get("path_offset", 0)
    g = projection(VERSION, as_of, undated)
    try:
        found = path_page(
            topology(VERSION, as_of, undated),
            a,
            b,
            k=int(k),
            types=types or None,
            max_hops=max_hops,
            directed=not undirected,
            rank=rank,
            offset=offset,
        )
    except (NoPath, GraphError) as exc:
        st.warning(md(exc))
        if not undated and g.graph.get("undated_left_out"):
            st.caption(f"{g.graph['undated_left_out']:,} undated facts are left out: include them to search those too.")
        return
    paths = found.paths
    view = gv.paths_view(STORE, paths, g.nodes, as_of, link)
    st.markdown(f"**{md(found.caption())}**")
    p1, p2, _ = st.columns([1, 1, 4])
    if p1.button("Previous paths", disabled=offset == 0, key="paths_prev"):
        st.session_state.update(path_offset=max(0, offset - int(k)), path_pick=0)
        st.rerun()
    if p2.button("Next paths", disabled=offset + len(paths) >= found.total, key="paths_next"):
        st.session_state.update(path_offset=offset + int(k), path_pick=0)
        st.rerun()
    pick = st.session_state.get("path_pick", 0)
    pick = pick if 0 <= pick <= len(paths) else 0
    highlight = None
    if pick:
        chosen = paths[pick - 1]
        highlight = {"nodes": chosen.nodes, "edges": [h.edge for h in chosen.hops]}
    st.caption("Share this view: copy the address bar (it holds the parameters) · choose a path below to highlight it")
    network(view, key="paths_net", height=520, highlight=highlight)
    save_button(view, "save_paths")
    options = list(range(len(paths) + 1))
    names = {n["id"]: n["name"] for n in view.nodes}

    def label(i: int) -> str:
        if i == 0:
            return "All paths"
        p = paths[i - 1]
        route = " → ".join(names.get(n, n) for n in p.nodes)
        return f"{offset + i}. {p.length} hop(s), {p.cost:.1f} bits: {route}"

    st.radio("Highlight a path in the picture", options, format_func=lambda i: md(label(i)), key="path_pick")
    for i, p in enumerate(paths, 1):
        st.markdown(f"**{md(label(i))}**")
        for h in p.hops:
            note = "" if h.confidence == "high" else f" [confidence {h.confidence}]"
            st.markdown(f"- {md(h.sentence)}{md(note)} (sources: {md(', '.join(h.sources))})")
    citations(view)


paths_page()
