"""The US list loaders on the real shared files: the 13 JSON lists, the CSL and BIS CSVs, Federal Register XML."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graph.build import merge, run_loaders
from graph.errors import LoaderError
from graph.model import validate
from loaders import bri_gfdc, countries, cset_eto, csl, curated, federal_register, us_lists
from loaders.base import Context
from tests.conftest import ROOT, SHARED_DATA, need


def run(module, raw_dirs: list[Path]) -> Context:
    ctx = Context(module.SOURCE, raw_dirs)
    module.load(ctx)
    return ctx


@pytest.fixture(scope="module")
def shared() -> Path:
    need(SHARED_DATA.is_dir(), f"the shared source files are not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def lists(shared: Path) -> Context:
    return run(us_lists, [shared])


def _names(ctx: Context) -> dict[str, str]:
    return {n.props["id"]: n.props["name"] for n in ctx.nodes}


def test_us_lists_exact_counts(lists: Context) -> None:
    r = lists.report
    assert r.rows_read["bis_entity_list.json"] == 3409 and r.skipped == []
    per_list: dict[str, int] = {}
    for e in lists.edges:
        if e.type == "LISTED_ON":
            per_list[e.end] = per_list.get(e.end, 0) + 1
    assert per_list == {
        "us-bis-entity-list": 3409, "us-bis-meu": 70, "us-bis-dpl": 564, "us-dod-1260h": 80, "us-dod-1286": 134,
        "us-ofac-ns-cmic": 68, "us-ofac-eo14032-annex": 59, "us-fcc-covered-list": 15, "us-dhs-uflpa": 148,
        "us-cbp-wro": 67, "us-state-debarred-statutory": 779, "us-state-debarred-admin": 8,
        "us-state-nonproliferation": 528,
    }  # fmt: skip
    labels = {}
    for n in lists.nodes:
        labels[n.label] = labels.get(n.label, 0) + 1
    assert labels == {"Company": 4612, "Person": 1319, "Source": 13, "SanctionList": 13}
    assert sum(e.type == "SUBSIDIARY_OF" for e in lists.edges) == 131


def test_huawei_affiliate_field_by_field(lists: Context) -> None:
    names = _names(lists)
    [node] = [n for n in lists.nodes if n.props["name"] == "Huawei Cloud Computing Technology"]
    assert node.label == "Company" and node.props["country"] == "CHN" and len(node.props["addresses"]) == 2
    [listing] = [e for e in lists.edges if e.type == "LISTED_ON" and e.start == node.props["id"]]
    assert listing.end == "us-bis-entity-list"
    assert listing.props["citation"] == "85 FR 51603" and listing.props["valid_from"] == "2020-08-20"
    assert listing.props["confidence"] == "medium" and "publication date" in listing.props["confidence_note"]
    assert listing.props["footnote"] == "1, 2"
    assert listing.props["license_requirement"].startswith("For all items subject to the EAR, see §§ 734.9(e)")
    [parent] = [e for e in lists.edges if e.type == "SUBSIDIARY_OF" and e.start == node.props["id"]]
    assert parent.end == "huawei" and parent.props["confidence"] == "medium"
    # Huawei itself is not its own subsidiary; the entry that names its parent links to it.
    [hw] = [
        n
        for n in lists.nodes
        if n.props["name"] == "Huawei Technologies Co., Ltd."
        and "src-us-bis-entity-list-2026-07-09" in n.props["sources"]
    ]
    assert not [e for e in lists.edges if e.type == "SUBSIDIARY_OF" and e.start == hw.props["id"]]
    cnooc = [e for e in lists.edges if e.type == "SUBSIDIARY_OF" and names[e.start].startswith("CNOOC Limited")]
    assert [names[e.end] for e in cnooc] == ["China National Offshore Oil Corporation"]


def test_us_lists_quirks(lists: Context) -> None:
    by_name = {n.props["name"]: n for n in lists.nodes}
    # An address inside an alias is moved to the addresses.
    bel = by_name["Bel Huawei Technologies LLC"].props
    assert bel["aliases"] == ["BellHuawei Technologies LLC"] and bel["addresses"] == [
        "5 Dzerzhinsky Ave., Minsk, 220036, Belarus"
    ]
    # "the following one alias:" left inside an address is cut off, and reported.
    assert by_name["Tako LLC"].props["addresses"][0].startswith("17 Garegin")
    assert any("the following one alias" in w for w in lists.report.warnings)
    # Several FR citations: the earliest gives valid_from, all are cited.
    listings = {e.start: e.props for e in lists.edges if e.type == "LISTED_ON"}
    baotou = next(n for n in lists.nodes if n.props["name"].startswith("Baotou Guanghua"))
    assert listings[baotou.props["id"]]["citation"] == "66 FR 24266; 75 FR 78883; 81 FR 64696"
    assert listings[baotou.props["id"]]["valid_from"] == "2001-05-14"
    # DPL: "F.R." citations, an effective date and an expiry.
    adt = listings[by_name["ADT ANALOG AND DIGITAL TECHNIK"].props["id"]]
    assert adt["citation"] == "46 FR 19290; 46 FR 46154" and adt["valid_from"] == "1981-09-10"
    # Persons by the form of the name on the State lists; companies stay companies.
    assert by_name["Adams, Ryan"].label == "Person" and by_name["A & C International Trade, Inc."].label == "Company"
    # 1260H dates from the notice; 1286 gives none.
    q360 = listings[by_name["360 Security Technology, Inc."].props["id"]]
    assert q360["valid_from"] == "2026-06-10" and q360["citation"] == "91 FR 35189"
    amms = listings[by_name["Academy of Military Medical Sciences"].props["id"]]
    assert amms["valid_from"] is None and amms["note"].startswith("date not in source")
    assert any("'Middle East Region' is not a country" in w for w in lists.report.warnings)


def test_us_lists_with_curated_core_validate(shared: Path) -> None:
    nodes, edges, _ = run_loaders([ROOT / "data" / "raw", shared], [curated, countries, bri_gfdc, cset_eto, us_lists])
    batch = validate(*merge(nodes, edges))
    cmic = next(n for n in batch.nodes if n.props["id"] == "us-ofac-ns-cmic")
    assert cmic.props["name"].startswith("Non-SDN Chinese Military-Industrial Complex")  # the curated record wins
    assert sum(e.type == "SUBSIDIARY_OF" and e.end == "huawei" for e in batch.edges) >= 129


def bis_native(tmp_path: Path, shared: Path) -> Path:
    """A raw folder holding the BIS layout fixture under the official file name: the build itself never
    reads the fixture, whose values were edited by ITA's developers."""
    folder = tmp_path / "bis" / "us-csl-bis-entity-list"
    folder.mkdir(parents=True)
    shutil.copyfile(
        shared / "us-csl-bis-entity-list/bis-el-native-format.fixture.csv", folder / "bis-el-native-format.csv"
    )
    return tmp_path / "bis"


def test_the_build_never_reads_the_bis_fixture(shared: Path) -> None:
    ctx = run(csl, [shared])
    assert ctx.report.rows_read == {"consolidated.sample.csv": 13}
    assert not any("fixture" in f for f in ctx.report.files), ctx.report.files
    # BIS's own CSV is optional: its absence is no warning, the CSL was read.
    assert not ctx.report.warnings


def test_csl_current_layout_and_cetc13(shared: Path, tmp_path: Path) -> None:
    ctx = run(csl, [bis_native(tmp_path, shared), shared])
    assert ctx.report.rows_read == {"consolidated.sample.csv": 13, "bis-el-native-format.csv": 18}
    assert ctx.report.skipped == []
    listed = {(e.start, e.end): e.props for e in ctx.edges if e.type == "LISTED_ON"}
    assert len(listed) == 18
    [cetc] = [n for n in ctx.nodes if n.props["name"].startswith("China Electronics Technology Group Corporation 13th")]
    p = cetc.props
    assert cetc.label == "Company" and p["country"] == "CHN" and p["aliases"][-1] == "CETC Research Institute 13"
    assert len(p["addresses"]) == 3 and p["xrefs"] == ["csl:99ed1b052fdb09695fae1ba87516d8a0882b0df04652e07aeb5ce7be"]
    el = listed[(p["id"], "us-bis-entity-list")]
    assert el["citation"] == "83 FR 37423; 87 FR 77505" and el["valid_from"] == "2018-08-01" and el["footnote"] == "3"
    assert el["license_policy"].startswith("Policy of denial")
    # OFAC rows carry the SDN loader's id and xref, with their list.
    assert listed[("ofac-52291", "us-ofac-sdn")]["program"] == "NPWMD"
    rim = next(n for n in ctx.nodes if n.props["id"] == "ofac-52291")
    assert rim.label == "Person" and rim.props["xrefs"] == ["ofac:52291"] and rim.props["nationality"] == ["PRK"]
    assert {e.end for e in ctx.edges if e.type == "LISTED_ON"} >= {
        "us-bis-meu",
        "us-bis-uvl",
        "us-ofac-ns-plc",
        "us-state-dtc",
    }
    # BIS's own layout: 18 rows (entity x address x alias) are 6 entities.
    farid = next(n for n in ctx.nodes if n.props["name"] == "Fazal Rahim Farid").props
    assert farid["aliases"] == ["Fazel Rahim Farid", "Farid", "Engineer Idris"] and len(farid["addresses"]) == 2
    qazi = next(n for n in ctx.nodes if n.props["name"] == "Qazi Abdallah").props
    assert qazi["aliases"] == ["Jawid, Sa’id Jan ‘Abd-al-Salam"]  # Windows-1252 quotes mended


def _broken(tmp_path: Path, shared: Path, folder: str, name: str, edit) -> Path:
    raw = tmp_path / "raw"
    (raw / folder).mkdir(parents=True)
    edit(shared / folder / name, raw / folder / name)
    return raw


def _drop_id_column(src: Path, dst: Path) -> None:
    rows = list(csv.reader(src.open(encoding="utf-8")))
    with dst.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(r[1:] for r in rows)


def test_csl_older_28_column_layout_is_read(shared: Path, tmp_path: Path) -> None:
    raw = _broken(tmp_path, shared, "us-csl-bis-entity-list", "consolidated.sample.csv", _drop_id_column)
    ctx = run(csl, [raw, bis_native(tmp_path, shared), shared])
    assert sum(e.type == "LISTED_ON" for e in ctx.edges) == 18
    assert any("older 28-column layout" in w for w in ctx.report.warnings)


def _rename_column(old: str, new: str, count: int = 1):
    def edit(src: Path, dst: Path) -> None:
        dst.write_text(src.read_text(encoding="utf-8").replace(old, new, count), encoding="utf-8")

    return edit


@pytest.mark.parametrize(
    ("module", "folder", "name", "edit", "message"),
    [
        (us_lists, "us-restricted-lists-2026", "bis_meu.json", _rename_column('"federal_register"', '"fr"'),
         "entity lacks field(s) federal_register"),
        (csl, "us-csl-bis-entity-list", "consolidated.sample.csv", _rename_column("addresses", "address"),
         "missing column(s) addresses; expected the current 29-column CSL layout"),
        (federal_register, "us-csl-bis-entity-list/federal-register", "2023-03929.xml",
         _rename_column("PREAMB>", "PREAMBLE>", -1), "RULE has no PREAMB"),
    ],
)  # fmt: skip
def test_bad_layout_stops_with_file_and_leaves_store(
    shared: Path, tmp_path: Path, module, folder: str, name: str, edit, message: str
) -> None:
    raw = _broken(tmp_path, shared, folder, name, edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(module, [raw, shared])
    assert name in str(err.value)


def test_bad_layout_build_leaves_store_unchanged(shared: Path, tmp_path: Path) -> None:
    store = tmp_path / "g.lbdb"
    env = {**os.environ, "TECHGEO_STORE": str(store)}
    env["TECHGEO_RAW_DIRS"] = f"{ROOT / 'data' / 'raw'}:{shared}"
    good = subprocess.run([sys.executable, "-m", "graph", "build"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    before = store.read_bytes() if store.is_file() else None
    raw = _broken(
        tmp_path, shared, "us-csl-bis-entity-list", "consolidated.sample.csv", _rename_column("_id,source", "uid,list")
    )
    env["TECHGEO_RAW_DIRS"] = f"{raw}:{ROOT / 'data' / 'raw'}:{shared}"
    bad = subprocess.run([sys.executable, "-m", "graph", "build"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "consolidated.sample.csv" in bad.stderr and "missing column(s) source" in bad.stderr
    assert (store.read_bytes() if store.is_file() else None) == before
    shutil.rmtree(raw)


def test_federal_register_rule_entities(shared: Path) -> None:
    ctx = run(federal_register, [shared])
    assert ctx.report.rows_read == {"2023-03929.xml": 13} and ctx.report.skipped == []
    [rule] = [n for n in ctx.nodes if n.label == "ExportControl"]
    assert rule.props["id"] == "ec-fr-2023-03929" and rule.props["citation"] == "88 FR 12170"
    assert rule.props["published"] == "2023-02-27" and rule.props["effective"] == "2023-02-24"
    assert (
        rule.props["kind"] == "list_designation" and rule.props["url"] == "https://www.federalregister.gov/d/2023-03929"
    )
    companies = {n.props["name"]: n.props for n in ctx.nodes if n.label == "Company"}
    assert len(companies) == 10
    head = companies["China HEAD Aerospace Technology Co."]
    assert head["countries"] == ["CHN", "FRA", "NLD"] and "HEAD France" in head["aliases"]
    listed = {e.start: e.props for e in ctx.edges if e.type == "LISTED_ON"}
    cp = listed[next(n.props["id"] for n in ctx.nodes if n.props["name"] == "CPUNTO Inc.")]
    assert cp["valid_from"] == "2023-02-24" and cp["citation"] == "88 FR 12170" and cp["footnote"] == "3"
    assert cp["license_policy"].startswith("Policy of denial")
    assert sum(e.type == "TARGETS" for e in ctx.edges) == 10
    assert [(e.start, e.end) for e in ctx.edges if e.type == "AMENDS"] == [("ec-fr-2023-03929", "us-bis-entity-list")]


def test_federal_register_reads_rules_a_user_drops_in(shared: Path, tmp_path: Path) -> None:
    dropped = tmp_path / "federal-register"
    dropped.mkdir()
    text = (shared / "us-csl-bis-entity-list/federal-register/2023-03929.xml").read_text(encoding="utf-8")
    (dropped / "2099-00001.xml").write_text(text.replace("2023-03929", "2099-00001"), encoding="utf-8")
    ctx = run(federal_register, [tmp_path, shared])
    assert {n.props["id"] for n in ctx.nodes if n.label == "ExportControl"} == {"ec-fr-2023-03929", "ec-fr-2099-00001"}
