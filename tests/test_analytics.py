"""Analytics over projections of both stores: the OFAC 50% rule, the BIS affiliates rule,
and influence paths, all as of a date."""

from __future__ import annotations

import datetime as dt
import json
import random
from itertools import islice
from pathlib import Path

import networkx as nx
import pytest

from graph.analytics.exposure import rule_in_force, sanction_exposure
from graph.analytics.ownership import ownership_rule
from graph.analytics.paths import influence_paths
from graph.errors import NodeNotFound, NoPath
from graph.model import NodeRecord
from graph.store.base import GraphStore
from tests.conftest import company, edge, source, write_records
from tests.test_import_cli import run, target


def owns(*stakes: tuple[str, str, float | None]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for i, (a, b, share) in enumerate(stakes):
        g.add_edge(a, b, key=f"e{i}", type="OWNS", share=share)
    return g


# The worked examples of OFAC's guidance of 13 August 2014 and its FAQs, paraphrased: FAQ 401's
# examples 1-3 (https://ofac.treasury.gov/faqs/401), FAQ 398's aggregation of X's and Y's 25%, and
# the FAQs' case of 25% stakes in two entities that own C between them. ``None`` means "absent from
# the results": no blocked owner at all.
OFAC_EXAMPLES = [
    ("X owns 50% of A: A is blocked", [("X", "A", 50.0)], {"A": True}),
    (
        "X owns 50% of A, A owns 50% of B: A and B are blocked",
        [("X", "A", 50.0), ("A", "B", 50.0)],
        {"A": True, "B": True},
    ),
    (
        "X owns 50% of A and 10% of B, A owns 40% of B: B is blocked, 50% = 40% via A + 10% via X",
        [("X", "A", 50.0), ("X", "B", 10.0), ("A", "B", 40.0)],
        {"A": True, "B": True},
    ),
    ("X and Y own 25% of A each: A is blocked in aggregate", [("X", "A", 25.0), ("Y", "A", 25.0)], {"A": True}),
    (
        "X and Y own 25% of A each, A owns 50% of B: A and B are blocked",
        [("X", "A", 25.0), ("Y", "A", 25.0), ("A", "B", 50.0)],
        {"A": True, "B": True},
    ),
    (
        "FAQ 401 example 2: X owns 50% of A and of B, A and B own 25% of C each: C is blocked",
        [("X", "A", 50.0), ("X", "B", 50.0), ("A", "C", 25.0), ("B", "C", 25.0)],
        {"A": True, "B": True, "C": True},
    ),
    (
        "X owns 25% of A and of B, A and B own 50% of C each: X does not own C indirectly",
        [("X", "A", 25.0), ("X", "B", 25.0), ("A", "C", 50.0), ("B", "C", 50.0)],
        {"A": False, "B": False, "C": None},
    ),
    ("X owns 40% of A: A is not blocked", [("X", "A", 40.0)], {"A": False}),
    (
        "X owns 40% of A, A owns 60% of B: indirect stakes through an unblocked A do not count",
        [("X", "A", 40.0), ("A", "B", 60.0)],
        {"A": False},
    ),
]


@pytest.mark.parametrize(("text", "stakes", "expected"), OFAC_EXAMPLES, ids=[e[0][:40] for e in OFAC_EXAMPLES])
def test_ofac_guidance_examples(text: str, stakes: list, expected: dict) -> None:
    results = ownership_rule(owns(*stakes), {"X", "Y"})
    for entity, blocked in expected.items():
        if blocked is None:
            assert entity not in results, (text, results[entity])
        else:
            assert results[entity].blocked is blocked, (text, results[entity])
    assert "B" not in results or results["B"].blocked is expected.get("B", False)


def test_aggregate_is_explained_with_contributions_and_paths() -> None:
    r = ownership_rule(owns(("X", "A", 50.0), ("X", "B", 10.0), ("A", "B", 40.0)), {"X"})["B"]
    assert r.lower == r.upper == 50.0
    assert sorted((c.owner, c.share) for c in r.contributions) == [("A", 40.0), ("X", 10.0)]
    assert r.explain() in ("50% = 10% via X + 40% via A", "50% = 40% via A + 10% via X")
    assert next(c for c in r.contributions if c.owner == "A").path == ["X", "A", "B"]


def reference_blocked(stakes: list[tuple[str, str, float]], seeds: set[str]) -> set[str]:
    """The rule read literally: repeat until nothing changes, summing blocked owners' stakes per entity."""
    blocked = set(seeds)
    while True:
        total: dict[str, float] = {}
        for a, b, share in stakes:
            if a in blocked and a != b:
                total[b] = total.get(b, 0.0) + share
        grown = blocked | {b for b, t in total.items() if t >= 50.0 - 1e-9}
        if grown == blocked:
            return blocked
        blocked = grown


@pytest.mark.parametrize("seed", range(30))
def test_vectorised_rule_agrees_with_the_literal_reading(seed: int) -> None:
    rnd = random.Random(seed)
    people = [f"n{i}" for i in range(40)]
    stakes = [
        (rnd.choice(people), rnd.choice(people), rnd.choice([10.0, 20.0, 25.0, 30.0, 50.0, 60.0]))
        for _ in range(rnd.randint(20, 120))
    ]
    seeds = set(rnd.sample(people, 3))
    results = ownership_rule(owns(*stakes), seeds)
    assert {e for e, r in results.items() if r.blocked} == reference_blocked(stakes, seeds)


def banded(*stakes: tuple[str, str, float, float, bool]) -> nx.MultiDiGraph:
    """OWNS edges known only as bands (owner, owned, share_min, share_max, share_max_exclusive)."""
    g = nx.MultiDiGraph()
    for i, (a, b, lo, hi, excl) in enumerate(stakes):
        g.add_node(a, label="Company", name=a)
        g.add_node(b, label="Company", name=b)
        g.add_edge(a, b, key=f"b{i}", type="OWNS", share_min=lo, share_max=hi, share_max_exclusive=excl)
    return g


def test_share_bands_give_bounds_and_their_exclusive_ends_count() -> None:
    """A 25–50% PSC band and a 10% stake of another blocked owner: blocked at the upper bound only."""
    g = banded(("X", "T", 25.0, 50.0, False), ("X", "U", 25.0, 50.0, True), ("X", "V", 50.0, 75.0, False))
    g.add_edge("Y", "T", key="exact", type="OWNS", share=10.0)
    g.nodes["Y"].update(label="Company", name="Y")
    r = ownership_rule(g, {"X", "Y"})
    assert (r["T"].blocked, r["T"].lower, r["T"].upper) == (None, 35.0, 60.0)
    assert r["T"].explain() in ("35% to 60% = 25–50% via X + 10% via Y", "35% to 60% = 10% via Y + 25–50% via X")
    assert r["U"].blocked is False and r["U"].upper < 50  # "less than 50%" never reaches "50% or more"
    assert r["V"].blocked is True and r["V"].lower == 50.0


@pytest.mark.parametrize("seed", range(20))
def test_bounds_from_bands_agree_with_the_literal_reading_at_each_end(seed: int) -> None:
    """Lower and upper bounds from random bands: the literal rule on the bands' low ends, and on their high ends."""
    rnd = random.Random(seed)
    people = [f"n{i}" for i in range(30)]
    bands = []
    for _ in range(rnd.randint(15, 80)):
        lo = rnd.choice([0.0, 10.0, 25.0, 50.0, 75.0])
        bands.append((rnd.choice(people), rnd.choice(people), lo, min(100.0, lo + rnd.choice([0.0, 25.0, 50.0]))))
    seeds = set(rnd.sample(people, 3))
    results = ownership_rule(banded(*[(a, b, lo, hi, False) for a, b, lo, hi in bands]), seeds)
    at_low = reference_blocked([(a, b, lo) for a, b, lo, _ in bands], seeds)
    at_high = reference_blocked([(a, b, hi) for a, b, _, hi in bands], seeds)
    assert {e for e, r in results.items() if r.blocked is True} == at_low
    assert {e for e, r in results.items() if r.blocked is not False} == at_high


def test_cycles_terminate() -> None:
    r = ownership_rule(owns(("X", "A", 50.0), ("A", "B", 60.0), ("B", "A", 30.0)), {"X"})
    assert r["A"].blocked and r["B"].blocked
    r = ownership_rule(owns(("A", "B", 60.0), ("B", "A", 60.0), ("X", "C", 10.0)), {"X"})
    assert "A" not in r and r["C"].blocked is False


def test_unknown_shares_give_bounds() -> None:
    r = ownership_rule(owns(("X", "A", 30.0), ("X", "A2", None), ("Y", "A", None)), {"X", "Y"})
    assert r["A"].blocked is None and r["A"].lower == 30.0 and r["A"].upper == 100.0
    assert r["A"].unknown_edges == ["e2"]
    assert r["A"].explain() == "30% to 100% = 30% via X + ? via Y"
    assert r["A2"].blocked is None


def test_affiliates_rule_dates_come_from_data() -> None:
    rule = {
        "rule": "bis_affiliates_50",
        "effective": dt.date(2025, 9, 29),
        "suspended_from": dt.date(2025, 11, 10),
        "suspended_to": dt.date(2026, 11, 9),
    }
    assert not rule_in_force(rule, dt.date(2025, 9, 1))
    assert rule_in_force(rule, dt.date(2025, 10, 15))
    assert not rule_in_force(rule, dt.date(2026, 1, 1))
    assert rule_in_force(rule, dt.date(2026, 11, 10))


def ownership_graph(store: GraphStore) -> None:
    nodes = [
        source(),
        company("listed-co", "Listed Co"),
        company("sub-a", "Sub A"),
        company("sub-b", "Sub B"),
        company("el-co", "EL Co"),
        company("el-sub", "EL Sub"),
        NodeRecord("SanctionList", {"id": "us-ofac-sdn", "name": "SDN", "sources": ["src-test"]}),
        NodeRecord("SanctionList", {"id": "us-bis-entity-list", "name": "Entity List", "sources": ["src-test"]}),
        NodeRecord(
            "ExportControl",
            {
                "id": "affiliates",
                "name": "Affiliates rule",
                "rule": "bis_affiliates_50",
                "threshold": 50.0,
                "effective": "2025-09-29",
                "suspended_from": "2025-11-10",
                "suspended_to": "2026-11-09",
                "sources": ["src-test"],
            },
        ),
    ]
    edges = [
        edge("LISTED_ON", "listed-co", "us-ofac-sdn", valid_from="2022-03-01"),
        edge("OWNS", "listed-co", "sub-a", share=60.0),
        edge("OWNS", "sub-a", "sub-b", share=30.0),
        edge("OWNS", "listed-co", "sub-b", share=25.0, valid_from="2023-01-01"),
        edge("LISTED_ON", "el-co", "us-bis-entity-list", valid_from="2020-01-01"),
        edge("OWNS", "el-co", "el-sub", share=51.0),
    ]
    write_records(store, nodes, edges)


def exposure_on(store: GraphStore, day: dt.date) -> dict[str, dict]:
    rules = [r[0] for r in store.query("MATCH (c:ExportControl) WHERE c.rule IS NOT NULL RETURN c").rows]
    return {e.id: e.as_dict() for e in sanction_exposure(store.projection(as_of=day), day, rules)}


def test_each_jurisdictions_test_on_both_stores(store: GraphStore) -> None:
    """OFAC's "50% or more" against the EU's and UK's "more than 50%, or control", each seeded by its lists."""
    tests = [
        NodeRecord(
            "ExportControl",
            {
                "id": f"{j}-test",
                "name": f"{j.upper()} test",
                "jurisdiction": j.upper(),
                "rule": "owned_or_controlled",
                "threshold": 50.0,
                "strict": True,
                "control_counts": True,
                "seed_lists": seeds,
                "effective": "2021-01-01",
                "sources": ["src-test"],
            },
        )
        for j, seeds in (("eu", ["eu-list", "un-list"]), ("uk", ["un-list"]))
    ]
    nodes = [source(), *tests, *(company(c, c.upper()) for c in ("x", "y", "a", "b", "c", "d", "e"))]
    nodes += [
        NodeRecord("SanctionList", {"id": i, "name": i, "sources": ["src-test"]})
        for i in ("us-ofac-sdn", "un-list", "eu-list")
    ]
    edges = [
        edge("LISTED_ON", "x", "un-list", valid_from="2022-01-01"),
        edge("LISTED_ON", "x", "us-ofac-sdn", valid_from="2022-01-01"),
        edge("LISTED_ON", "y", "eu-list", valid_from="2022-01-01"),
        edge("OWNS", "x", "a", share=50.0),  # OFAC: blocked; EU and UK: 50% is not more than 50%
        edge("CONTROLS", "x", "b", kind="appointmentOfBoard"),  # control: EU and UK cover, OFAC does not
        edge("OWNS", "b", "c", share=60.0),  # owned by a covered entity: covered too
        edge("OWNS", "y", "d", share_min=40.0, share_max=60.0),  # a band across the line: undecided (EU only)
        edge("OWNS", "y", "e", share=51.0, valid_from="2024-01-01"),
    ]
    write_records(store, nodes, edges)
    day = exposure_on(store, dt.date(2023, 6, 1))

    def status(entity: str, test: str) -> str:
        return day[entity]["components"]["jurisdictions"][test]["status"] if entity in day else "absent"

    assert day["a"]["components"]["ofac_50"]["blocked"] is True
    assert (status("a", "eu-test"), status("a", "uk-test")) == ("not covered", "not covered")
    assert (status("b", "eu-test"), status("b", "uk-test")) == ("covered", "covered")
    assert day["b"]["components"]["jurisdictions"]["uk-test"]["control"][0]["kind"] == "appointmentOfBoard"
    assert not day["b"]["components"]["ofac_50"]["blocked"]
    assert (status("c", "eu-test"), status("c", "uk-test")) == ("covered", "covered")
    d = day["d"]["components"]["jurisdictions"]["eu-test"]
    assert (d["status"], d["lower"], d["upper"]) == ("undecided", 40.0, 60.0)
    assert status("d", "uk-test") == "not covered"  # the EU list does not seed the UK's test
    assert status("e", "eu-test") == "absent"  # the stake starts in 2024
    assert status("e", "eu-test") != "covered"
    later = exposure_on(store, dt.date(2024, 6, 1))
    assert later["e"]["components"]["jurisdictions"]["eu-test"]["status"] == "covered"
    before = exposure_on(store, dt.date(2020, 6, 1))  # no test in force yet, and no listing
    assert all(not r["components"]["jurisdictions"] for r in before.values())


def test_exposure_on_both_stores_as_of_dates(store: GraphStore) -> None:
    ownership_graph(store)
    before = exposure_on(store, dt.date(2022, 1, 1))
    assert "sub-a" not in before  # the listing starts in March 2022
    mid = exposure_on(store, dt.date(2022, 6, 1))
    assert mid["sub-a"]["components"]["ofac_50"]["blocked"] is True
    assert "sub-b" not in mid  # 30% via sub-a only: below the threshold, no exposure
    later = exposure_on(store, dt.date(2023, 6, 1))
    b = later["sub-b"]["components"]["ofac_50"]
    assert b["blocked"] is True and b["aggregate"] == 55.0
    assert sorted((c["owner"], c["share"]) for c in b["contributions"]) == [("listed-co", 25.0), ("sub-a", 30.0)]
    assert later["listed-co"]["score"] == 100.0
    # The affiliates rule: in force in October 2025, suspended in 2026, back after 9 November 2026.
    assert exposure_on(store, dt.date(2025, 10, 1))["el-sub"]["components"]["bis_affiliates"]["blocked"] is True
    assert "el-sub" not in exposure_on(store, dt.date(2026, 6, 1))
    assert exposure_on(store, dt.date(2026, 11, 24))["el-sub"]["score"] == 60.0


def test_paths_on_both_stores(store: GraphStore) -> None:
    ownership_graph(store)
    g = store.projection(as_of=dt.date(2023, 6, 1))
    paths = influence_paths(g, "listed-co", "sub-b", k=3)
    assert [p.nodes for p in paths] == [["listed-co", "sub-b"], ["listed-co", "sub-a", "sub-b"]]
    assert paths[0].hops[0].sentence == "Listed Co owns 25% of Sub B (since 2023-01-01)"
    assert paths[0].hops[0].sources == ["src-test"]
    assert influence_paths(g, "listed-co", "sub-b", types=["OWNS"], max_hops=1)[0].length == 1
    earlier = store.projection(as_of=dt.date(2022, 6, 1))  # the direct stake starts in 2023
    assert [p.nodes for p in influence_paths(earlier, "listed-co", "sub-b")] == [["listed-co", "sub-a", "sub-b"]]
    with pytest.raises(NoPath, match="nearest reachable: Sub A"):
        influence_paths(g, "listed-co", "el-sub", directed=True, types=["OWNS"])
    for day in (dt.date(2022, 6, 1), dt.date(2023, 6, 1), None):
        top, proj = store.topology(as_of=day), store.projection(as_of=day)
        assert sorted(top.edges.column("id").to_pylist()) == sorted(k for _, _, k in proj.edges(keys=True))
        assert top.n == proj.number_of_nodes()
    top = store.topology(as_of=dt.date(2023, 6, 1))
    assert [p.nodes for p in influence_paths(top, "listed-co", "sub-b", k=3)] == [p.nodes for p in paths]
    assert ownership_rule(top, {"listed-co"})["sub-b"].as_dict() == ownership_rule(g, {"listed-co"})["sub-b"].as_dict()
    with pytest.raises(NodeNotFound):
        influence_paths(g, "listed-co", "nobody")


@pytest.mark.parametrize(("seed", "directed"), [(s, s % 2 == 0) for s in range(24)])
def test_paths_are_the_k_shortest_simple_paths_yen_finds(seed: int, directed: bool) -> None:
    rnd = random.Random(seed)
    g = nx.MultiDiGraph()
    g.add_nodes_from(f"n{i}" for i in range(30))
    for i in range(rnd.randint(30, 90)):
        g.add_edge(f"n{rnd.randrange(30)}", f"n{rnd.randrange(30)}", key=f"e{i}", type="SUPPLIES", sources=["s"])
    simple = nx.DiGraph(g) if directed else nx.Graph(g.to_undirected())
    simple.remove_edges_from(nx.selfloop_edges(simple))
    try:
        yen = [p for p in islice(nx.shortest_simple_paths(simple, "n0", "n1"), 7) if len(p) <= 6]
    except nx.NetworkXNoPath:
        yen = []
    if not yen:
        with pytest.raises(NoPath):
            influence_paths(g, "n0", "n1", k=7, max_hops=5, directed=directed, rank="length")
        return
    ours = influence_paths(g, "n0", "n1", k=7, max_hops=5, directed=directed, rank="length")
    assert [p.length for p in ours] == [len(p) - 1 for p in yen]
    for p in ours:
        assert len(set(p.nodes)) == len(p.nodes) and p.nodes[0] == "n0" and p.nodes[-1] == "n1"
        assert all(simple.has_edge(a, b) for a, b in zip(p.nodes, p.nodes[1:]))
    assert len({tuple(p.nodes) for p in ours}) == len(ours)


def test_a_huge_hop_limit_is_the_longest_simple_path() -> None:
    """--max-hops 1000000000 searched a billion lengths; no simple path is longer than the graph has nodes."""
    import signal

    g = nx.MultiDiGraph()
    for i, (a, b) in enumerate([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]):
        g.add_edge(a, b, key=f"e{i}", type="SUPPLIES", sources=["s"])

    def stop(*_: object) -> None:
        raise TimeoutError("the path search ran past 20 s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    try:
        huge = influence_paths(g, "a", "d", k=1_000_000_000, max_hops=1_000_000_000, directed=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [p.nodes for p in huge] == [["a", "c", "d"], ["a", "b", "c", "d"]]
    assert [p.nodes for p in huge] == [p.nodes for p in influence_paths(g, "a", "d", k=9, max_hops=3, directed=True)]


def test_cli_exposure_and_paths(store: GraphStore) -> None:
    ownership_graph(store)
    res = run("exposure", "Sub B", "--as-of", "2023-06-01", "--format", "json", *target(store))
    assert res.returncode == 0, res.stderr
    (item,) = json.loads(res.stdout)
    assert set(item) >= {"id", "name", "score", "components"}
    o = item["components"]["ofac_50"]
    assert set(o) >= {"blocked", "aggregate", "lower", "upper", "contributions"}
    assert set(o["contributions"][0]) == {"owner", "share", "low", "high", "path"}
    res = run("paths", "listed co", "SUB B", "--as-of", "2023-06-01", *target(store))
    assert res.returncode == 0 and "Listed Co owns 25% of Sub B" in res.stdout
    res = run("paths", "listed-co", "nobody-at-all", *target(store))
    assert res.returncode == 1 and "no entity with id, name or alias 'nobody-at-all'" in res.stderr
    res = run("centrality", "--types", "OWNS", "--as-of", "2023-06-01", "--format", "json", *target(store))
    assert res.returncode == 0, res.stderr
    community = {r["id"]: r["community"] for r in json.loads(res.stdout)}
    assert community["listed-co"] == community["sub-a"] == community["sub-b"] != community["el-co"]
    assert community["el-co"] == community["el-sub"] and "src-test" not in community
    res = run("centrality", "--types", "OWNS,OWNED_BY", *target(store))
    assert res.returncode == 1 and "unknown relationship type(s) OWNED_BY" in res.stderr


def test_supply_chain_chokepoints_from_cset(core_embedded: Path) -> None:
    """On the real CSET data (the core graph, built from it): ASML holds all EUV scanners, so EUV is a Dutch
    chokepoint."""
    db = str(core_embedded)
    res = run("supply", "--chokepoints", "--controlling", "USA,NLD,JPN", "--format", "json", "--store", db)
    assert res.returncode == 0, res.stderr
    deps = {d["name"]: d for d in json.loads(res.stdout)}
    euv = deps["EUV lithography tools"]
    assert euv["chokepoint"] and euv["top_provider"] == ["asml", 100.0] and euv["top_country"] == ["NLD", 100.0]
    assert euv["controlled_share"] == 100.0
    assert all(d["chokepoint"] for d in deps.values())
    table = run("supply", "--store", db)
    assert "EUV lithography tools" in table.stdout and "ASML Holding N.V. 100%" in table.stdout
    # One entity: HiSilicon designs (EDA, IP) and SMIC makes its chips (lithography), so it needs both.
    res = run("supply", "HiSilicon", "--format", "json", "--as-of", "2026-11-24", "--store", db)
    assert res.returncode == 0, res.stderr
    dep = json.loads(res.stdout)
    assert dep["home"] == "CHN" and "CHN" not in dep["controlling"] and "USA" in dep["controlling"]
    assert [p["provider"] for p in dep["providers"]] == ["smic"]  # TSMC stopped in September 2020
    inputs = {d["name"]: d for d in dep["inputs"]}
    assert any(
        n.startswith("fabrication (Semiconductor Manufacturing") for n in inputs["EUV lithography tools"]["needed"]
    )
    assert (
        "design (HiSilicon Technologies Co., Ltd., fabless)"
        in inputs["Electronic design automation software"]["needed"]
    )
    assert inputs["EUV lithography tools"]["input"] in dep["dependent_inputs"]
    before = json.loads(run("supply", "HiSilicon", "--format", "json", "--as-of", "2019-06-01", "--store", db).stdout)
    assert [p["provider"] for p in before["providers"]] == ["tsmc"]  # SMIC from August 2023 (TechInsights)
    # The Netherlands does not control itself: EUV, all Dutch, is no dependence of ASML's home.
    nld = json.loads(run("supply", "NLD", "--format", "json", "--store", db).stdout)
    assert {d["name"]: d for d in nld["inputs"]}["EUV lithography tools"]["controlled_share"] == 0
    res = run("exposure", "hisilicon", "--format", "json", "--store", db)
    (item,) = json.loads(res.stdout)
    assert item["components"]["supply_chain"]["dependent_inputs"] and "supply_chain: 10" in item["formula"]


def test_licensing_ties_by_country_with_bri_membership(store: GraphStore) -> None:
    from graph.analytics.licensing import licensing_by_country

    nodes = [
        source(),
        company("hw", "Huawei"),
        company("oppo", "OPPO"),
        company("sharp", "Sharp"),
        NodeRecord("Country", {"id": "CHN", "name": "China", "sources": ["src-test"]}),
        NodeRecord("Country", {"id": "ITA", "name": "Italy", "sources": ["src-test"]}),
        NodeRecord("Initiative", {"id": "bri", "name": "Belt and Road Initiative", "sources": ["src-test"]}),
        NodeRecord("SanctionList", {"id": "us-bis-entity-list", "name": "Entity List", "sources": ["src-test"]}),
    ]
    edges = [
        edge("LISTED_ON", "hw", "us-bis-entity-list", valid_from="2019-05-16"),
        edge("LICENSES_TO", "hw", "oppo", year=2022, valid_from="2022-12-01"),
        edge(
            "LICENSES_TO",
            "hw",
            "sharp",
            year=2020,
            valid_from="2020-01-01",
            confidence="low",
            confidence_note="press only",
        ),
        edge("HEADQUARTERED_IN", "oppo", "CHN"),
        edge("HEADQUARTERED_IN", "sharp", "ITA"),
        edge("MEMBER_OF", "CHN", "bri", valid_from="2013-12-01"),
        edge("MEMBER_OF", "ITA", "bri", valid_from="2019-03-01", valid_to="2023-06-12"),
    ]
    write_records(store, nodes, edges)
    on = {c.country: c for c in licensing_by_country(store.projection(as_of=dt.date(2023, 1, 1)))}
    assert on["CHN"].bri_member and on["CHN"].licensees == ["oppo"]
    assert on["ITA"].bri_member and on["ITA"].ties[0].confidence == "low"
    later = {c.country: c for c in licensing_by_country(store.projection(as_of=dt.date(2024, 1, 1)))}
    assert later["ITA"].bri_member is False  # Italy left the BRI in 2023
    early = licensing_by_country(store.projection(as_of=dt.date(2019, 1, 1)))
    assert early == []  # before the listing, a licence is no tie to a listed party
    exposure = {e.id: e for e in sanction_exposure(store.projection(as_of=dt.date(2023, 1, 1)), dt.date(2023, 1, 1))}
    assert exposure["oppo"].score == 10.0 and exposure["oppo"].components["licensing"][0]["role"] == "licensee"


def test_centrality_finds_the_hub() -> None:
    from graph.analytics.centrality import centrality

    g = nx.MultiDiGraph()
    for n in ["hub", "a", "b", "c", "d", "src"]:
        g.add_node(n, label="Source" if n == "src" else "Company", name=n.upper())
    for n in ["a", "b", "c", "d"]:
        g.add_edge(n, "hub", key=n, type="SUPPLIES")
    g.add_edge("a", "src", key="x", type="SUPPLIES")
    ranked = centrality(g)
    assert ranked[0]["id"] == "hub" and ranked[0]["betweenness"] == 1.0
    assert "src" not in {r["id"] for r in ranked}


def test_centrality_is_cached_by_structure(tmp_path) -> None:
    from graph.analytics.centrality import centrality

    g = nx.MultiDiGraph()
    for i, n in enumerate("abcde"):
        g.add_node(n, label="Company", name=n.upper())
        if i:
            g.add_edge("a", n, key=n, type="SUPPLIES")
    first = centrality(g, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("centrality-*.json")
    # A changed name is not a structural change: the cached scores serve, with the new name.
    g.nodes["b"]["name"] = "Renamed"
    scores = json.loads(cached.read_text())
    scores["b"][0] = 0.5  # mark the file, to see that it is what answered
    cached.write_text(json.dumps(scores))
    again = {r["id"]: r for r in centrality(g, cache_dir=tmp_path)}
    assert again["b"]["name"] == "Renamed" and again["b"]["pagerank"] == 0.5
    # A new edge is: it gets a file of its own and fresh scores.
    g.add_edge("b", "c", key="bc", type="SUPPLIES")
    fresh = {r["id"]: r for r in centrality(g, cache_dir=tmp_path)}
    assert len(list(tmp_path.glob("centrality-*.json"))) == 2
    assert fresh["b"]["pagerank"] != 0.5 and first[0]["id"] == "a"
    assert fresh["b"]["betweenness"] == 0.0 and fresh["a"]["betweenness"] > 0
    cached.write_text("{not json")
    g.remove_edge("b", "c", key="bc")
    assert {r["id"] for r in centrality(g, cache_dir=tmp_path)} == set("abcde")


def test_what_if_changes_exposure_without_touching_the_store(store: GraphStore, tmp_path) -> None:
    from graph.analytics.scenario import compare, load_scenario
    from tests.conftest import dump

    ownership_graph(store)
    before = dump(store)
    path = tmp_path / "scenario.json"
    path.write_text(
        json.dumps(
            {
                "name": "SDN lists EL Co; a stake changes hands",
                "changes": [
                    {
                        "op": "add",
                        "type": "LISTED_ON",
                        "start": "el-co",
                        "end": "us-ofac-sdn",
                        "valid_from": "2024-01-01",
                    },
                    {"op": "add_node", "id": "newco", "label": "Company", "name": "NewCo"},
                    {"op": "add", "type": "OWNS", "start": "el-sub", "end": "newco", "share": 50},
                    {"op": "remove", "type": "OWNS", "start": "listed-co", "end": "sub-b"},
                ],
            }
        ),
        encoding="utf-8",
    )
    day = dt.date(2024, 6, 1)
    rules = [r[0] for r in store.query("MATCH (c:ExportControl) WHERE c.rule IS NOT NULL RETURN c").rows]
    _, _, changes = compare(store.projection(as_of=day), load_scenario(path), day, rules)
    by_id = {c.id: c for c in changes}
    assert by_id["el-co"].scenario == 100.0 and by_id["el-co"].baseline == 60.0
    assert by_id["el-sub"].why["ofac_50"]["explanation"] == "51% = 51% via el-co"
    assert by_id["newco"].why["ofac_50"]["contributions"][0]["path"] == ["el-co", "el-sub", "newco"]
    assert by_id["sub-b"].scenario == 0.0  # only 30% via sub-a once the direct stake is removed
    assert dump(store) == before
    res = run("exposure", "--scenario", str(path), "--as-of", "2024-06-01", "--format", "json", *target(store))
    assert res.returncode == 0, res.stderr
    assert {c["id"] for c in json.loads(res.stdout)["changes"]} == set(by_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"op": "rename"}, "op must be one of"),
        ({"op": "add", "type": "OWNS", "start": "ghost", "end": "sub-a"}, "start node 'ghost' does not exist"),
        (
            {"op": "add", "type": "OWNS", "start": "listed-co", "end": "sub-a", "share": 150},
            "share: 150 is above the maximum 100",
        ),
        (
            {"op": "add", "type": "MEMBER_OF", "start": "listed-co", "end": "sub-a"},
            "MEMBER_OF cannot join Company to Company",
        ),
        ({"op": "remove", "edge": "no-such-edge"}, "nothing to remove"),
        (
            {"op": "add", "type": "OWNS", "start": "listed-co", "end": "sub-a", "share": float("nan")},
            "share: expected a finite number, got nan",
        ),
        (
            {"op": "add", "type": "OWNS", "start": "listed-co", "end": "sub-a", "share": 100.0001},
            "share: 100.0001 is above the maximum 100",
        ),
        (
            {"op": "add_node", "id": "x", "label": "ExportControl", "name": "X", "threshold": float("inf")},
            "threshold: expected a finite number, got inf",
        ),
        # add and add_node used to replace what was there, silently.
        (
            {"op": "add_node", "id": "sub-a", "label": "Company", "name": "Replacement"},
            "node 'sub-a' already exists \\(Company 'sub-a'\\)",
        ),
        (
            {"op": "add", "type": "OWNS", "start": "listed-co", "end": "sub-a", "id": "e0", "share": 10},
            "relationship 'e0' \\(OWNS from 'listed-co' to 'sub-a'\\) already exists",
        ),
    ],
)
def test_scenarios_are_validated_like_an_import(tmp_path, change: dict, message: str) -> None:
    from graph.analytics.scenario import Scenario, apply
    from graph.errors import ValidationError

    g = owns(("listed-co", "sub-a", 60.0))
    for n in g.nodes:
        g.nodes[n].update(label="Company", name=n)
    with pytest.raises(ValidationError, match=f"change 1: {message}"):
        apply(g, Scenario("bad", [change], "bad.json"))
    assert g.number_of_edges() == 1


def test_supply_dependence_and_its_score_agree_on_both_stores(core_env: str) -> None:
    """The per-entity dependence and the supply_chain points, from the command line on each store."""
    res = run("supply", "HiSilicon", "--format", "json", "--as-of", "2026-11-24")
    assert res.returncode == 0, res.stderr
    dep = json.loads(res.stdout)
    assert [p["provider"] for p in dep["providers"]] == ["smic"]
    assert len(dep["dependent_inputs"]) >= 10 and dep["controlling"] == ["GBR", "JPN", "NLD", "USA"]
    res = run("exposure", "--format", "json", "--as-of", "2026-11-24")
    by_id = {e["id"]: e for e in json.loads(res.stdout)}
    # TSMC is on no list: its score is the supply_chain component alone, with the formula's 10 points.
    assert by_id["tsmc"]["score"] == 10.0 and by_id["tsmc"]["components"]["supply_chain"]["dependent_inputs"]
    assert "supply_chain" in by_id["huawei"]["components"]


def test_scenario_files_are_read_like_an_import(tmp_path) -> None:
    """A scenario's problems name its file and the line of the change; repeated keys and NaN are refused."""
    from graph.analytics.scenario import apply, load_scenario
    from graph.errors import ValidationError

    g = owns(("listed-co", "sub-a", 60.0))
    for n in g.nodes:
        g.nodes[n].update(label="Company", name=n)
    path = tmp_path / "what-if.json"
    path.write_text(
        '{\n "name": "two stakes",\n "changes": [\n'
        '  {"op": "add_node", "id": "newco", "label": "Company", "name": "NewCo"},\n'
        '  {"op": "add", "type": "OWNS", "start": "listed-co", "end": "newco", "share": NaN},\n'
        '  {"op": "add_node", "id": "newco", "label": "Company", "name": "NewCo again"}\n ]\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        apply(g, load_scenario(path))
    assert [str(p) for p in err.value.problems] == [
        f"{path}:5: change 2: share: expected a finite number, got nan",
        f"{path}:6: change 3: node 'newco' already exists (Company 'NewCo'); "
        "add_node only adds new nodes: remove it first to replace it",
    ]
    path.write_text('{"name": "x", "changes": [{"op": "add", "share": 10, "share": 90}]}', encoding="utf-8")
    with pytest.raises(ValidationError, match="duplicate key 'share' in one object"):
        load_scenario(path)
    path.write_text('{"name": "x",\n "changes": [}', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"what-if.json:2: broken JSON"):
        load_scenario(path)


def test_every_json_output_is_json(tmp_path) -> None:
    """``--format json`` prints JSON on every path, including the empty answers that used to be sentences."""
    from tests.test_import_cli import MINI

    db = str(tmp_path / "g.lbdb")
    assert run("import", str(MINI), "--store", db).returncode == 0
    scenario = tmp_path / "s.json"
    scenario.write_text('{"name": "nothing", "changes": []}', encoding="utf-8")
    commands = [
        ["stats"],
        ["query", "MATCH (c:Country) RETURN c.id AS id"],
        ["query", "MATCH (c:Country) WHERE c.id = 'none' RETURN c.id AS id"],
        ["paths", "HiSilicon", "Huawei"],
        ["exposure"],
        ["exposure", "China"],
        ["exposure", "Huawei"],
        ["exposure", "--scenario", str(scenario)],
        ["supply"],
        ["supply", "China"],
        ["supply", "--chokepoints"],
        ["licensing"],
        ["centrality"],
    ]
    out = {}
    for args in commands:
        res = run(*args, "--format", "json", "--as-of", "2024-01-01", "--store", db)
        if res.returncode == 2 and "--as-of" in res.stderr:  # stats and query take no date
            res = run(*args, "--format", "json", "--store", db)
        assert res.returncode == 0, (args, res.stderr)
        out[" ".join(args[:2])] = json.loads(res.stdout)
    # An entity with no exposure is an entity with score 0, in the shape of a real result.
    (china,) = out["exposure China"]
    (huawei,) = out["exposure Huawei"]
    assert china["id"] == "CHN" and china["score"] == 0 and set(china) == set(huawei)
    assert set(china["components"]) == set(huawei["components"])
    assert china["components"]["direct"] == [] and china["components"]["licensing"] == []
    assert china["components"]["ofac_50"] == {
        "blocked": False,
        "listed": False,
        "aggregate": 0.0,
        "lower": 0.0,
        "upper": 0.0,
        "contributions": [],
        "unknown_edges": [],
    }
    assert set(huawei["components"]["ofac_50"]) == set(china["components"]["ofac_50"])
    assert out["licensing"] == []
    res = run("exposure", "China", "--as-of", "2024-01-01", "--store", db)
    assert res.returncode == 0 and "no exposure found" in res.stdout


def test_year_only_facts_start_on_1_january_and_undated_ones_are_flagged(store: GraphStore) -> None:
    """The as-of date tells the truth: a licence known as "2023" is not on a 2022 picture, an undated
    listing is left out of pictures by default but still counts, flagged, in exposure."""
    from graph.analytics.exposure import sanction_exposure

    nodes = [
        source(),
        company("lic", "Licensor"),
        company("licensee", "Licensee"),
        company("undated-co", "Undated Co"),
        NodeRecord("SanctionList", {"id": "us-ofac-sdn", "name": "SDN", "sources": ["src-test"]}),
    ]
    edges = [
        edge("LICENSES_TO", "lic", "licensee", year=2023),
        edge("LISTED_ON", "lic", "us-ofac-sdn", valid_from="2019-05-16"),
        edge("LISTED_ON", "undated-co", "us-ofac-sdn"),
    ]
    write_records(store, nodes, edges)

    def licences(day: dt.date) -> list[dict]:
        return [d for _, _, d in store.projection(as_of=day).edges(data=True) if d["type"] == "LICENSES_TO"]

    assert licences(dt.date(2022, 12, 31)) == []
    assert [d["dating"] for d in licences(dt.date(2023, 1, 1))] == ["approximate"]
    for day, expected in ((dt.date(2022, 12, 31), 0), (dt.date(2023, 1, 1), 1)):  # the columnar read agrees
        assert store.topology(as_of=day).edges.column("type").to_pylist().count("LICENSES_TO") == expected
    path = influence_paths(store.projection(as_of=dt.date(2024, 1, 1)), "lic", "licensee")[0]
    assert path.hops[0].sentence == "Licensor licenses patents to Licensee (since about 2023, year only)"

    # Pictures leave the undated listing out and count it; analyses keep it.
    dated = store.projection(as_of=dt.date(2024, 1, 1), undated=False)
    assert not dated.has_edge("undated-co", "us-ofac-sdn") and dated.graph["undated_left_out"] == 1
    sub = store.neighbourhood("undated-co", as_of=dt.date(2024, 1, 1), undated=False)
    assert sub.edges == {} and len(sub.undated_left_out) == 1
    assert len(store.neighbourhood("undated-co", as_of=dt.date(2024, 1, 1)).edges) == 1
    day = dt.date(2024, 1, 1)
    found = {r.id: r.as_dict() for r in sanction_exposure(store.projection(as_of=day), day, [])}
    listing = found["undated-co"]["components"]["direct"][0]
    assert found["undated-co"]["score"] > 0, "an undated listing must never read as not listed"
    assert listing["since"] is None and listing["since_text"] == "date not in source" and not listing["date_known"]


def hub_graph() -> nx.MultiDiGraph:
    """SMIC and ASML joined through a hub country (short, says little) and through a control (long, says a lot)."""
    g = nx.MultiDiGraph()
    for n, label in [("smic", "Company"), ("asml", "Company"), ("CHN", "Country"), ("ctl", "ExportControl"),
                     ("duv", "Product"), ("tech", "Technology")]:  # fmt: skip
        g.add_node(n, label=label, name=n.upper())
    edges = [("smic", "CHN", "HEADQUARTERED_IN"), ("CHN", "tech", "SUPPLIES"), ("asml", "tech", "SUPPLIES"),
             ("ctl", "CHN", "TARGETS"), ("ctl", "duv", "RESTRICTS"), ("asml", "duv", "MAKES")]  # fmt: skip
    for i in range(40):  # China's other companies make it a hub
        g.add_node(f"c{i}", label="Company", name=f"Company {i}")
        edges.append((f"c{i}", "CHN", "HEADQUARTERED_IN"))
    for i, (a, b, t) in enumerate(edges):
        g.add_edge(a, b, key=f"e{i}", type=t, sources=["s"])
    return g


def test_paths_rank_by_what_they_carry_and_say_how_many_there_are() -> None:
    from graph.analytics.paths import path_page

    g = hub_graph()
    by_relevance = path_page(g, "smic", "asml", k=1, max_hops=4)
    by_length = path_page(g, "smic", "asml", k=1, max_hops=4, rank="length")
    assert by_length.paths[0].nodes == ["smic", "CHN", "tech", "asml"]
    # Through the control: one hop longer, but TARGETS/RESTRICTS/MAKES carry substance and the control is no hub.
    assert by_relevance.paths[0].nodes == ["smic", "CHN", "ctl", "duv", "asml"]
    assert by_relevance.paths[0].cost < by_length.paths[0].cost
    assert by_relevance.total == by_length.total == 2 and not by_relevance.capped
    assert by_relevance.caption() == "showing 1–1 of 2 paths, ranked by relevance (hub and type penalty)"
    second = path_page(g, "smic", "asml", k=1, max_hops=4, offset=1)
    assert second.paths[0].nodes == by_length.paths[0].nodes and second.caption().startswith("showing 2–2 of 2")
    capped = path_page(g, "smic", "asml", k=1, max_hops=4, cap=1)
    assert capped.capped and "of more than 1 paths" in capped.caption()


def test_nearest_reachable_is_sorted_by_distance_then_relevance() -> None:
    g = hub_graph()
    g.add_node("island", label="Company", name="Island")
    with pytest.raises(NoPath) as err:
        influence_paths(g, "ctl", "island")
    near = str(err.value).split("nearest reachable: ")[1].split(", ")
    # One hop away first (DUV via a substantive RESTRICTS before China), then two hops, never alphabetical.
    assert near[:2] == ["DUV (1 hop)", "CHN (1 hop)"], near
    assert all("(2 hops)" in x for x in near[2:]) and near[2] == "ASML (2 hops)", near
