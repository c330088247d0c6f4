"""The explorer (Streamlit). Thin: widgets and layout; every computation comes from graph/.

This first page shows what is loaded and where; the Explore, Paths, Exposure,
Console, Briefing and Sources pages follow.
"""

from __future__ import annotations

import json

import streamlit as st

from graph import settings as settings_mod
from graph.build import manifest_path
from graph.errors import GraphError
from graph.store import GraphStore, open_store

st.set_page_config(page_title="Tech-geopolitics graph", layout="wide")


@st.cache_resource
def _store(store_path: str, neo4j_uri: str | None) -> GraphStore:
    """One store per target, shared by every session of the app."""
    return open_store(settings_mod.load(store_path=store_path, neo4j_uri=neo4j_uri or ""))


st.title("Tech-geopolitics knowledge graph")
settings = settings_mod.load()
try:
    store = _store(str(settings.store_path), settings.neo4j_uri)
    stats = store.stats()
except GraphError as exc:
    st.error(f"{exc}")
    st.stop()

st.caption(f"Store: {stats['store']}")
path = manifest_path(store, settings)
if path.exists():
    st.caption(f"Built {json.loads(path.read_text())['built_at']}")
cols = st.columns(2)
cols[0].metric("Nodes", f"{stats['total_nodes']:,}")
cols[1].metric("Relationships", f"{stats['total_relationships']:,}")
left, right = st.columns(2)
left.dataframe([{"label": k, "nodes": v} for k, v in stats["nodes"].items()], hide_index=True)
right.dataframe([{"type": k, "relationships": v} for k, v in stats["relationships"].items()], hide_index=True)
st.subheader("Sources")
st.dataframe(stats["sources"], hide_index=True, use_container_width=True)
