"""Cypher console page."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from graph import views as gv
from graph.console import SAVED_QUERIES, dialect_hint
from graph.errors import GraphError, QueryTimeout
from graph.tabular import csv_text
from graph.ui.common import ctx, date_box, entity_box, header, md, save_button
from graph.ui.component import network

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings


# -- Cypher console --------------------------------------------------------------


def console_page() -> None:
    header("Cypher console")
    kind = STORE.kind
    st.caption(
        f"Read-only; at most {settings.row_cap:,} rows and {settings.query_timeout:g} s per query. "
        + ("The embedded store speaks LadybugDB's Cypher dialect." if kind == "embedded" else "Neo4j Cypher.")
    )
    names = ["(your own query)"] + [q.name for q in SAVED_QUERIES]
    pick = st.selectbox("Saved queries", names, key="saved")
    saved = next((q for q in SAVED_QUERIES if q.name == pick), None)
    params: dict[str, Any] = {}
    if saved:
        st.caption(saved.description)
        cols = st.columns(max(1, len(saved.params)))
        for col, p in zip(cols, saved.params):
            with col:
                if p.kind == "entity":
                    params[p.name] = entity_box(p.name, f"param_{saved.name}_{p.name}", p.default)
                elif p.kind == "int":
                    params[p.name] = int(st.number_input(p.name, value=p.default, help=p.help))
                elif p.kind == "date":
                    params[p.name] = date_box(p.name, f"param_{saved.name}_{p.name}", dt.date.today()).isoformat()
                else:
                    params[p.name] = st.text_input(p.name, p.default, help=p.help)
    q = st.query_params
    linked = q.get("q") if not saved else None  # a shared link carries its query and parameters
    default = linked or (saved.text(kind) if saved else "MATCH (n:Company) RETURN n.name LIMIT 10")
    text = st.text_area("Query", default, height=120)
    extra = st.text_area("Parameters (JSON object)", q.get("params", "{}") if linked else json.dumps(params), height=68)
    # A link with run=1 runs once on opening, under the same guard as any query and lower limits.
    auto = linked is not None and q.get("run") == "1" and not st.session_state.get("console_linked_run")
    if linked is not None and q.get("run") == "1":
        lim = settings.link_limits
        st.info(
            "This link runs its query when the page opens: once, read-only, with at most "
            f"{lim.row_cap:,} rows and {lim.timeout:g} s. Press Run to run it again with the usual limits."
        )
    run_col, limit_col = st.columns([3, 1])
    most = settings.query_timeout
    chosen = limit_col.number_input(
        "Time limit (s)", 1.0, most, most, step=5.0, key="console_timeout",
        help=f"At most {most:g} s: the limit set by whoever runs the app (TECHGEO_QUERY_TIMEOUT)",
    )  # fmt: skip
    clicked = run_col.button("Run", type="primary")
    if not (clicked or auto):
        return
    st.session_state["console_linked_run"] = True
    limits = settings.link_limits if auto and not clicked else replace(settings.limits, timeout=float(chosen))
    try:
        params = json.loads(extra or "{}")
        if not isinstance(params, dict):
            raise ValueError("parameters must be a JSON object")
    except ValueError as exc:
        st.error(f"Parameters are not a JSON object: {md(exc)}")
        return
    try:
        result = STORE.query(text, params, limits=limits)
    except QueryTimeout as exc:
        if limits.timeout < most:
            what = f"raise **Time limit (s)** beside Run (up to {most:g} s), or narrow the query"
        else:
            what = f"this app allows at most {most:g} s per query; narrow it with a WHERE or a LIMIT"
        st.error(f"{md(str(exc).split(';')[0])}: {what}.")
        return
    except GraphError as exc:
        hint = dialect_hint(text, kind)
        st.error(md(exc) + (f"\n\nHint: {hint}" if hint else ""))
        return
    for caveat in result.caveats(limits.cell_chars):
        st.warning(f"{caveat} Add a LIMIT or narrow the query.")
    st.caption(f"{len(result.rows):,} rows in {result.elapsed * 1000:.0f} ms")
    frame = pd.DataFrame([[_cell(v) for v in row] for row in result.rows], columns=result.columns)
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button("Download CSV", csv_text(result.columns, frame.values.tolist()), "query.csv", "text/csv")
    link = {"kind": "query", "q": text, "params": extra or "{}"}
    view = gv.query_view(STORE, result, pick if saved else "Console query", params=link)
    if view is not None:
        network(view, key="console_net", height=480)
        save_button(view, "save_console")


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        if value.get("_path"):
            return " → ".join(str(n.get("name", n.get("id"))) for n in value["nodes"])
        if "_label" in value or "_type" in value:
            return f"{value.get('_label') or value.get('_type')}: {value.get('name', value.get('id', ''))}"
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, list):
        return json.dumps([_cell(v) for v in value], ensure_ascii=False)
    return "" if value is None else str(value)


console_page()
