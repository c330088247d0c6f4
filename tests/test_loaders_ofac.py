"""The OFAC loaders on the real shared files: the 2019 SDN set, three dated SDN snapshots and the
non-SDN consolidated list; their quirks; bad layouts; and listing dates that `exposure --as-of` honours."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from graph.build import merge, run_loaders
from graph.errors import LoaderError
from graph.model import validate
from graph.store.embedded import EmbeddedStore
from loaders import countries, ofac_consolidated, ofac_sdn
from loaders.base import Context
from tests.conftest import SHARED_DATA, need
from tests.loader_checks import assert_bad_build_leaves_store, broken_copy
from tests.test_import_cli import run


@pytest.fixture(scope="module")
def shared() -> Path:
    need(SHARED_DATA.is_dir(), f"the shared source files are not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def sdn(shared: Path) -> Context:
    ctx = Context(ofac_sdn.SOURCE, [shared])
    ofac_sdn.load(ctx)
    return ctx


def test_sdn_counts(sdn: Context) -> None:
    r = sdn.report
    assert r.rows_read == {
        "sdn.csv": 7379,
        "add.csv": 11696,
        "alt.csv": 9682,
        "sdn_comments.csv": 13,
        "sdn-2021-08-18.csv": 9083,
        "sdn-2022-03-31.csv": 9847,
        "sdn-2023-09-28.csv": 13098,
    }
    labels = Counter(n.label for n in sdn.nodes)
    assert labels == {"Person": 6920, "Company": 5921, "Vessel": 768, "Aircraft": 379, "SanctionList": 1}
    types = Counter(e.type for e in sdn.edges)
    assert types["LISTED_ON"] == 13988 and types["LINKED_TO"] == 4851 and "OWNS" not in types
    # Comments of entries the 2019 sdn.csv does not hold: reported, not dropped silently.
    assert len(r.skipped) == 10 and all("is not in sdn.csv" in s for s in r.skipped)
    assert {f.get("snapshot") for f in r.files.values()} - {None} == {
        "2019-01-15",
        "2021-08-18",
        "2022-03-31",
        "2023-09-28",
    }


def test_a_known_entry_field_by_field(sdn: Context) -> None:
    nodes = {n.id: n for n in sdn.nodes}
    bnc = nodes["ofac-306"]
    assert bnc.label == "Company" and bnc.props["name"] == "BANCO NACIONAL DE CUBA"
    assert bnc.props["aliases"] == ["NATIONAL BANK OF CUBA", "BNC"] and bnc.props["xrefs"] == ["ofac:306"]
    assert bnc.props["countries"] == ["CHE", "ESP", "JPN", "PAN"]
    assert "Zweierstrasse 35, Zurich CH-8022, Switzerland" in bnc.props["addresses"]
    person = nodes["ofac-8150"].props
    assert nodes["ofac-8150"].label == "Person" and person["birth_dates"] == ["20 Mar 1965"]
    assert person["nationality"] == ["COL"] and person["aliases"] == ["ROMANA, Edison", "ROMANA"]
    vessel = nodes["ofac-4234"]
    assert vessel.label == "Vessel" and vessel.props["call_sign"] == "CL2685" and vessel.props["flag"] == "Cuba"
    listing = next(e for e in sdn.edges if e.type == "LISTED_ON" and e.start == "ofac-2686")
    assert listing.props["program"] == "SDGT; SYRIA" and listing.props["entry"] == "2686"
    linked = {e.end for e in sdn.edges if e.type == "LINKED_TO" and e.start == "ofac-4632"}
    assert len(linked) >= 1  # Bank Markazi: Linked To the IRGC-QF and Hizballah


def test_listing_dates_from_snapshots(sdn: Context) -> None:
    listed = {e.start: e.props for e in sdn.edges if e.type == "LISTED_ON"}
    sber = listed["ofac-17018"]  # on the SDN list only from the 2023 snapshot
    assert sber["valid_from"] == "2023-09-28" and "valid_to" not in sber and sber["confidence"] == "medium"
    noriega = listed["ofac-1572"]  # in 2019 and 2021, gone by 2022-03-31
    assert "valid_from" not in noriega and noriega["valid_to"] == "2022-03-30"
    assert "removed between 2021-08-18 and 2022-03-31" in noriega["note"]


def test_exposure_as_of_dates_inside_the_history(shared: Path, tmp_path: Path) -> None:
    nodes, edges, _ = run_loaders([shared], [countries, ofac_sdn])
    path = tmp_path / "g.lbdb"
    with EmbeddedStore(path) as store:
        store.write(validate(*merge(nodes, edges)), replace=True)

    def lists(entity: str, day: str) -> list[str]:
        res = run("exposure", entity, "--as-of", day, "--format", "json", "--store", str(path))
        assert res.returncode == 0, res.stderr
        return [x["list"] for x in json.loads(res.stdout)[0]["components"]["direct"]]

    assert lists("ofac-17018", "2022-06-01") == [] and lists("ofac-17018", "2023-10-01") == ["us-ofac-sdn"]
    assert lists("ofac-1572", "2021-09-01") == ["us-ofac-sdn"] and lists("ofac-1572", "2022-06-01") == []


def quirky(tmp_path: Path, shared: Path) -> Path:
    """The 2019 set as OFAC ships it: CRLF, a final 0x1A, Windows-1252 text and '-0- ' nulls."""
    folder = tmp_path / "raw" / ofac_sdn.WATCHMAN
    folder.mkdir(parents=True)
    for name in ofac_sdn.FILES:
        text = (shared / ofac_sdn.WATCHMAN / name).read_text(encoding="utf-8")
        if name == "sdn.csv":
            text = text.replace('"BANCO NACIONAL DE CUBA"', '"BANCO NACIONAL DE CUBA ÑÁ"')
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode("cp1252", errors="replace") + b"\x1a")
    return tmp_path / "raw"


def test_quirks_of_the_published_files(shared: Path, tmp_path: Path) -> None:
    ctx = Context(ofac_sdn.SOURCE, [quirky(tmp_path, shared)])
    ofac_sdn.load(ctx)
    nodes = {n.id: n for n in ctx.nodes}
    assert nodes["ofac-306"].props["name"] == "BANCO NACIONAL DE CUBA ÑÁ"
    assert ctx.report.rows_read["sdn.csv"] == 7379
    assert "call_sign" not in nodes["ofac-306"].props  # '-0- ' is null, not text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: "ent_num,SDN_Name,SDN_Type\n" + t, "no header row"),
        (lambda t: "\n".join(line.rsplit(",", 1)[0] for line in t.splitlines()), "do not have 12 columns"),
    ],
)
def test_bad_layout_stops_with_file_and_line(shared: Path, tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "raw" / ofac_sdn.WATCHMAN
    shutil.copytree(shared / ofac_sdn.WATCHMAN, folder)
    (folder / "sdn.csv").chmod(0o644)
    (folder / "sdn.csv").write_text(edit((folder / "sdn.csv").read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(LoaderError, match=message) as err:
        ofac_sdn.load(Context(ofac_sdn.SOURCE, [tmp_path / "raw"]))
    assert "sdn.csv:1:" in str(err.value)


def test_consolidated_lists_each_programme(shared: Path) -> None:
    ctx = Context(ofac_consolidated.SOURCE, [shared])
    ofac_consolidated.load(ctx)
    listed = Counter(e.end for e in ctx.edges if e.type == "LISTED_ON")
    assert listed == {
        "us-ofac-ssi": 286,
        "us-ofac-ns-mbs": 93,
        "us-ofac-ns-plc": 78,
        "us-ofac-ns-cmic": 68,
        "us-ofac-non-sdn-other": 8,
        "us-ofac-cap": 1,
    }
    assert Counter(n.label for n in ctx.nodes) == {"Company": 363, "Person": 79, "SanctionList": 6}
    assert any("SDGT" in w for w in ctx.report.warnings)


@pytest.mark.parametrize(
    ("module", "folder", "name", "message"),
    [
        (ofac_sdn, ofac_sdn.WATCHMAN, "sdn.csv", "do not have 12 columns"),
        (ofac_consolidated, "ofac-sdn/ofac-consolidated-non-sdn", "cons_prim.csv", "do not have 12 columns"),
    ],
)
def test_bad_layout_build_leaves_store_unchanged(  # type: ignore[no-untyped-def]
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module, folder: str, name: str, message: str
) -> None:
    def drop_last_column(text: str) -> str:
        return "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines())

    raw = broken_copy(tmp_path, shared, folder, name, drop_last_column)
    assert_bad_build_leaves_store(monkeypatch, tmp_path, shared, module, raw, message)
