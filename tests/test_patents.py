"""Patents: the grant XML and PatentsView loaders, portfolios by technology, licences that reach them,
and the stores leaving single patents out of what pictures and analyses read."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from graph import build as build_mod
from graph import settings as settings_mod
from graph.errors import LoaderError
from graph.model import NodeRecord
from graph.patents import grants, holdings, licence_links, portfolios
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from loaders import bri_gfdc, countries, cset_eto, curated, patentsview, uspto_grants
from loaders.base import Context
from loaders.patent_common import CpcTable
from tests.conftest import ROOT, SHARED_DATA, company, edge, need, source, write_records
from tests.loader_checks import broken_copy, replace, run
from tools import patentsview_fixture

FOLDER = "patents-patentsview-uspto"
WEEKLY = "ipg130416.sample.xml"


@pytest.fixture(scope="module")
def shared() -> Path:
    need((SHARED_DATA / FOLDER).is_dir(), f"the shared source files are not at {SHARED_DATA / FOLDER}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def xml(shared: Path) -> Context:
    return run(uspto_grants, [shared])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, patentsview_fixture.Plan]:
    raw = tmp_path_factory.mktemp("pv-raw")
    plan = patentsview_fixture.write(raw / FOLDER, patents=3000, huawei=600, others=40)
    return raw, plan


# -- the grant XML -------------------------------------------------------------------------------


def test_grant_xml_exact_counts(xml: Context) -> None:
    r = xml.report
    assert r.rows_read == {WEEKLY: 25} and r.skipped == []
    assert r.warnings == [f"{WEEKLY}: 2 documents are not grants (sequence listings); not read"]
    assert Counter(n.label for n in xml.nodes) == {"Patent": 25, "Company": 23}
    assert Counter(e.type for e in xml.edges) == {"HOLDS": 25, "COVERS": 5}
    assert Counter(n.props["kind"] for n in xml.nodes if n.label == "Patent") == {"utility": 23, "design": 2}
    covers = sorted((e.start, e.end, e.props["cpc"], e.props["basis"]) for e in xml.edges if e.type == "COVERS")
    assert covers == [
        ("us-patent-8418612", "tech-photolithography", "G03F", "IPC"),  # FUJIFILM, G03F7/20
        ("us-patent-8420456", "tech-semiconductor-devices", "H01L", "IPC"),
        ("us-patent-8420484", "tech-semiconductor-devices", "H01L", "IPC"),
        ("us-patent-8420530", "tech-semiconductor-devices", "H01L", "IPC"),
        ("us-patent-8421353", "tech-semiconductor-devices", "H01L", "IPC"),
    ]


def test_a_grant_field_by_field(xml: Context) -> None:
    p = next(n.props for n in xml.nodes if n.id == "us-patent-8418612")
    assert p == {
        "id": "us-patent-8418612",
        "name": "US8418612: Printing plate making apparatus and printing plate making method",
        "number": "US8418612",
        "title": "Printing plate making apparatus and printing plate making method",
        "kind": "utility",
        "granted": "2013-04-16",
        "filed": "2009-03-03",
        "cpc": None,
        "ipc": ["B41C1/05", "G03F7/20"],
        "assignee": "FUJIFILM Corporation",
        "xrefs": ["uspto:8418612"],
        "sources": ["src-uspto-grant-xml"],
    }
    holder = next(e.start for e in xml.edges if e.type == "HOLDS" and e.end == p["id"])
    assert next(n.props for n in xml.nodes if n.id == holder) | {"id": "-"} == {
        "id": "-",
        "name": "FUJIFILM Corporation",
        "country": "JPN",
        "countries": ["JPN"],
        "sources": ["src-uspto-grant-xml"],
    }
    design = next(n.props for n in xml.nodes if n.id == "us-patent-D680087")  # doc-number D0680087
    assert (design["number"], design["assignee"], design["kind"]) == ("USD680087", "Sharp Kabushiki Kaisha", "design")
    two = [e.props["sequence"] for e in xml.edges if e.type == "HOLDS" and e.end == "us-patent-8421615"]
    assert two == [0, 1]  # Samsung Electronics and Korea University


@pytest.mark.parametrize(
    ("edit", "message", "line"),
    [
        (replace("<doc-number>08418361</doc-number>", "<doc-number></doc-number>"),
         "a grant without a readable publication-reference/document-id/doc-number", r"\d+"),
        (replace("</us-bibliographic-data-grant>", "</us-bibliographic-data>"), "not well-formed XML", r"\d+"),
        (replace('<?xml version="1.0"', "<?xmlx version", -1), "no <?xml ...?> declaration", "1"),
    ],
)  # fmt: skip
def test_grant_xml_bad_layout(shared: Path, tmp_path: Path, edit, message: str, line: str) -> None:
    raw = broken_copy(tmp_path, shared, FOLDER, WEEKLY, edit)
    with pytest.raises(LoaderError, match=re.escape(message)) as err:
        run(uspto_grants, [raw])
    assert re.search(rf"{re.escape(WEEKLY)}:{line}: ", str(err.value))


def test_grant_xml_error_line_is_the_grant(shared: Path, tmp_path: Path) -> None:
    text = (shared / FOLDER / WEEKLY).read_text(encoding="utf-8")
    start = text.index("<doc-number>08418361</doc-number>")
    declaration = text.rindex("<?xml", 0, start)
    raw = broken_copy(tmp_path, shared, FOLDER, WEEKLY, replace("<doc-number>08418361</doc-number>", "<doc-number/>"))
    with pytest.raises(LoaderError) as err:
        run(uspto_grants, [raw])
    assert f"{WEEKLY}:{1 + text.count(chr(10), 0, declaration)}: " in str(err.value)


# -- PatentsView ---------------------------------------------------------------------------------


def test_patentsview_columns_are_patentsviews_own(shared: Path) -> None:
    config = json.loads((shared / FOLDER / "table_config_bulk_exp_granted.json").read_text(encoding="utf-8"))
    for table, columns in patentsview.COLUMNS.items():
        assert tuple(config[table]["fields"]) == columns, table


def test_patentsview_exact_counts(generated: tuple[Path, patentsview_fixture.Plan]) -> None:
    raw, plan = generated
    ctx = run(patentsview, [raw])
    r = ctx.report
    assert r.skipped == [] and r.warnings == []
    assert r.rows_read["g_patent.tsv"] == plan.patents == 3000
    assert r.rows_read["g_cpc_current.tsv"] == sum(plan.by_group.values())
    labels = Counter(n.label for n in ctx.nodes)
    assert labels == {"Patent": 3000, "Company": plan.assignees}
    holds = Counter(e.start for e in ctx.edges if e.type == "HOLDS")
    assert {k.removeprefix("pv-assignee-"): v for k, v in holds.items() if "hw" in k} == plan.huawei
    covers = Counter(e.end for e in ctx.edges if e.type == "COVERS")
    wireless = {g for g in plan.by_group if g.startswith("H04W")}
    assert covers["tech-wifi"] == plan.by_group["H04W84/12"]
    assert covers["tech-photolithography"] == plan.by_group["G03F7/2004"]
    assert plan.patents > covers["tech-wireless-networks"] >= max(plan.by_group[g] for g in wireless)
    first = next(n.props for n in ctx.nodes if n.id == "us-patent-7000000")
    assert first["number"] == "US7000000" and first["kind"] == "utility" and first["cpc"]
    assert first["filed"] < first["granted"]
    huawei = next(n.props for n in ctx.nodes if n.id.endswith("hw01"))
    assert (huawei["name"], huawei["country"]) == ("HUAWEI TECHNOLOGIES CO., LTD.", "CHN")


def test_patentsview_bad_layout_and_absent(generated: tuple[Path, patentsview_fixture.Plan], tmp_path: Path) -> None:
    raw, _ = generated
    bad = tmp_path / "raw"
    shutil.copytree(raw, bad)
    table = bad / FOLDER / "g_assignee_disambiguated.tsv"
    table.write_text(table.read_text(encoding="utf-8").replace('"assignee_id"', '"assignee"', 1), encoding="utf-8")
    with pytest.raises(LoaderError, match=r"g_assignee_disambiguated\.tsv:1: .*missing column\(s\) assignee_id"):
        run(patentsview, [bad])
    (bad / FOLDER / "g_patent.tsv").unlink()
    _, _, reports = build_mod.run_loaders([bad], [patentsview])
    assert "no g_patent.tsv" in reports[0].absent and "python -m graph fetch src-patentsview" in reports[0].absent


def test_cpc_prefixes_stop_at_class_boundaries() -> None:
    table = CpcTable({"H04N19": [("video", "s")], "H10": [("semis", "s")], "H04W4/70": [("iot", "s")]})
    assert [t for t, _, _ in table.technologies(["H04N19/70", "H10B41/35", "H04W4/70"])] == ["video", "semis", "iot"]
    assert table.technologies(["H04N190/1", "H04W4/7"]) == []


# -- the build: resolution, portfolios, licences --------------------------------------------------


@pytest.fixture(scope="module")
def built(
    generated: tuple[Path, patentsview_fixture.Plan], shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EmbeddedStore, patentsview_fixture.Plan]:
    """The core loaders with both patent sources, built into an embedded store as `graph build` does."""
    raw, plan = generated
    path = tmp_path_factory.mktemp("pv-store") / "g.lbdb"
    loaders = (curated, countries, bri_gfdc, cset_eto, patentsview, uspto_grants)
    real = build_mod.run_loaders
    build_mod.run_loaders = lambda dirs, progress=None, bulk=None: real(dirs, loaders, bulk=bulk)  # type: ignore[assignment]
    try:
        store = EmbeddedStore(path)
        build_mod.build(store, settings_mod.load(store_path=path, raw_dirs=(raw, ROOT / "data" / "raw", shared)))
    finally:
        build_mod.run_loaders = real  # type: ignore[assignment]
    yield store, plan
    store.close()


def test_assignees_resolve_to_our_companies(built: tuple[EmbeddedStore, patentsview_fixture.Plan]) -> None:
    store, plan = built
    rows = store.read("MATCH (h)-[:HOLDS]->(p:Patent) RETURN h.id, count(p) ORDER BY h.id")
    held = {str(h): int(n) for h, n in rows}
    assert held["huawei"] == plan.huawei[patentsview_fixture.HUAWEI[0][0]]  # HUAWEI TECHNOLOGIES CO., LTD.
    assert held["huawei-device"] == plan.huawei[patentsview_fixture.HUAWEI[1][0]]
    assert held["samsung"] == 2  # "Samsung Electronics Co., Ltd." on two real grants
    assert held["sharp"] == 1  # "Sharp Kabushiki Kaisha" is Sharp Corporation


def test_portfolios_count_by_technology_and_year(built: tuple[EmbeddedStore, patentsview_fixture.Plan]) -> None:
    store, plan = built
    g = store.projection()
    assert not [n for n, d in g.nodes(data=True) if d["label"] == "Patent"]  # single patents are detail
    mine = {h.technology: h for h in holdings(g, "huawei", store) if h.derived}
    total = plan.huawei[patentsview_fixture.HUAWEI[0][0]]
    assert mine[None].count == total and sum(c for _, c in mine[None].by_year) == total
    assert mine[None].name == f"Huawei: {total:,} US patents"
    wireless = mine["tech-wireless-networks"]
    page = grants(store, "huawei", "tech-wireless-networks", offset=0, limit=10)
    assert page.total == wireless.count and len(page.rows) == 10
    dates = [r["granted"] for r in page.rows]
    assert dates == sorted(dates, reverse=True)
    last = grants(store, "huawei", "tech-wireless-networks", offset=wireless.count - 3, limit=10)
    assert len(last.rows) == 3
    assert grants(store, "huawei").total == total
    # A holder no other source names, with fewer than 100 patents, has its whole portfolio only.
    small = [h for h, d in g.nodes(data=True) if str(d.get("name", "")).startswith("Example Devices 0001")]
    assert [h.technology for h in holdings(g, small[0], store)] == [None]


def test_licences_reach_the_licensors_portfolios(built: tuple[EmbeddedStore, patentsview_fixture.Plan]) -> None:
    store, _ = built
    rows = store.read(
        "MATCH (c:Company)-[l:LICENSED_UNDER]->(p:Portfolio) RETURN c.id, p.id, l.year, l.licence ORDER BY c.id, p.id"
    )
    reached = {(c, p) for c, p, _, _ in rows}
    # A 5G licence: Huawei's stated 4G/5G SEP portfolio, and its counted patents in the class 5G falls in.
    assert {("oppo", "huawei-cellular-sep-portfolio"), ("oppo", "portfolio-huawei--tech-wireless-networks")} <= reached
    # A Wi-Fi licence reaches the Wi-Fi portfolio, not the whole wireless class.
    assert ("amazon", "portfolio-huawei--tech-wifi") in reached
    assert ("amazon", "portfolio-huawei--tech-wireless-networks") not in reached
    # The one query of the brief: Belt and Road licensees of Huawei's 5G patents.
    bri = store.read(
        "MATCH (:Company {id: 'huawei'})-[:HOLDS]->(p:Portfolio)-[:COVERS]->(t:Technology), "
        "(c:Company)-[:LICENSED_UNDER]->(p), (c)-[:HEADQUARTERED_IN]->(:Country)-[:MEMBER_OF]->(:Initiative {id: 'bri'}) "
        "WHERE t.id IN ['tech-5g', 'tech-wireless-networks'] RETURN DISTINCT c.id"
    )
    assert bri == [["rolling-wireless"]]  # Luxembourg; OPPO, Xiaomi and vivo are Chinese


def test_licence_links_are_dated_and_cited_as_their_licence() -> None:
    nodes = [
        NodeRecord("Portfolio", {"id": "pf", "name": "PF", "derived": True, "sources": ["s"]}),
        NodeRecord("Technology", {"id": "t5", "name": "5G", "sources": ["s"]}),
        NodeRecord("Technology", {"id": "tw", "name": "Wireless", "sources": ["s"]}),
    ]
    from graph.model import EdgeRecord

    edges = [
        EdgeRecord("HOLDS", "a", "pf", {"id": "h", "sources": ["s"]}),
        EdgeRecord("COVERS", "pf", "tw", {"id": "c", "sources": ["s"]}),
        EdgeRecord("TYPE_OF", "t5", "tw", {"id": "y", "sources": ["s"]}),
        EdgeRecord("LICENSES_TO", "a", "b", {"id": "l", "year": 2022, "technologies": ["t5"], "sources": ["press"]}),
        EdgeRecord("LICENSES_TO", "b", "a", {"id": "m", "year": 2022, "sources": ["press"]}),  # names none
    ]
    [link] = licence_links(nodes, edges)
    assert (link.start, link.end, link.props["year"], link.props["licence"], link.props["sources"]) == (
        "b",
        "pf",
        2022,
        "l",
        ["press"],
    )
    again = portfolios(list(nodes), list(edges))
    assert again[2].licence_links == 1


# -- both stores ---------------------------------------------------------------------------------


def test_stores_leave_single_patents_out_of_what_pictures_read(store: GraphStore) -> None:
    patent = {"label": "Patent", "sources": ["src-test"]}
    nodes = [
        source(),
        company("h", "Holder Co"),
        company("l", "Licensee Co"),
        *[NodeRecord("Patent", {**patent, "id": f"p{i}", "name": f"US{i}", "granted": f"2020-01-0{i}"}) for i in (1, 2, 3)],
        NodeRecord("Portfolio", {"id": "pf", "name": "Holder Co: 3 US patents", "count": 3, "derived": True,
                                 "sources": ["src-test"]}),
    ]  # fmt: skip
    for n in nodes:
        n.props.pop("label", None)
    edges = [
        *[edge("HOLDS", "h", f"p{i}", id=f"hp{i}") for i in (1, 2, 3)],
        edge("HOLDS", "h", "pf", id="hpf"),
        edge("LICENSED_UNDER", "l", "pf", id="lu", year=2021),
    ]
    write_records(store, nodes, edges)
    g = store.projection()
    assert set(g.nodes) == {"src-test", "h", "l", "pf"}
    assert sorted(k for _, _, k in g.edges(keys=True)) == ["hpf", "lu"]
    assert {i for i, *_ in store.entities()} == {"h", "l", "pf"}
    sub = store.neighbourhood("h", hops=1)
    assert set(sub.nodes) == {"h", "pf"}
    topo = store.topology()
    assert set(topo.nodes.column("id").to_pylist()) == {"src-test", "h", "l", "pf"}
    page = grants(store, "h", offset=1, limit=1)
    assert (page.total, [r["number"] for r in page.rows]) == (3, [None])
    assert [r["granted"].isoformat() for r in grants(store, "h").rows] == ["2020-01-03", "2020-01-02", "2020-01-01"]
