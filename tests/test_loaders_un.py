"""The UN Security Council Consolidated List loader on the real shared XML (generated 2026-02-27)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from graph.errors import LoaderError
from loaders import un_sc
from loaders.base import Context
from tests.conftest import SHARED_DATA, need
from tests.loader_checks import assert_bad_build_leaves_store, broken_copy, replace, run

FOLDER = "un-sc-consolidated"


@pytest.fixture(scope="module")
def shared() -> Path:
    need((SHARED_DATA / FOLDER).is_dir(), f"the shared source files are not at {SHARED_DATA / FOLDER}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def un(shared: Path) -> Context:
    return run(un_sc, [shared])


def test_exact_counts(un: Context) -> None:
    r = un.report
    assert r.rows_read == {"consolidated.xml": 1003} and r.skipped == []
    assert Counter(n.label for n in un.nodes) == {"Person": 730, "Company": 273, "SanctionList": 1}
    assert Counter(e.type for e in un.edges) == {"LISTED_ON": 1003}
    assert {e.end for e in un.edges} == {"un-sc-consolidated"}
    assert Counter(e.props["program"] for e in un.edges).most_common(3) == [
        ("Al-Qaida", 341),
        ("DPRK", 155),
        ("Taliban", 140),
    ]
    assert sum(len(n.props.get("weak_aliases") or []) for n in un.nodes) == 615  # every "Low" alias
    assert r.files[un_sc.FILE]["snapshot"] == "2026-02-27"  # the list's dateGenerated


def test_an_individual_field_by_field(un: Context) -> None:
    nodes = {n.id: n for n in un.nodes}
    p = nodes["un-CDi.003"]
    assert p.label == "Person" and p.props["name"] == "GASTON IYAMUREMYE"
    assert p.props["aliases"] == ["Byiringiro Victor Rumuli", "Victor Rumuri", "Michel Byiringiro"]
    assert p.props["weak_aliases"] == ["Rumuli"]  # QUALITY Low
    assert p.props["xrefs"] == ["un:CDi.003"] and p.props["nationality"] == ["RWA"]
    assert p.props["birth_dates"] == ["1948"] and p.props["countries"] == ["COD", "RWA"]
    assert p.props["addresses"] == ["North Kivu Province, Democratic Republic of the Congo (as of June 2016)"]
    assert p.props["title"] == "FDLR Interim President; FDLR-FOCA 1st Vice-President; FDLR-FOCA Major General"
    assert p.props["sources"] == ["src-un-sc-consolidated"]
    [listing] = [e for e in un.edges if e.start == "un-CDi.003"]
    assert listing.props["id"] == "un-sc-CDi.003" and listing.props["valid_from"] == "2010-12-01"
    assert listing.props["entry"] == "CDi.003" and listing.props["program"] == "DRC"


def test_an_entity_field_by_field(un: Context) -> None:
    nodes = {n.id: n for n in un.nodes}
    adf = nodes["un-CDe.001"]
    assert adf.label == "Company" and adf.props["name"] == "ADF"
    # a.k.a. and f.k.a. (former names) are both aliases; the accents and the curly quote are kept
    assert adf.props["aliases"] == [
        "Allied Democratic Forces",
        "Forces Démocratiques Alliées-Armée Nationale de Libération de l’Ouganda",
        "ADF/NALU",
        "NALU",
    ]
    assert adf.props["country"] == "COD" and adf.props["addresses"] == ["North Kivu, Democratic Republic of the Congo"]
    [listing] = [e for e in un.edges if e.start == "un-CDe.001"]
    assert listing.props["valid_from"] == "2014-06-30" and listing.props["note"] == "amended 2016-10-19, 2020-08-19"
    kp = nodes["un-KPe.019"].props
    assert kp["name"] == "KOREA COMPLEX EQUIPMENT IMPORT CORPORATION" and kp["country"] == "PRK"


def test_quirks(un: Context) -> None:
    nodes = {n.id: n for n in un.nodes}
    listed = {e.start: e.props for e in un.edges}
    # LISTED_ON with a time-zone offset ("2015-04-07-04:00") is read as its date: every listing is dated.
    assert all(p["valid_from"] for p in listed.values())
    assert sum(1 for p in listed.values() if p["valid_from"] == "2015-07-01") >= 6
    # The name in its original script is an alias.
    assert nodes["un-QDi.001"].props["aliases"][0] == "محمد صلاح الدين عبدالحليم زيدان"
    assert nodes["un-QDi.001"].props["birth_dates"] == ["1963-04-11", "1960-04-11"]
    # A range of years of birth, and "approximately".
    assert nodes["un-CDi.030"].props["birth_dates"] == ["1973 to 1974"]
    assert any(b.startswith("circa ") for n in un.nodes for b in n.props.get("birth_dates") or [])
    # "State of Palestine" is a country; "former Soviet Union" is not, and is reported.
    assert any("PSE" in (n.props.get("nationality") or []) for n in un.nodes)
    assert [w for w in un.report.warnings if "former Soviet Union" in w] == [
        f"{SHARED_DATA / un_sc.FILE}:22472: nationality 'former Soviet Union' is not a country we know; left out"
    ]
    # Names with markup characters are data, kept as published.
    assert any(n.props["name"] == "CHANG AN SHIPPING & TECHNOLOGY" for n in un.nodes)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (replace("CONSOLIDATED_LIST", "SANCTIONS_LIST", -1), "root element is <SANCTIONS_LIST>, expected <CONSOLIDATED_LIST>"),
        (replace("<DATAID>6907994</DATAID>", ""), "<INDIVIDUAL> lacks <DATAID>; expected DATAID, FIRST_NAME"),
        (replace("<QUALITY>Good</QUALITY>", "<QUALITY>Medium</QUALITY>"), "alias quality 'Medium' is unknown"),
        (replace("</INDIVIDUALS>", "</INDIVIDUAL>"), "not well-formed XML"),
    ],
)  # fmt: skip
def test_bad_layout_names_file_line_and_layout(shared: Path, tmp_path: Path, edit, message: str) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "consolidated.xml", edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(un_sc, [raw])
    assert re.search(r"consolidated\.xml:\d+: ", str(err.value))


def test_bad_layout_line_is_the_record(shared: Path, tmp_path: Path) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "consolidated.xml", replace("<DATAID>6907994</DATAID>", ""))
    with pytest.raises(LoaderError) as err:
        run(un_sc, [raw])
    assert "consolidated.xml:42: " in str(err.value)  # the second <INDIVIDUAL> starts on line 42


def test_bad_layout_build_leaves_store_unchanged(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "consolidated.xml", replace("UN_LIST_TYPE>", "LIST_KIND>", -1))
    assert_bad_build_leaves_store(monkeypatch, tmp_path, shared, un_sc, raw, re.escape("lacks <UN_LIST_TYPE>"))


def test_absent_file_skips_the_source(tmp_path: Path) -> None:
    from graph.build import run_loaders

    _, _, reports = run_loaders([tmp_path], [un_sc])
    assert "cannot find un-sc-consolidated/consolidated.xml" in reports[0].absent
    assert "python -m graph fetch src-un-sc-consolidated" in reports[0].absent
