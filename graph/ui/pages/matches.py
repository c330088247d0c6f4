"""Matches page: the entity-resolution review queue of the last build, two records side by side.

Accept (the same party) or reject (two parties) writes a judgement to
``data/resolutions.yaml`` with who, when and why; the next build applies it
before scoring. With ``TECHGEO_READ_ONLY=1`` the page only shows the queue.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from graph.build import resolution_path
from graph.errors import GraphError
from graph.resolve.judgements import add_judgement, load_judgements
from graph.resolve.resolver import ResolutionReport, ReviewItem
from graph.ui.common import ctx, header, md

SETTINGS = ctx().settings
PAGE = 20
FIELDS = ("id", "label", "name", "aliases", "countries", "identifiers", "sources", "dataset")


@st.cache_data(max_entries=2)
def _report(path: str, version: str) -> ResolutionReport | None:
    """The last build's report at ``path``, read once per graph ``version``."""
    try:
        return ResolutionReport.load(Path(path))
    except (OSError, ValueError, TypeError):
        return None


def _side_by_side(item: ReviewItem) -> pd.DataFrame:
    def cell(record: dict[str, Any], key: str) -> str:
        value = record.get(key)
        return "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)

    return pd.DataFrame({"field": FIELDS, "record A": [cell(item.a, f) for f in FIELDS],
                         "record B": [cell(item.b, f) for f in FIELDS]})  # fmt: skip


def _judge(item: ReviewItem, verdict: str, by: str, why: str) -> None:
    try:
        j = add_judgement(SETTINGS.resolutions_path, item.a["id"], item.b["id"], verdict, by, why)
    except (GraphError, OSError) as exc:
        st.error(md(exc))
        return
    st.success(
        f"Recorded at {md(SETTINGS.resolutions_path.name)}:{j.line}: {verdict}. The next build "
        "(`python -m graph build`) applies it."
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "analyst"


def matches_page() -> None:
    header("Matches")
    report = _report(str(resolution_path(SETTINGS)), ctx().version)
    if report is None:
        st.info("No resolution report: run `python -m graph build` to resolve the sources and fill the queue.")
        return
    try:
        judged = {j.pair for j in load_judgements(SETTINGS.resolutions_path)}
    except GraphError as exc:
        st.error(md(exc))
        return
    queue = [r for r in report.review if tuple(sorted((r.a["id"], r.b["id"]))) not in judged]
    st.caption(
        f"The last build resolved {report.records:,} source records into {report.entities:,} entities "
        f"({report.merged_records:,} merged away) in {report.seconds:.1f} s. Pairs scoring from "
        f"{report.thresholds.get('review', 0):g} to {report.thresholds.get('auto', 0):g} wait here for a person: "
        f"{len(queue):,} to judge, {len(judged):,} judged in {md(SETTINGS.resolutions_path.name)}."
    )
    if SETTINGS.read_only:
        st.info("This app is read-only (TECHGEO_READ_ONLY): judgements are recorded with `python -m graph resolve`.")
    if not queue:
        st.success("Nothing to review.")
        return
    needle = st.text_input("Filter by name or id", key="matches_filter").strip().lower()
    shown = [r for r in queue if not needle or needle in f"{r.a.get('name')} {r.b.get('name')} {r.id}".lower()]
    pages = max(1, -(-len(shown) // PAGE))
    page = st.number_input(f"Page (of {pages:,})", 1, pages, 1, key="matches_page") if pages > 1 else 1
    start = (int(page) - 1) * PAGE
    st.text(f"showing {start + 1:,}–{min(start + PAGE, len(shown)):,} of {len(shown):,} pairs")
    by = st.text_input("Judged by", _user(), key="matches_by", disabled=SETTINGS.read_only)
    for item in shown[start : start + PAGE]:
        with st.expander(f"{md(item.a.get('name'))} ↔ {md(item.b.get('name'))} · score {item.score:.2f}"):
            st.text(f"why it is here: {item.why_queued}; matcher: {item.reason}")
            st.dataframe(_side_by_side(item), hide_index=True, width="stretch")
            why = st.text_input("Why (recorded with the judgement)", key=f"why_{item.id}", disabled=SETTINGS.read_only)
            left, right = st.columns(2)
            if left.button("Same party", key=f"accept_{item.id}", disabled=SETTINGS.read_only):
                _judge(item, "same", by, why or f"accepted in review: {item.reason} (score {item.score:.2f})")
            if right.button("Different parties", key=f"reject_{item.id}", disabled=SETTINGS.read_only):
                _judge(item, "different", by, why or f"rejected in review: {item.reason} (score {item.score:.2f})")


matches_page()
