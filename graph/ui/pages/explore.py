"""Explore page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from graph import views as gv
from graph.analytics.explain import explain
from graph.errors import GraphError
from graph.patents import grant_count, grants, holdings, year_text
from graph.ui.common import (
    citations,
    ctx,
    date_box,
    entity_box,
    exposure_facts,
    exposure_of,
    header,
    heat,
    md,
    names_of,
    parse_date,
    projection,
    query_int,
    resolved_from,
    save_button,
)
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Explore -----------------------------------------------------------------


def _clicked(node_id: str) -> None:
    """First click selects a node; a click on the selected node expands its neighbours."""
    if node_id == st.session_state.get("selected"):
        expanded = st.session_state.setdefault("expanded", [])
        if [node_id, 0] not in expanded:
            expanded.append([node_id, 0])
    st.session_state["selected"] = node_id


def _on_net_click() -> None:
    """The click, handled before the rerun it causes: the run that follows draws the selection or the
    expansion at once, with no second run (``st.rerun``) after it."""
    state = st.session_state.get("explore_net")
    clicked = getattr(state, "clicked", None)
    if clicked is None and isinstance(state, dict):
        clicked = state.get("clicked")
    if clicked:
        _clicked(clicked)


def explore_page() -> None:
    header("Explore")
    q = st.query_params
    all_types, all_labels = list(STORE.schema.relationships), [x for x in STORE.schema.labels if x != "Source"]
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    with c1:
        entity = entity_box("Entity (search by name or alias)", "entity", q.get("entity", gv.SEED_ENTITY))
    hops = c2.slider("Hops", 1, 3, query_int("hops", 1, 1, 3), key="hops")
    as_of = date_box("As of", "as_of", parse_date(q.get("as_of")), c3)
    limit = c4.number_input("Most neighbours", 10, 2000, query_int("limit", 150, 10, 2000), step=50, key="limit")
    seed = entity == gv.SEED_ENTITY and "types" not in q
    moved = st.session_state.get("focus") not in (None, entity)
    if moved and set(st.session_state.get("types") or ()) == set(gv.SEED_TYPES):
        # The story's type filter belongs to the story: another entity opens with all its relationships.
        st.session_state["types"] = []
    f1, f2 = st.columns(2)
    types = f1.multiselect(
        "Relationship types",
        all_types,
        [t for t in q.get("types", "").split(",") if t in all_types] or (list(gv.SEED_TYPES) if seed else []),
        key="types",
    )
    labels = f2.multiselect(
        "Node labels", all_labels, [x for x in q.get("labels", "").split(",") if x in all_labels], key="labels"
    )
    t1, t2 = st.columns(2)
    undated = t1.toggle(
        "Include undated facts",
        q.get("undated") == "1",
        key="undated",
        help="Facts whose start date the source does not give are left out of an as-of picture by default; "
        "included, they are drawn dashed and flagged 'date unknown'.",
    )
    beside = t2.toggle("Details beside the picture", True, key="details", help="Off: the picture takes the width")
    if st.session_state.get("focus") != entity:
        st.session_state.update(focus=entity, selected=entity, expanded=[], offset=0, page_starts=[])
    # A page number belongs to one set of filters: another set starts again at its first page.
    paging = [entity, hops, as_of.isoformat(), sorted(types), sorted(labels), undated, int(limit)]
    if st.session_state.get("paging") != paging:
        st.session_state.update(paging=paging, offset=0, page_starts=[])
    offset = st.session_state.get("offset", 0)
    expanded = [tuple(x) for x in st.session_state.get("expanded", [])]
    # Untouched filters on the seed entity tell the composed story; any change shows a plain neighbourhood.
    story = entity == gv.SEED_ENTITY and hops == 1 and not labels and set(types) == set(gv.SEED_TYPES) and not offset
    try:
        if story:
            g = projection(VERSION, as_of)
            supply = exposure_facts(VERSION)[1]
            view = gv.seed_view(STORE, as_of, heat(as_of), g, expanded, int(limit), supply, undated)
        else:
            view = gv.neighbourhood_view(
                STORE,
                entity,
                hops,
                labels or None,
                types or None,
                as_of,
                int(limit),
                offset,
                heat(as_of),
                expanded,
                undated,
                projection(VERSION, as_of),
            )
    except GraphError as exc:
        st.error(md(exc))
        return
    st.query_params.update(
        entity=entity,
        hops=str(hops),
        as_of=as_of.isoformat(),
        types=",".join(types),
        labels=",".join(labels),
        undated="1" if undated else "0",
    )
    # The picture takes most of the width: a story's labels need it to be read.
    pic, side = st.columns([4, 1]) if beside else (st.container(), st.container())
    with pic:
        st.markdown(f"**{md(view.caption)}** · click a node to select it, click it again to expand")
        network(
            view,
            key="explore_net",
            height=620,
            selected=st.session_state.get("selected"),
            title=False,
            on_click=_on_net_click,
        )
        b1, b2, b3, b4 = st.columns(4)
        total = len(view.nodes) - 1
        # With more hops, a page holds fewer direct neighbours than the limit: Previous goes back to where it was.
        back = st.session_state.setdefault("page_starts", [])
        if b1.button("Previous page", disabled=offset == 0):
            st.session_state["offset"] = back.pop() if back else max(0, offset - int(limit))
            st.rerun()
        last = offset + view.params.get("direct_shown", 0) >= view.params.get("direct_total", 0)
        if b2.button("Next page", disabled=last):
            back.append(offset)
            st.session_state["offset"] = offset + max(1, view.params["direct_shown"])
            st.rerun()
        if b3.button("Reset expansions", disabled=not st.session_state.get("expanded")):
            st.session_state["expanded"] = []
            st.rerun()
        with b4:
            save_button(view, "save_explore")
        _more_buttons(view, int(limit))
        st.caption(f"{total} neighbours drawn · share this view: copy the address bar (it holds the parameters)")
        citations(view)
    with side:
        _details(st.session_state.get("selected") or entity, as_of)


def _more_buttons(view: Any, limit: int) -> None:
    """A "more" button for each expanded node that has neighbours beyond the page shown."""
    totals = view.params.get("expanded_totals", {})
    names = {n["id"]: n["name"] for n in view.nodes}
    for i, (node_id, page) in enumerate(st.session_state.get("expanded", [])):
        total = totals.get(node_id, 0)
        if page + limit < total:
            shown = f"{page + 1:,}–{min(page + limit, total):,} of {total:,}"
            if st.button(f"More of {md(names.get(node_id, node_id))} (showing {shown})", key=f"more_{node_id}"):
                st.session_state["expanded"][i] = [node_id, page + limit]
                st.rerun()


HIDDEN = ("sources", "resolved_from", "resolved_sources")  # shown below the table, with their titles


def _details(node_id: str, as_of: dt.date) -> None:
    node = STORE.node(node_id)
    if node is None:
        st.info("Select a node to see its details.")
        return
    st.subheader(md(node.get("name") or node_id), anchor=False)
    st.caption(f"{md(node.get('_label'))} · id {md(node_id)}")
    props = [{"property": k, "value": _plain(v)} for k, v in node.items() if not k.startswith("_") and k not in HIDDEN]
    st.dataframe(pd.DataFrame(props), hide_index=True, width="stretch")
    resolved_from(node)
    _patents(node_id, node, as_of)
    exposure = exposure_of(node_id, as_of)
    if exposure:
        st.metric("Exposure score", f"{exposure['score']:g}")
        for line in explain(exposure, names_of(VERSION)):
            st.write(md(line))
    else:
        st.caption(f"No sanction exposure found as of {as_of}.")
    st.caption("Sources: " + md(", ".join(node.get("sources") or [])))


GRANTS_PAGE = 25


def _patents(node_id: str, node: dict[str, Any], as_of: dt.date) -> None:
    """A holder's patents as counts by technology and by year, with a drill-down that pages through them.

    A selected portfolio drills into its own patents. Single patents are never drawn: a holder may have
    150,000 of them.
    """
    g = projection(VERSION, as_of)
    holder, technology = node_id, None
    if node.get("_label") == "Portfolio":
        holder = next((a for a, _, d in g.in_edges(node_id, data=True) if d.get("type") == "HOLDS"), node_id)
        technology = node.get("technology")
    held = holdings(g, holder, STORE)
    if not held:
        return
    st.markdown("**Patents**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "portfolio": h.technology_name or ("all loaded US patents" if h.derived else h.name),
                    "patents": h.count,
                    "counted": "from loaded patents" if h.derived else "stated by the holder",
                    "as of": h.as_of or "",
                    "sources": ", ".join(h.sources),
                }
                for h in held
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={"patents": st.column_config.NumberColumn(format="localized")},
    )
    whole = next((h for h in held if h.derived and h.technology is None), None)
    if whole is None:
        return
    years = [(y, c) for y, c in whole.by_year if y <= as_of.year]
    if years:
        st.caption(f"Granted by year, to {as_of.year}: " + year_text(years))
        st.bar_chart(pd.DataFrame(years, columns=["year", "patents"]).set_index("year"), height=160)
    techs = {h.technology: h.technology_name for h in held if h.derived and h.technology}
    choices = [None, *sorted(techs, key=lambda t: str(techs[t]))]
    pick = st.selectbox(
        "Patents in",
        choices,
        index=choices.index(technology) if technology in choices else 0,
        format_func=lambda t: "every technology" if t is None else str(techs[t]),
        key=f"grants_tech_{holder}",
    )
    total = grant_count(STORE, holder, pick)
    pages = max(1, -(-total // GRANTS_PAGE))
    page = st.number_input(f"Page (of {pages:,})", 1, pages, 1, key=f"grants_page_{holder}_{pick}")
    shown = grants(STORE, holder, pick, (int(page) - 1) * GRANTS_PAGE, GRANTS_PAGE, total=total)
    first = (int(page) - 1) * GRANTS_PAGE
    st.caption(f"patents {first + 1:,}–{first + len(shown.rows):,} of {shown.total:,}, newest grant first")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "number": r["number"],
                    "title": r["title"],
                    "granted": _plain(r["granted"]) if r["granted"] else "",
                    "filed": _plain(r["filed"]) if r["filed"] else "",
                    "classes": _plain(r["cpc"] or r["ipc"] or []),
                    "source": _plain(r["sources"] or []),
                }
                for r in shown.rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


explore_page()
