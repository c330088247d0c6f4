"""Truth as a test: curated facts against the loaded lists, citations against their sources.

These run on the records the loaders emit, merged as the build merges them
(``graph.build.merge``), with no store: they test the data, not the stores.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analytics.licensing import licensing_by_country
from graph.build import merge, run_loaders
from graph.maps import licensing_table
from graph.model import EdgeRecord, NodeRecord, edge_id
from graph.settings import DATA_DIR
from loaders import bri_gfdc, countries, curated
from tests.conftest import SHARED_DATA


def _raw_dirs() -> list[Path]:
    return [d for d in (DATA_DIR / "raw", SHARED_DATA) if d.is_dir()]


@pytest.fixture(scope="module")
def core() -> tuple[dict[str, NodeRecord], list[EdgeRecord]]:
    """Curated facts, countries and the Belt and Road list, merged."""
    nodes, edges, _ = run_loaders(_raw_dirs(), loaders=(curated, countries, bri_gfdc))
    nodes, edges = merge(nodes, edges)
    return {n.id: n for n in nodes}, edges


def _date(v: Any) -> dt.date | None:
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


def projection(nodes: dict[str, NodeRecord], edges: list[EdgeRecord], as_of: dt.date) -> nx.MultiDiGraph:
    """What ``GraphStore.projection`` gives, from records."""
    g = nx.MultiDiGraph()
    for n in nodes.values():
        g.add_node(n.id, label=n.label, name=n.props.get("name"))
    for e in edges:
        vf, vt = _date(e.props.get("valid_from")), _date(e.props.get("valid_to"))
        if (vf is None or vf <= as_of) and (vt is None or vt >= as_of):
            g.add_edge(e.start, e.end, key=e.props["id"], type=e.type, **e.props)
    return g


# --- The Belt and Road as analysts read it -------------------------------------------------------------


def test_china_is_the_initiator_not_a_member(core) -> None:
    nodes, edges = core
    members = {e.start for e in edges if e.type == "MEMBER_OF"}
    assert "CHN" not in members and len(members) == 150
    assert "CHN" in nodes and "Initiated by China" in nodes["bri"].props["note"]


def test_curated_memberships_merge_into_gfdc_rows(core) -> None:
    """A curated correction must land on GFDC's own row (same id), never add a second membership."""
    _, ctx_edges, _ = run_loaders(_raw_dirs(), loaders=(curated,))
    gfdc = {e.start: e for e in run_loaders(_raw_dirs(), loaders=(bri_gfdc,))[1] if e.type == "MEMBER_OF"}
    corrections = [e for e in ctx_edges if e.type == "MEMBER_OF"]
    assert {e.start for e in corrections} == {"ITA", "KOR"}
    for e in corrections:
        g = gfdc[e.start]
        assert edge_id(e.type, e.start, e.end, e.props.get("valid_from")) == edge_id(
            g.type, g.start, g.end, g.props.get("valid_from")
        ), f"{e.start}: the curated row's join date differs from GFDC's"
    _, edges = core
    assert sum(1 for e in edges if e.type == "MEMBER_OF" and e.start in ("ITA", "KOR")) == 2


def test_italy_left_in_december_2023_and_korea_is_low_confidence(core) -> None:
    _, edges = core
    by = {e.start: e.props for e in edges if e.type == "MEMBER_OF"}
    assert str(by["ITA"]["valid_to"]) == "2023-12-06" and "ap-2023-12-06-italy-bri" in by["ITA"]["sources"]
    assert bri_gfdc.SOURCE.id in by["ITA"]["sources"]  # GFDC's row is still cited
    assert by["KOR"]["confidence"] == "low" and "memorandum" in by["KOR"]["confidence_note"]


def test_licensing_by_country_leaves_china_out_and_flags_korea(core) -> None:
    nodes, edges = core
    g = projection(nodes, edges, dt.date(2025, 1, 1))
    by = {c.country: c for c in licensing_by_country(g)}
    # Huawei's Chinese licensees (OPPO, Xiaomi, vivo) are not "in Belt and Road countries".
    assert by["CHN"].bri_member is False and by["CHN"].bri_confidence is None
    assert {"oppo", "vivo"} <= set(by["CHN"].licensees)
    assert by["KOR"].bri_member and by["KOR"].bri_confidence == "low" and "samsung" in by["KOR"].licensees
    table = licensing_table(g).set_index("iso3")
    assert not table.loc["CHN", "bri_member"]
    assert table.loc["KOR", "bri_confidence"] == "low" and not table.loc["ITA", "bri_member"]
