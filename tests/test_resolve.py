"""Entity resolution on the real lists: one entity per party, similar names kept apart, judgements win."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph import settings as settings_mod
from graph.build import build, merge, resolution_path, run_loaders
from graph.errors import JudgementError
from graph.model import EdgeRecord, NodeRecord
from graph.resolve import (
    Judgement,
    Record,
    ResolutionReport,
    add_judgement,
    candidate_pairs,
    compare_names,
    load_judgements,
    name_form,
    resolve,
    score,
    source_records,
)
from graph.store.embedded import EmbeddedStore
from tests.conftest import ROOT, SHARED_DATA, need

CORE = ("huawei", "smic", "ymtc", "hisilicon", "cxmt", "hikvision", "inspur", "sugon", "sensetime", "cambricon")
# Lists each core company is on, by the lists' own files (the Entity List, NS-CMIC, 1260H, FCC, EO 14032).
LISTS = {
    "huawei": {"us-bis-entity-list", "us-ofac-ns-cmic", "us-dod-1260h", "us-fcc-covered-list"},
    "smic": {"us-bis-entity-list", "us-ofac-ns-cmic", "us-dod-1260h"},
    "ymtc": {"us-bis-entity-list", "us-dod-1260h"},
    "hisilicon": {"us-bis-entity-list"},
    "hikvision": {"us-bis-entity-list", "us-ofac-ns-cmic", "us-dod-1260h", "us-fcc-covered-list"},
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> settings_mod.Settings:
    need((SHARED_DATA / "us-restricted-lists-2026").is_dir(), f"the US lists are not under {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("resolve")
    return settings_mod.load(
        store_path=tmp / "g.lbdb",
        raw_dirs=(settings_mod.DATA_DIR / "raw", SHARED_DATA),
        resolutions_path=tmp / "r.yaml",
    )


@pytest.fixture(scope="module")
def merged(settings: settings_mod.Settings) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    nodes, edges, _ = run_loaders(settings.raw_dirs)
    return merge(nodes, edges)


@pytest.fixture(scope="module")
def resolved(
    merged: tuple[list[NodeRecord], list[EdgeRecord]], settings: settings_mod.Settings
) -> tuple[dict[str, NodeRecord], list[EdgeRecord], ResolutionReport]:
    nodes, edges, report = resolve(*merged, [], settings)
    return {n.id: n for n in nodes}, edges, report


def _lists(edges: list[EdgeRecord], node_id: str) -> dict[str, list[EdgeRecord]]:
    out: dict[str, list[EdgeRecord]] = {}
    for e in edges:
        if e.type == "LISTED_ON" and e.start == node_id:
            out.setdefault(e.end, []).append(e)
    return out


def test_core_companies_are_one_entity_each_with_every_listing(resolved) -> None:
    nodes, edges, report = resolved
    for cid in CORE:
        node = nodes[cid]
        members = source_records(node.props)
        assert len(members) >= 2, f"{cid} was resolved from {members}"
        assert members[0][0] == cid  # the curated id is kept
        assert all(sources for _, sources in members)
        # No record left outside with the same name and country.
        key, country = name_form(node.props["name"]).key, node.props.get("country")
        twins = [
            n.id
            for n in nodes.values()
            if n.label == "Company"
            and n.id != cid
            and name_form(n.props["name"]).key == key
            and country in (n.props.get("countries") or [n.props.get("country")])
        ]
        assert twins == [], f"{cid} still has twins {twins}"
    for cid, lists in LISTS.items():
        found = _lists(edges, cid)
        assert lists <= set(found), f"{cid} lacks {lists - set(found)}"
        # Each source's listing keeps its own citation and sources: two sources, two edges.
        for list_id in lists:
            assert all(e.props.get("sources") for e in found[list_id])
    el = _lists(edges, "huawei")["us-bis-entity-list"]
    assert {e.props.get("citation") for e in el} >= {"84 FR 22961", "84 FR 22963"}
    assert len({e.id for e in el}) == len(el) >= 2
    assert report.entities < report.records and report.seconds < 60


def test_similar_names_of_different_companies_stay_apart(resolved) -> None:
    nodes, edges, _ = resolved
    brazil = [n for n in nodes.values() if n.props["name"] == "Huawei Cloud Brazil"]
    assert len(brazil) == 1 and brazil[0].id != "huawei" and not brazil[0].props.get("resolved_from")
    assert "us-bis-entity-list" in _lists(edges, brazil[0].id)
    assert "Huawei Cloud Brazil" not in nodes["huawei"].props["aliases"]
    # Members of one group that lists name alike: the holding, the subsidiaries, the foreign affiliates.
    for other in ("huawei-investment-holding", "huawei-cloud", "huawei-device"):
        assert other in nodes and other not in (nodes["huawei"].props.get("resolved_from") or [])
    smic_names = set(nodes["smic"].props["aliases"])
    assert (
        "SMIC Beijing" not in smic_names
        and "Semiconductor Manufacturing International (Beijing) Corporation" not in smic_names
    )
    japan = [n for n in nodes.values() if n.props["name"] == "Huawei Technologies Japan K.K."]
    assert len(japan) == 1 and japan[0].id != "huawei"
    # The matcher says so too, with and without countries.
    assert compare_names("Huawei Cloud Brazil", "Huawei Technologies").value < 0.6
    assert compare_names("Huawei Cloud Brazil", "Huawei Technologies Co., Ltd.", "Company", "BRA", "CHN").value < 0.3
    assert compare_names("Huawei Investment & Holding Co., Ltd.", "Huawei Technologies Co., Ltd.").value < 0.6


def test_the_matcher_reads_spellings_scripts_and_legal_forms() -> None:
    a = Record("a", "Company", ("Huawei Technologies Co., Ltd.",), ("CHN",))
    assert score(a, Record("b", "Company", ("HUAWEI TECHNOLOGIES COMPANY LIMITED",), ("CHN",))).value == 1.0
    assert score(a, Record("c", "Company", ("华为技术有限公司",), ("CHN",))).value >= 0.92
    assert (
        compare_names("SEMICONDUCTOR MFG INTL CORP", "Semiconductor Manufacturing International Corporation").value == 1
    )
    assert compare_names("Xie, Tuqiang", "TUQIANG XIE", "Person").value == 1.0
    # A person is never a company; a shared identifier is enough; two USCCs are two parties.
    assert compare_names("Huawei", "Huawei", "Person").value == 1.0
    assert score(Record("p", "Person", ("Ren Zhengfei",)), Record("q", "Company", ("Ren Zhengfei",))).value == 0
    same_id = score(
        Record("x", "Company", ("Foo",), (), ("uscc:1",)), Record("y", "Company", ("Bar",), (), ("uscc:1",))
    )
    assert same_id.value == 1.0 and "uscc:1" in same_id.reason
    two = score(
        Record("x", "Company", ("Foo Ltd",), (), ("uscc:1",)), Record("y", "Company", ("Foo Ltd",), (), ("uscc:2",))
    )
    assert two.value < 0.5 and "different uscc" in two.reason


def test_blocking_never_compares_all_pairs() -> None:
    recs = [Record(str(i), "Company", (f"Company {i:05d} Trading Huawei Co., Ltd.",)) for i in range(3000)]
    recs.append(Record("t", "Company", ("华为技术有限公司",)))
    recs.append(Record("h", "Company", ("Huawei Technologies Co., Ltd.",)))
    pairs = candidate_pairs(recs)
    assert len(pairs) < 3 * len(recs)  # all pairs would be 4.5 million
    assert (len(recs) - 2, len(recs) - 1) in pairs


def test_a_judgement_changes_the_next_resolution(merged, resolved, settings: settings_mod.Settings) -> None:
    nodes, edges = merged
    by_id = {n.id: n for n in nodes}
    beijing = next(
        n.id for n in nodes if n.props["name"] == "Semiconductor Manufacturing International (Beijing) Corporation"
    )
    assert "ofac-30947" in resolved[0]["huawei"].props["resolved_from"]
    judgements = [
        Judgement("huawei", "ofac-30947", "different", "test", dt.date(2026, 12, 3), "a test says so", 1),
        Judgement("smic", beijing, "same", "test", dt.date(2026, 12, 3), "a test says so", 7),
    ]
    out, out_edges, report = resolve(nodes, edges, judgements, settings)
    after = {n.id: n for n in out}
    assert "ofac-30947" in after and "ofac-30947" not in after["huawei"].props["resolved_from"]
    assert beijing in after["smic"].props["resolved_from"] and beijing not in after
    assert report.judgements_applied == 2
    # Deterministic: the same records and judgements give the same graph.
    again, again_edges, _ = resolve(nodes, edges, judgements, settings)
    assert [(n.label, n.props) for n in again] == [(n.label, n.props) for n in out]
    assert [(e.type, e.start, e.end, e.props) for e in again_edges] == [
        (e.type, e.start, e.end, e.props) for e in out_edges
    ]
    assert by_id["huawei"].props.get("resolved_from") is None  # the input is not changed


def test_a_judgement_in_the_file_changes_the_next_build(settings: settings_mod.Settings, tmp_path: Path) -> None:
    path = tmp_path / "resolutions.yaml"
    add_judgement(path, "huawei", "ofac-30947", "different", "test", "the build must keep them apart")
    s = settings_mod.load(store_path=tmp_path / "g.lbdb", raw_dirs=settings.raw_dirs, resolutions_path=path)
    with EmbeddedStore(s.store_path) as store:
        store.create()
        build(store, s)
        assert store.node("ofac-30947") is not None
        assert "ofac-30947" not in (store.node("huawei") or {})["resolved_from"]
        assert len(store.node("smic")["resolved_from"]) >= 2  # type: ignore[index]
    report = ResolutionReport.load(resolution_path(s))
    assert report.judgements_applied == 1 and report.review


def test_judgements_file_keeps_comments_and_refuses_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "# kept comment\n- {a: x, b: y, verdict: same, by: me, at: 2026-01-02, why: known}\n", encoding="utf-8"
    )
    j = add_judgement(path, "p", "q", "different", "me", 'says "no"', at=dt.date(2026, 12, 3))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# kept comment\n- {a: x") and j.line == 3
    assert [(x.a, x.b, x.verdict) for x in load_judgements(path)] == [("x", "y", "same"), ("p", "q", "different")]
    with pytest.raises(JudgementError, match="judged already"):
        add_judgement(path, "q", "p", "same", "me", "again")
    assert path.read_text(encoding="utf-8") == text  # a refused write leaves the file as it was
    for bad, message in [
        ("- a: x\n  b: y\n  verdict: maybe\n  by: me\n  at: 2026-01-01\n  why: w\n", r"r.yaml:1: verdict 'maybe'"),
        ("- a: x\n  b: y\n", "r.yaml:1: judgement lacks verdict, by, at, why"),
        ("- {a: x, b: y, verdict: same, by: me, at: 2026-01-01, why: w}\n- [oops\n", "r.yaml:3: not valid YAML"),
        ("- {a: x, b: y, verdict: same, by: me, at: 2026-13-01, why: w}\n", "r.yaml:1: month must be in 1..12"),
        ("a: x\n", "r.yaml:1: expected a list"),
    ]:
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(JudgementError, match=message):
            load_judgements(path)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_match_command_scores_pairs_and_refuses_bad_files(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "name1,name2,schema,country1,country2,note\n"
        "Huawei Technologies Co. Ltd,华为技术有限公司,Company,CN,CHN,x\n"
        "Huawei Cloud Brazil,Huawei Technologies,,BRA,CHN,y\n",
        encoding="utf-8",
    )
    done = _cli("match", "--pairs", str(pairs))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "name1,name2,schema,country1,country2,note,score,match"
    assert lines[1].endswith(",x,0.9500,true") and lines[2].endswith(",false")
    for content, message in [
        (b"", "is empty"),
        (b"a,b\nx,y\n", "pairs.csv:1: the header lacks name1, name2"),
        (b"name1,name2\n\xff\xfe,x\n", "pairs.csv:2: not UTF-8"),
        (b"name1,name2,schema\nx,y,Vessel\n", "pairs.csv:2: schema 'Vessel'"),
    ]:
        pairs.write_bytes(content)
        bad = _cli("match", "--pairs", str(pairs))
        assert bad.returncode == 1 and bad.stdout == ""
        assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ") and message in bad.stderr


def test_review_accept_and_reject_write_judgements(resolved, tmp_path: Path) -> None:
    _, _, report = resolved
    store_path = tmp_path / "g.lbdb"
    s = settings_mod.load(store_path=store_path)
    report.save(resolution_path(s))
    path = tmp_path / "resolutions.yaml"
    env = {"TECHGEO_RESOLUTIONS": str(path)}
    listed = _cli("resolve", "--review", "--store", str(store_path), "--format", "json", "--limit", "3", env=env)
    assert listed.returncode == 0, listed.stderr
    queue = json.loads(listed.stdout)
    assert len(queue) == 3 and all(q["a"]["name"] and q["b"]["name"] and q["reason"] for q in queue)
    first, second = queue[0], queue[1]
    ok = _cli("resolve", "--accept", first["id"], "--store", str(store_path), "--by", "tester", env=env)
    assert ok.returncode == 0, ok.stderr
    ok = _cli("resolve", "--reject", second["id"], "--store", str(store_path), env=env)
    assert ok.returncode == 0, ok.stderr
    judged = load_judgements(path)
    assert [(j.a, j.b, j.verdict) for j in judged] == [
        (first["a"]["id"], first["b"]["id"], "same"),
        (second["a"]["id"], second["b"]["id"], "different"),
    ]
    assert judged[0].by == "tester" and judged[0].at == dt.date.today()
    # Judged pairs leave the queue; an unknown id and a broken file are one-line errors.
    again = json.loads(_cli("resolve", "--review", "--store", str(store_path), "--format", "json", env=env).stdout)
    assert first["id"] not in {q["id"] for q in again} and len(again) == len(report.review) - 2
    unknown = _cli("resolve", "--accept", "r-000000000000", "--store", str(store_path), env=env)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: no pair 'r-000000000000'")
    path.write_text(path.read_text(encoding="utf-8") + "- a: [\n", encoding="utf-8")
    broken = _cli("resolve", "--review", "--store", str(store_path), env=env)
    assert broken.returncode == 1 and broken.stderr.count("\n") == 1 and "resolutions.yaml:" in broken.stderr
    missing = _cli("resolve", "--review", "--store", str(tmp_path / "none.lbdb"), env=env)
    assert missing.returncode == 1 and "run `python -m graph build` first" in missing.stderr


def test_thresholds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.errors import GraphError
    from graph.resolve import Thresholds

    monkeypatch.setenv("TECHGEO_RESOLVE_AUTO", "0.95")
    monkeypatch.setenv("TECHGEO_MATCH_THRESHOLD", "0.8")
    assert Thresholds.of(settings_mod.load()) == Thresholds(0.95, 0.6, 0.8)
    monkeypatch.setenv("TECHGEO_RESOLVE_AUTO", "high")
    with pytest.raises(GraphError, match="TECHGEO_RESOLVE_AUTO: 'high' is not a number from 0 to 1"):
        settings_mod.load()
    monkeypatch.setenv("TECHGEO_RESOLVE_AUTO", "0.5")
    with pytest.raises(GraphError, match="review band would be empty"):
        settings_mod.load()


def test_name_index_finds_the_party_among_the_real_entities(resolved) -> None:
    from graph.resolve import NameIndex, record_from_props

    nodes, _, _ = resolved
    idx = NameIndex([record_from_props(n.label, n.props) for n in nodes.values() if n.label in ("Company", "Person")])
    for query, country, expected in [
        ("华为技术有限公司", "CHN", "huawei"),
        ("Semiconductor Manufacturing International Corp.", "CHN", "smic"),
        ("YANGTZE MEMORY TECHNOLOGIES COMPANY LIMITED", "", "ymtc"),
    ]:
        hits = idx.search(Record("q", "Company", (query,), (country,) if country else ()), limit=5)
        assert hits and hits[0][0].id == expected, (query, [(r.id, s.value) for r, s in hits])
    brazil = idx.search(Record("q", "Company", ("Huawei Cloud Brazil",), ("BRA",)), limit=3)
    assert nodes[brazil[0][0].id].props["name"] == "Huawei Cloud Brazil" and brazil[0][1].value == 1.0
    assert all(r.id != "huawei" or s.value < 0.5 for r, s in brazil)
    assert len(idx.candidates(Record("q", "Company", ("Huawei",)))) < len(idx) / 20
