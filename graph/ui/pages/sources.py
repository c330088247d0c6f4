"""Sources page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from graph.ui.common import ctx, header, md, source_table
from graph.ui.common import stats as graph_stats

STORE, MANIFEST, VERSION, settings = ctx().store, ctx().manifest, ctx().version, ctx().settings

# -- Sources -----------------------------------------------------------------------


def sources_page() -> None:
    header("Sources")
    stats = graph_stats(VERSION)
    m1, m2, m3 = st.columns(3)
    m1.metric("Nodes", f"{stats['total_nodes']:,}")
    m2.metric("Relationships", f"{stats['total_relationships']:,}")
    m3.metric("Sources", f"{len(stats['sources']):,}")
    today = dt.date.today()
    rows = []
    for s in stats["sources"]:
        date = s.get("date")
        age = (today - date).days if isinstance(date, dt.date) else None
        rows.append({**s, "age_days": age})
    source_table(rows)
    left, right = st.columns(2)
    left.dataframe(pd.DataFrame(stats["nodes"].items(), columns=["label", "nodes"]), hide_index=True)
    right.dataframe(pd.DataFrame(stats["relationships"].items(), columns=["type", "relationships"]), hide_index=True)
    st.subheader("What each loader reported in the last build", anchor=False)
    st.caption(f"Built {md(MANIFEST.get('built_at', 'unknown'))} in {md(MANIFEST.get('seconds', '?'))} s")
    for report in MANIFEST.get("loaders", []):
        read = sum(report.get("rows_read", {}).values())
        skipped = report.get("skipped", [])
        with st.expander(f"{md(report['source'])}: {read:,} rows read, {len(skipped):,} skipped"):
            st.dataframe(pd.DataFrame(report.get("rows_read", {}).items(), columns=["file", "rows"]), hide_index=True)
            for line in skipped[:200] + report.get("warnings", [])[:200]:
                st.text(line)


sources_page()
