"""The BODS v0.4 loader on Open Ownership's official example packages (shared)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from graph.errors import LoaderError
from graph.model import make_id
from loaders import bods
from loaders.base import Context
from tests.conftest import SHARED_DATA, need
from tests.loader_checks import assert_bad_build_leaves_store, broken_copy, replace, run

FOLDER = "openownership-bods"


@pytest.fixture(scope="module")
def shared() -> Path:
    need((SHARED_DATA / FOLDER).is_dir(), f"the shared source files are not at {SHARED_DATA / FOLDER}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def ctx(shared: Path) -> Context:
    return run(bods, [shared])


def _id(publisher: str, record: str) -> str:
    return make_id("bods", publisher, record)


def test_exact_counts(ctx: Context) -> None:
    assert ctx.report.rows_read == {
        "bods-package-entity-owning-entity.json": 3,
        "bods-package-fi-soe.json": 9,
        "bods-package.json": 3,
    }
    assert ctx.report.skipped == [] and ctx.report.warnings == []
    assert Counter(n.label for n in ctx.nodes) == {"Company": 6, "Person": 1, "Country": 1}
    assert Counter(e.type for e in ctx.edges) == {"OWNS": 6, "CONTROLS": 1}


def test_share_band_with_exclusive_maximum(ctx: Context) -> None:
    jenex, mvj = _id("JENEX LIMITED", "12b7dd0770ce"), _id("JENEX LIMITED", "e83cce729ada")
    nodes = {n.id: n.props for n in ctx.nodes}
    assert nodes[jenex]["name"] == "JENEX LIMITED" and nodes[jenex]["xrefs"] == ["gb-coh:03209885"]
    assert nodes[jenex]["founded"] == "1996-06-10" and nodes[jenex]["entity_category"] == "registeredEntity"
    [owns] = [e for e in ctx.edges if e.end == jenex]
    assert (owns.type, owns.start) == ("OWNS", mvj)
    assert owns.props["share_min"] == 75.0 and owns.props["share_max"] == 100.0
    assert owns.props["share_max_exclusive"] is True and "share" not in owns.props and owns.props["direct"] is True


def test_person_field_by_field(ctx: Context) -> None:
    person = next(n for n in ctx.nodes if n.label == "Person").props
    assert person["name"] == "Jennifer Hewitson-Smith" and person["aliases"] == ["Jenny Hewitson-Smith"]
    assert person["nationality"] == ["GBR"] and person["birth_dates"] == ["1978-07"]
    assert person["addresses"] == ["76 York Road Bournemouth, BH81 3LO, United Kingdom"]
    [owns] = [e for e in ctx.edges if e.start == person["id"]]
    assert owns.props["share"] == owns.props["share_min"] == owns.props["share_max"] == 100.0
    assert owns.props["valid_from"] == "2016-04-06" and owns.props["note"] == "beneficial ownership or control"


def test_state_owned_enterprise(ctx: Context) -> None:
    pub = "X Register"
    gasgrid, ministry = _id(pub, "19f1c5afe9d7"), _id(pub, "7ff95ba3682c")
    # The state is the Country FIN; its name becomes an alias of Finland when the build merges.
    fin = next(n for n in ctx.nodes if n.label == "Country").props
    assert fin["id"] == "FIN" and fin["name"] == "Suomen tasavalta" and fin["aliases"] == ["Republic of Finland"]
    [control] = [e for e in ctx.edges if e.type == "CONTROLS"]
    assert (control.start, control.end, control.props["kind"]) == ("FIN", ministry, "otherInfluenceOrControl")
    into = {(e.start, e.props.get("share")): e.props for e in ctx.edges if e.end == gasgrid}
    assert set(into) == {(_id(pub, "0199c515a699"), 76.5), (ministry, 23.5), ("FIN", 100.0)}
    indirect = into[("FIN", 100.0)]
    assert indirect["direct"] is False and indirect["note"] == "summarises 6 component records"
    assert next(n for n in ctx.nodes if n.id == ministry).props["entity_category"] == "stateBody"


def test_share_reading() -> None:
    assert bods.share({"minimum": 25, "maximum": 50, "exclusiveMinimum": 25}) == {"share_min": 25.0, "share_max": 50.0}
    assert bods.share({"exclusiveMinimum": 50}) == {"share_min": 50.0, "share_max": 100.0, "share_min_exclusive": True}
    assert bods.share({"exact": 120}) is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (replace('"recordType": "entity"', '"statementType": "entityStatement"'), "statementType 'entityStatement' is the BODS 0.2/0.3 layout"),
        (replace('"recordType": "entity"', '"recordType": "company"'), "recordType 'company'; expected entity, person or relationship"),
        (replace("[", "{", 1), "not UTF-8 JSON"),
    ],
)  # fmt: skip
def test_bad_layout(shared: Path, tmp_path: Path, edit, message: str) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "bods-package.json", edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(bods, [raw])
    assert re.search(r"bods-package\.json:\d+: ", str(err.value))


def test_bad_row_is_a_reported_skip(shared: Path, tmp_path: Path) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "bods-package.json", replace('"exact": 100', '"exact": 140'))
    ctx = run(bods, [raw])
    assert [s for s in ctx.report.skipped if "outside 0 to 100" in s]
    assert Counter(e.type for e in ctx.edges) == {"OWNS": 5, "CONTROLS": 1}
    json.loads((raw / FOLDER / "bods-package.json").read_text(encoding="utf-8"))


def test_bad_layout_build_leaves_store_unchanged(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, "bods-package.json", replace('"recordId"', '"record"', -1))
    assert_bad_build_leaves_store(monkeypatch, tmp_path, shared, bods, raw, re.escape("statement lacks recordId"))
