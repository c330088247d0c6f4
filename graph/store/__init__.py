"""Stores: one interface (:class:`GraphStore`), two backends.

:func:`open_store` picks the backend from settings: Neo4j when a URI is
configured, the embedded LadybugDB file otherwise.
"""

from __future__ import annotations

from graph.settings import Settings
from graph.store.base import GraphStore, QueryResult, Subgraph, WriteResult
from graph.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "GraphStore", "QueryResult", "Subgraph", "WriteResult", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: Neo4j if ``neo4j_uri`` is set, else the embedded file."""
    if settings.neo4j_uri:
        from graph.store.neo4j_store import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
            limits=settings.limits,
        )
    return EmbeddedStore(settings.store_path, limits=settings.limits)
