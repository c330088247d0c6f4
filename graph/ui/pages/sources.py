"""Sources page."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
    reports = MANIFEST.get("loaders", [])
    st.dataframe(pd.DataFrame([_summary(r) for r in reports]), hide_index=True, width="stretch")
    for report in reports:
        read = sum(report.get("rows_read", {}).values())
        skipped = report.get("skipped", [])
        state = "absent" if report.get("absent") else f"{read:,} rows read, {len(skipped):,} skipped"
        with st.expander(f"{md(report['source'])}: {state}"):
            if report.get("absent"):
                st.text(report["absent"])
            files = report.get("files") or {}
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "file": name,
                            "rows": report.get("rows_read", {}).get(name),
                            "snapshot": info.get("snapshot"),
                            "bytes": info.get("bytes"),
                            "age (days)": _age(info.get("fetched_at") or info.get("modified")),
                            "fetched": info.get("fetched_at") or "shipped or copied",
                            "path": info.get("path"),
                        }
                        for name, info in files.items()
                    ]
                    or [{"file": name, "rows": n} for name, n in report.get("rows_read", {}).items()]
                ),
                hide_index=True,
                width="stretch",
            )
            for line in skipped[:200]:
                st.text(f"skipped: {line}")
            if len(skipped) > 200:
                st.text(f"… and {len(skipped) - 200:,} more skipped rows (the build manifest lists them all)")
            for line in report.get("warnings", [])[:200]:
                st.text(f"warning: {line}")


def _age(modified: str | None) -> int | None:
    if not modified:
        return None
    return (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(modified)).days


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """One row per loader: present or absent, rows read and skipped, its snapshots and the oldest file's age."""
    files = (report.get("files") or {}).values()
    ages = [a for a in (_age(f.get("fetched_at") or f.get("modified")) for f in files) if a is not None]
    return {
        "source": report["source"],
        "state": "absent: run `python -m graph fetch`" if report.get("absent") else "loaded",
        "rows read": sum(report.get("rows_read", {}).values()),
        "skipped": len(report.get("skipped", [])),
        "warnings": len(report.get("warnings", [])),
        "nodes": report.get("nodes", 0),
        "relationships": report.get("edges", 0),
        "snapshots": ", ".join(sorted({f["snapshot"] for f in files if f.get("snapshot")})),
        "oldest file (days)": max(ages) if ages else None,
    }


sources_page()
