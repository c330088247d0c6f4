"""The GLEIF loader: on GLEIF's own RDF samples (shared), and on a golden-copy CSV fixture written
in the published column layout (LEI2, RR, reporting exceptions), plain and zipped."""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from graph.errors import LoaderError
from loaders import gleif
from loaders.base import Context
from tests.conftest import FIXTURES, SHARED_DATA, need
from tests.loader_checks import assert_bad_build_leaves_store, broken_copy, replace, run

FOLDER = "gleif-lei-level2"
CITIGROUP, CITICORP, CITIBANK = "6SHGI4ZSSLCXXQSBB395", "549300PSHWOM1D1JVL23", "E57ODZWZ7FF32TWEFA76"


@pytest.fixture(scope="module")
def shared() -> Path:
    need((SHARED_DATA / FOLDER).is_dir(), f"the shared source files are not at {SHARED_DATA / FOLDER}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def rdf(shared: Path) -> Context:
    return run(gleif, [shared])


@pytest.fixture(scope="module")
def golden() -> Context:
    return run(gleif, [FIXTURES])


def test_rdf_exact_counts(rdf: Context) -> None:
    r = rdf.report
    assert r.rows_read == {"L1Data.sample.ttl": 9, "L2Data.sample.ttl": 7, "ReportingExceptionData.sample.ttl": 3}
    assert r.skipped == []
    assert Counter(n.label for n in rdf.nodes) == {"Company": 9}
    assert Counter(e.type for e in rdf.edges) == {"SUBSIDIARY_OF": 7}  # the samples give no quantifier
    kinds = Counter(e.props["kind"] for e in rdf.edges)
    assert kinds == {
        "IS_DIRECTLY_CONSOLIDATED_BY": 3,
        "IS_ULTIMATELY_CONSOLIDATED_BY": 3,
        "IS_INTERNATIONAL_BRANCH_OF": 1,
    }
    assert Counter(n.props["entity_category"] for n in rdf.nodes) == {
        "GENERAL": 6,
        "BRANCH": 1,
        "FUND": 1,
        "SOLE_PROPRIETOR": 1,
    }


def test_rdf_known_record_field_by_field(rdf: Context) -> None:
    nodes = {n.id: n.props for n in rdf.nodes}
    c = nodes[f"lei-{CITIGROUP}"]
    assert c["name"] == "Citigroup Inc." and c["lei"] == CITIGROUP and c["xrefs"] == [f"lei:{CITIGROUP}"]
    assert c["aliases"] == ["Primerica Corporation", "The Travelers Inc.", "Travelers Group Inc."]
    assert c["jurisdiction"] == "US" and c["country"] == "USA" and c["status"] == "ACTIVE"
    assert c["registration_status"] == "ISSUED" and c["note"] == "Legal form: INCORPORATED"
    assert c["ultimate_parent_exception"] == "NON_CONSOLIDATING" and "direct_parent_exception" not in c
    g = nodes["lei-506700GE1G29325QX363"]  # GLEIF itself: no known person above it, direct and ultimate
    assert g["name"] == "Global Legal Entity Identifier Foundation" and g["country"] == "CHE"
    assert g["direct_parent_exception"] == g["ultimate_parent_exception"] == "NO_KNOWN_PERSON"
    assert g["addresses"] == ["St. Alban-Vorstadt 5, Basel, 4052, CH"]
    edges = {e.props["id"]: e for e in rdf.edges}
    d = edges[f"gleif-{CITICORP}-{CITIGROUP}-IS_DIRECTLY_CONSOLIDATED_BY"]
    assert (d.type, d.start, d.end) == ("SUBSIDIARY_OF", f"lei-{CITICORP}", f"lei-{CITIGROUP}")
    assert d.props["valid_from"] == "2017-10-02" and d.props["status"] == "ACTIVE"
    assert d.props["registration_status"] == "PUBLISHED" and d.props["sources"] == ["src-gleif-lei"]


def test_rdf_quirks(rdf: Context) -> None:
    # The sample names one exception "-D" (direct) but types it ultimate: the type is read, and said.
    assert [w for w in rdf.report.warnings if "is named as a direct exception" in w] == [
        f"{SHARED_DATA / FOLDER / 'ReportingExceptionData.sample.ttl'}:56: X-6SHGI4ZSSLCXXQSBB395-D is named as a "
        "direct exception but typed UltimateConsolidationReportingException; the type is read"
    ]
    names = {n.props["name"] for n in rdf.nodes}
    assert "Office Fédéral de la Statistique (OFS) Registre des entreprises et des établissements (REE)" in names
    mf = next(n.props for n in rdf.nodes if n.props["name"] == "MF Consulting")
    assert len(mf["addresses"]) == 2 and "København" in mf["addresses"][0]  # legal and headquarters differ


def test_golden_copy_csv(golden: Context) -> None:
    r = golden.report
    assert r.rows_read == {"lei2-golden-copy.csv": 4, "rr-golden-copy.csv": 4, "repex-golden-copy.csv": 2}
    assert r.skipped == [
        f"{FIXTURES / FOLDER / 'lei2-golden-copy.csv'}:5: LEI 'E57ODZWZ7FF32TWEFA77' fails its ISO 17442 check digits",
        f"{FIXTURES / FOLDER / 'rr-golden-copy.csv'}:5: relationship type 'IS_PARTNER_OF' is not one of "
        + ", ".join((*gleif.SUBSIDIARY, *gleif.FUND)),
    ]
    nodes = {n.id: n.props for n in golden.nodes}
    c = nodes[f"lei-{CITIGROUP}"]
    assert c["aliases"] == ["Travelers Group Inc.", "Primerica Corporation"] and c["jurisdiction"] == "US-DE"
    assert c["addresses"] == [
        "C/O The Corporation Trust Company, 1209 Orange Street, Wilmington, US-DE, 19801, US",
        "388 Greenwich Street, New York, US-NY, 10013, US",
    ]
    assert c["direct_parent_exception"] == c["ultimate_parent_exception"] == "NON_CONSOLIDATING"
    # A parent without a Level 1 record: a stub named by its LEI, and a warning.
    assert nodes["lei-5493001KJTIIGC8Y1R12"]["name"] == "LEI 5493001KJTIIGC8Y1R12"
    assert any("5493001KJTIIGC8Y1R12 has no Level 1 record" in w for w in r.warnings)
    edges = {e.props["id"]: e for e in golden.edges}
    sub = edges[f"gleif-{CITICORP}-{CITIGROUP}-IS_DIRECTLY_CONSOLIDATED_BY"].props
    assert sub["valid_from"] == "2017-10-02"  # the RELATIONSHIP_PERIOD, not the accounting period before it
    owns = edges[f"gleif-owns-{CITICORP}-{CITIGROUP}-IS_DIRECTLY_CONSOLIDATED_BY-0"]
    assert (owns.type, owns.start, owns.end) == ("OWNS", f"lei-{CITIGROUP}", f"lei-{CITICORP}")
    assert owns.props["share"] == owns.props["share_min"] == owns.props["share_max"] == 100.0
    ultimate = edges[f"gleif-owns-{CITIBANK}-5493001KJTIIGC8Y1R12-IS_ULTIMATELY_CONSOLIDATED_BY-0"].props
    assert ultimate["share"] == 60.0 and ultimate["direct"] is False
    inactive = edges[f"gleif-{CITIBANK}-{CITICORP}-IS_DIRECTLY_CONSOLIDATED_BY"].props
    assert inactive["status"] == "INACTIVE" and "without an end date" in inactive["note"]


def test_golden_copy_zip_reads_the_same(tmp_path: Path, golden: Context) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    for name in ("lei2-golden-copy.csv", "rr-golden-copy.csv", "repex-golden-copy.csv"):
        with zipfile.ZipFile(folder / f"{name}.zip", "w") as z:
            z.write(FIXTURES / FOLDER / name, f"20261203-0800-gleif-goldencopy-{name}")
    ctx = run(gleif, [tmp_path])
    assert [n.props for n in ctx.nodes] == [n.props for n in golden.nodes]
    assert len(ctx.edges) == len(golden.edges) == 5


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("rr-golden-copy.csv", replace('"Relationship.RelationshipType"', '"Relationship.Type"'),
         "missing column(s) Relationship.RelationshipType; expected the rr golden-copy layout"),
        ("lei2-golden-copy.csv", replace('"LEI","Entity.LegalName"', '"Code","Name"'),
         "is none of GLEIF's golden-copy layouts"),
    ],
)  # fmt: skip
def test_csv_bad_layout(tmp_path: Path, name: str, edit, message: str) -> None:
    raw = broken_copy(tmp_path, FIXTURES, FOLDER, name, edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(gleif, [raw])
    assert f"{name}:1: " in str(err.value)


def test_turtle_bad_layout(shared: Path, tmp_path: Path) -> None:
    raw = broken_copy(
        tmp_path, shared, FOLDER, "L2Data.sample.ttl", replace("gleif-L2:hasChild", "gleif-L2:hasChild ;;", 1)
    )
    with pytest.raises(LoaderError, match="not Turtle") as err:
        run(gleif, [raw])
    assert "L2Data.sample.ttl:" in str(err.value)
    raw = broken_copy(
        tmp_path / "b", shared, FOLDER, "L1Data.sample.ttl", replace("gleif-L1:LEI ", "gleif-L1:Code ", -1)
    )
    with pytest.raises(LoaderError, match="no GLEIF LEI, relationship or reporting-exception resource"):
        run(gleif, [raw])


def test_bad_layout_build_leaves_store_unchanged(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "bad"
    shutil.copytree(FIXTURES / FOLDER, raw / FOLDER)
    text = (raw / FOLDER / "rr-golden-copy.csv").read_text(encoding="utf-8")
    (raw / FOLDER / "rr-golden-copy.csv").write_text(
        text.replace("Relationship.EndNode.NodeID", "Parent", 1), encoding="utf-8"
    )
    assert_bad_build_leaves_store(monkeypatch, tmp_path, shared, gleif, raw, re.escape("missing column(s)"))
