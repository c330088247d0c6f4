"""The generic OpenSanctions FtM loader: on the real shared files (eu_fsf entities and a delta file), and
on a hand-written fixture of the FtM relationship schemata the samples lack (Ownership, Directorship,
UnknownLink, Sanction)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from graph.errors import LoaderError
from loaders import opensanctions_ftm as ftm
from loaders.base import Context
from tests.conftest import FIXTURES, SHARED_DATA, need
from tests.loader_checks import assert_bad_build_leaves_store, broken_copy, replace, run

FOLDER = "opensanctions-ftm"


@pytest.fixture(scope="module")
def shared() -> Path:
    need((SHARED_DATA / FOLDER).is_dir(), f"the shared source files are not at {SHARED_DATA / FOLDER}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def eu(shared: Path) -> Context:
    return run(ftm, [shared])


@pytest.fixture(scope="module")
def links() -> Context:
    return run(ftm, [FIXTURES])


def test_exact_counts_on_the_real_files(eu: Context) -> None:
    r = eu.report
    assert r.rows_read == {"eu_fsf.entities.ftm.sample.json": 7, "entities.delta.sample.json": 2}
    assert r.skipped == []
    # 7 eu_fsf entities (4 Person, 2 Organization, 1 Address) and the delta's 2 ADDs (an Organization, a Person).
    assert Counter(n.label for n in eu.nodes) == {"Person": 5, "Company": 3, "SanctionList": 1}
    # The 6 eu_fsf targets with the topic "sanction" are listed; the delta file names no dataset.
    assert Counter(e.type for e in eu.edges) == {"LISTED_ON": 6}
    assert {e.end for e in eu.edges} == {"opensanctions-eu_fsf"}
    # The two addresses the organisations point to are not in the sample: reported, not dropped silently.
    assert sum("is not in the files" in w for w in r.warnings) == 2


def test_a_known_entity_field_by_field(eu: Context) -> None:
    nodes = {n.id: n for n in eu.nodes}
    org = nodes["os-NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert org.label == "Company" and org.props["name"] == "RAB „Inter Tobacco“"  # the caption, quotes kept
    assert (
        len(org.props["aliases"]) == 11
        and "Общество с ограниченной ответственностью “Интер Тобако”" in org.props["aliases"]
    )
    assert org.props["country"] == "BLR" and org.props["xrefs"] == ["opensanctions:NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert org.props["remarks"] == "Belarus (Minsk Free Economic Zone)"
    p = nodes["os-NK-2Ka3UvopqbpZmVDFjWd4LA"].props
    assert p["name"] == "Vitaly Yurievich KUZMENKO" and p["nationality"] == ["RUS"]
    assert p["birth_dates"] == ["1971-01-22"] and p["title"] == "General Director of JSC 163 Armor Repair Plant"
    [listing] = [e for e in eu.edges if e.start == "os-NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert listing.props["confidence"] == "medium" and "valid_from" not in listing.props
    assert listing.props["note"] == "first seen by OpenSanctions on 2024-02-26"
    [eu_list] = [n for n in eu.nodes if n.label == "SanctionList"]
    assert eu_list.props["name"] == "EU Financial Sanctions Files (FSF), via OpenSanctions"
    assert ftm.SOURCE.license.startswith("CC BY-NC 4.0")


def test_the_delta_file_adds_entities(eu: Context) -> None:
    aqi = next(n for n in eu.nodes if n.props["name"] == "AL-QAIDA IN IRAQ")
    assert aqi.label == "Company" and "ISIS" in aqi.props["aliases"] and aqi.props["weak_aliases"]
    assert {"IRQ", "SYR"} <= set(aqi.props["countries"])


def test_relationship_schemata(links: Context) -> None:
    edges = {e.props["id"]: e for e in links.edges}
    own = edges["os-ex-own-1"]
    assert (own.type, own.start, own.end) == ("OWNS", "os-ex-holding", "os-ex-sub")
    assert own.props["share"] == 60.0 and own.props["share_min"] == own.props["share_max"] == 60.0
    assert own.props["valid_from"] == "2019-03-01"
    band = edges["os-ex-own-2"].props  # "25-50%": a range, no exact share
    assert "share" not in band and (band["share_min"], band["share_max"]) == (25.0, 50.0)
    unknown = edges["os-ex-own-3"].props  # no percentage: all null
    assert not {"share", "share_min", "share_max"} & set(unknown)
    d = edges["os-ex-dir"]
    assert d.type == "DIRECTOR_OF" and d.props["role"] == "Chairman" and d.props["note"] == "startDate 2020"
    assert edges["os-ex-link"].type == "LINKED_TO" and edges["os-ex-link"].props["role"] == "agent"
    s = edges["os-ex-sanction"]
    assert (s.type, s.start, s.end) == ("LISTED_ON", "os-ex-holding", "opensanctions-example")
    assert s.props["valid_from"] == "2022-06-03" and s.props["valid_to"] == "2024-01-31"
    assert s.props["program"] == "EX-PROG" and s.props["entry"] == "EX.1" and s.props["note"] == "Example reason"
    lst = next(n for n in links.nodes if n.label == "SanctionList")
    assert lst.props["authority"] == "Example Authority"
    # The sanctioned target that has a Sanction record is not listed a second time from its flag.
    assert sum(e.type == "LISTED_ON" for e in links.edges) == 2  # the record, and Jane Example's flag
    holding = next(n for n in links.nodes if n.id == "os-ex-holding").props
    assert holding["lei"] == "5493000EXAMPLE000001" and "lei:5493000EXAMPLE000001" in holding["xrefs"]
    assert next(n for n in links.nodes if n.id == "os-ex-sub").props["name"] == "Example Chips <b>Co</b>"


def test_reported_skips(links: Context) -> None:
    assert links.report.skipped == [
        f"{FIXTURES / FOLDER / 'example.entities.ftm.json'}:7: "
        "Ownership ex-own-4: percentage 'a majority' is not a share we can read",
        f"{FIXTURES / FOLDER / 'example.entities.ftm.json'}:12: "
        "Ownership ex-own-5: asset ex-vessel not loaded as a person or organisation",
    ]
    assert "1 Vessel entities not loaded: the graph holds no Vessel" in links.report.warnings


def test_delta_mod_and_del(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    shutil.copytree(FIXTURES / FOLDER, folder)
    ops = [
        {"op": "MOD", "entity": {"id": "ex-sub", "schema": "Company", "caption": "Example Chips Co (renamed)",
                                 "properties": {"name": ["Example Chips Co (renamed)"]}, "datasets": ["example"]}},
        {"op": "DEL", "entity": {"id": "ex-link", "schema": "UnknownLink", "properties": {}}},
    ]  # fmt: skip
    (folder / "entities.delta.json").write_text("\n".join(json.dumps(o) for o in ops), encoding="utf-8")
    ctx = run(ftm, [tmp_path])
    assert next(n for n in ctx.nodes if n.id == "os-ex-sub").props["name"] == "Example Chips Co (renamed)"
    assert not [e for e in ctx.edges if e.type == "LINKED_TO"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (replace('"schema":"Person"', '"type":"Person"'), "not an FtM entity (keys ['caption', 'datasets', 'first_seen'"),
        (replace('{"id":"NK-2Ka3', '{"id":"NK-2Ka3",'), "not a JSON object"),
        (replace('"topics":["sanction"]', '"topics":"sanction"'), "FtM properties must be an object of lists"),
    ],
)  # fmt: skip
def test_bad_layout_names_file_and_line(shared: Path, tmp_path: Path, edit, message: str) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "eu_fsf.entities.ftm.sample.json", edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(ftm, [raw])
    assert re.search(r"eu_fsf\.entities\.ftm\.sample\.json:\d+: ", str(err.value))


def test_bad_layout_build_leaves_store_unchanged(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "entities.delta.sample.json", replace('"op":"ADD"', '"op":"UPSERT"'))
    assert_bad_build_leaves_store(monkeypatch, tmp_path, shared, ftm, raw, re.escape("delta op 'UPSERT'"))
