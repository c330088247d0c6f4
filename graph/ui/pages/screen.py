"""Screen page: paste names or upload a CSV or XLSX, and see who matches, how exposed each match is on a
date, and why; export the table as CSV or XLSX.

A name with no match says "not in the graph" with its nearest names, never
an empty exposure: "not found" must not read as "not exposed".
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from graph.errors import GraphError
from graph.screen import COLUMNS, Screener, flat_rows
from graph.screen_input import Batch, from_file, from_text
from graph.ui.common import ctx, date_box, download_csv, download_xlsx, header, md, parse_date

STORE, VERSION, settings = ctx().store, ctx().version, ctx().settings


@st.cache_resource(max_entries=2, show_spinner="Indexing the graph's names and computing exposure on the date…")
def screener(version: str, as_of: dt.date, threshold: float) -> Screener:
    """One index and one exposure table per graph version and date, shared by every session."""
    return Screener(STORE, as_of, threshold)


def _input(country: str | None) -> Batch | None:
    if st.query_params.get("names") and "screen_names" not in st.session_state:
        st.session_state["screen_names"] = st.query_params["names"]  # from a search box's "Screen this name"
    names_tab, file_tab = st.tabs(["Paste names", "Upload CSV or XLSX"])
    with names_tab:
        text = st.text_area("Names, one per line", key="screen_names", height=150)
    with file_tab:
        upload = st.file_uploader(
            "A file with a header row: a name column, and optionally country, type and identifier columns "
            "(lei, ofac, uscc, registration, imo, duns)",
            type=["csv", "xlsx"],
            key="screen_file",
        )
    if not st.button("Screen", type="primary", key="screen_run"):
        return st.session_state.get("screen_batch")
    try:
        batch = from_file(upload.getvalue(), upload.name, country) if upload is not None else from_text(text, country)
    except GraphError as exc:
        st.error(md(exc))
        return None
    if not batch.queries:
        st.warning("Nothing to screen: paste names (one per line) or upload a file.")
        return None
    st.session_state["screen_batch"] = batch
    return batch


def screen_page() -> None:
    header("Screen")
    q = st.query_params
    left, mid, right = st.columns([1, 1, 2])
    as_of = date_box("As of", "screen_as_of", parse_date(q.get("as_of")), left)
    country = mid.text_input("Country of names that give none", key="screen_country", help="ISO code or name")
    right.caption(
        f"A party matches at a score of {settings.match_threshold:g} or more (TECHGEO_MATCH_THRESHOLD); "
        "country, type and identifiers count for or against a match. Each match's exposure is the engine's, "
        "on the date chosen."
    )
    batch = _input(country.strip() or None)
    if batch is None:
        return
    for note in batch.notes:
        st.text(f"note: {note}")
    engine = screener(VERSION, as_of, settings.match_threshold)
    bar = st.progress(0.0, text=f"Screening {len(batch.queries):,} names…")
    results = engine.screen(batch.queries, lambda done, total: bar.progress(done / total, f"{done:,} of {total:,}"))
    bar.empty()
    found = sum(1 for r in results if r.matches)
    st.subheader(
        f"{len(results):,} name{'s' if len(results) != 1 else ''} screened as of {as_of}: {found:,} matched, {len(results) - found:,} not in the graph",
        anchor=False,
    )
    rows = flat_rows(results)
    for row in rows:
        row["explain"] = (
            "/exposure?" + urlencode({"entity": row["id"], "as_of": as_of.isoformat()}) if row["id"] else ""
        )
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "explain"])
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "explain": st.column_config.LinkColumn("explanation", display_text="explain"),
            "score": st.column_config.NumberColumn(format="%.2f"),
            "exposure": st.column_config.NumberColumn(format="%g"),
        },
    )
    for r in results:
        if not r.matches:
            nearest = ", ".join(f"{n['name']} ({n['score']:.2f})" for n in r.nearest) or "no similar name"
            st.text(f"{r.query.name}: not in the graph (no match at {settings.match_threshold:g}); nearest: {nearest}")
    name = f"screening-{as_of}"
    c1, c2 = st.columns(2)
    with c1:
        download_csv(frame[list(COLUMNS)], name, "screen_csv")
    with c2:
        download_xlsx(frame[list(COLUMNS)], name, "screen_xlsx")


screen_page()
