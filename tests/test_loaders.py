"""Loaders on the real published files, and on broken copies of them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from graph.build import merge
from graph.errors import LoaderError
from graph.model import NodeRecord, validate
from loaders import bri_gfdc, countries, cset_eto, curated
from loaders.base import Context
from tests.conftest import SHARED_DATA, need


def run(module, raw_dirs: list[Path]) -> Context:
    ctx = Context(module.SOURCE, raw_dirs)
    module.load(ctx)
    return ctx


@pytest.fixture(scope="module")
def shared() -> Path:
    need(SHARED_DATA.is_dir(), f"the shared source files are not at {SHARED_DATA}")
    return SHARED_DATA


def test_bri_members_with_join_and_exit_dates(shared: Path) -> None:
    ctx = run(bri_gfdc, [shared])
    assert ctx.report.rows_read == {"BRI countries": 151} and ctx.report.skipped == []
    members = {e.start: e.props for e in ctx.edges if e.type == "MEMBER_OF"}
    assert len(members) == 150 and all(e.end == "bri" for e in ctx.edges)
    # GFDC's 2023-06-12 is corrected to 2023-12-06 by data/curated/corrections/bri-gfdc.yaml, with its sources.
    assert members["ITA"]["valid_from"] == "2019-03-01" and members["ITA"]["valid_to"] == "2023-12-06"
    assert members["ITA"]["sources"] == ["ap-2023-12-06-italy-bri", "ice-2023-12-07-italy-bri", bri_gfdc.SOURCE.id]
    assert members["KOR"]["confidence"] == "low"
    assert members["AUT"]["valid_from"] is None and members["AUT"]["confidence"] == "low"
    # China is GFDC's row 27 but the initiator: its Country is kept, its membership is not.
    assert "CHN" not in members and any(n.id == "CHN" for n in ctx.nodes)
    bri = next(n for n in ctx.nodes if n.id == "bri")
    assert "Initiated by China" in bri.props["note"] and "2013-12-01" in bri.props["note"]
    assert all(e.props["sources"][-1] == bri_gfdc.SOURCE.id for e in ctx.edges)


def test_bri_unknown_layout_stops_with_file_and_line(shared: Path, tmp_path: Path) -> None:
    src = shared / bri_gfdc.SOURCE.files[0]
    bad = tmp_path / bri_gfdc.SOURCE.files[0]
    bad.parent.mkdir(parents=True)
    wb = openpyxl.load_workbook(src)
    wb["BRI countries"]["B1"] = "ISO"
    wb.save(bad)
    with pytest.raises(LoaderError, match=r"23_12_BRI-countries-public.xlsx:1: sheet 'BRI countries' header"):
        run(bri_gfdc, [tmp_path])
    bad.write_bytes(b"not a zip")
    with pytest.raises(LoaderError, match=r"not a readable \.xlsx"):
        run(bri_gfdc, [tmp_path])


def test_bri_bad_row_is_reported_not_dropped(shared: Path, tmp_path: Path) -> None:
    bad = tmp_path / bri_gfdc.SOURCE.files[0]
    bad.parent.mkdir(parents=True)
    wb = openpyxl.load_workbook(shared / bri_gfdc.SOURCE.files[0])
    wb["BRI countries"]["B3"] = "Albania"
    wb["BRI countries"]["E4"] = "sometime in 2018"
    wb.save(bad)
    ctx = run(bri_gfdc, [tmp_path])
    assert len(ctx.report.skipped) == 2
    assert ":3: country code 'Albania' is not an ISO alpha-3 code" in ctx.report.skipped[0]
    assert ":4: DZA: join or exit date" in ctx.report.skipped[1]


def test_missing_source_file_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match=r"greenfdc\.org"):
        run(bri_gfdc, [tmp_path])


def test_cset_supply_chain(shared: Path) -> None:
    ctx = run(cset_eto, [shared])
    supplies = {(e.start, e.end): e.props for e in ctx.edges if e.type == "SUPPLIES"}
    assert supplies[("cset-P88", "cset-N20")]["share"] == 100.0  # ASML: all EUV scanners
    assert supplies[("cset-P88", "cset-N20")]["year"] == 2025
    assert supplies[("USA", "cset-S1")]["share"] > 0  # a country's share of the design stage
    names = {n.id: n.props for n in ctx.nodes}
    assert names["cset-P159"]["name"] == "Canon"
    assert {"Canon ANELVA", "Canon Machinery"} <= set(names["cset-P159"]["aliases"])
    assert ctx.report.rows_read["provision.csv"] == 1300
    # Aggregates like "Various companies" are reported, with file and line, not dropped silently.
    assert any("provision.csv:" in s and "Various companies" in s for s in ctx.report.skipped)


def test_cset_unknown_column_layout_stops(shared: Path, tmp_path: Path) -> None:
    d = tmp_path / "cset-eto-chip-explorer"
    shutil.copytree(shared / "cset-eto-chip-explorer", d)
    text = (d / "provision.csv").read_text(encoding="utf-8").replace("share_provided", "share_pct", 1)
    (d / "provision.csv").write_text(text, encoding="utf-8")
    with pytest.raises(LoaderError, match=r"provision.csv:1: missing column\(s\) share_provided"):
        run(cset_eto, [tmp_path])
    (d / "provision.csv").write_bytes(
        (shared / "cset-eto-chip-explorer/provision.csv").read_bytes().replace(b"ASML", b"\xff\xfeASML")
    )
    with pytest.raises(LoaderError, match="not UTF-8"):
        run(cset_eto, [tmp_path])


def test_countries_from_iso() -> None:
    ctx = run(countries, [])
    ids = {n.id: n.props for n in ctx.nodes}
    assert len(ids) == 249 and ids["TWN"]["name"] == "Taiwan" and ids["NLD"]["iso2"] == "NL"


def test_curated_facts_all_cite_existing_sources(shared: Path) -> None:
    ctx = run(curated, [shared])
    labels = {n.id: n.label for n in ctx.nodes}
    extra = [n for m in (countries, bri_gfdc, cset_eto) for n in run(m, [shared]).nodes]
    cited = [NodeRecord("Source", m.SOURCE.as_props()) for m in (countries, bri_gfdc, cset_eto)]
    nodes, edges = merge(ctx.nodes + extra + cited, ctx.edges)
    batch = validate(nodes, edges)  # raises on a missing citation or a dangling edge
    assert batch.edges
    companies = [n for n in ctx.nodes if n.label == "Company"]
    assert len(companies) >= 120
    assert all(n.props.get("country") and n.props.get("roles") for n in companies)
    assert sum(1 for n in ctx.nodes if n.label == "ExportControl") >= 30
    licences = [e for e in ctx.edges if e.type == "LICENSES_TO" and "huawei" in (e.start, e.end)]
    assert len(licences) >= 10
    for e in ctx.edges:
        if e.props.get("confidence") == "low":
            assert e.props.get("confidence_note"), e
    assert labels["us-ofac-sdn"] == "SanctionList" and labels["us-bis-entity-list"] == "SanctionList"


def test_curated_yaml_error_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("nodes:\n  - {id: x, name: [unclosed\n", encoding="utf-8")
    ctx = Context(curated.SOURCE, [])
    with pytest.raises(LoaderError, match=r"bad\.yaml is not valid UTF-8 YAML"):
        curated.load(ctx, tmp_path)


def test_dates_from_yaml_survive_validation(shared: Path) -> None:
    ctx = run(curated, [shared])
    rule = next(n for n in ctx.nodes if n.id == "ec-bis-affiliates-2025")
    assert rule.props["suspended_from"] == dt.date(2025, 11, 10)
