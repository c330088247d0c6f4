"""A fresh clone with no ../shared next to it builds a useful graph: what may be shipped is in data/raw/,
and a source whose files are absent is skipped with one line that names `fetch`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def clone(tmp_path: Path) -> Path:
    """The repository's tracked files (and the working copy of each), copied with no ../shared beside them."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    repo = tmp_path / "clone" / "repo"
    for name in files.stdout.splitlines():
        src = ROOT / name
        if src.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / name)
    assert not (repo.parent / "shared").exists()
    return repo


def cli(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m graph ARGS`` in the clone."""
    return subprocess.run(
        [sys.executable, "-m", "graph", *args], cwd=repo, capture_output=True, text=True, env=env, timeout=600
    )


def test_a_fresh_clone_builds_without_shared_data(tmp_path: Path) -> None:
    repo = clone(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("TECHGEO_RAW_DIRS", "TECHGEO_STORE", "NEO4J_URI")}
    res = cli(repo, env, "build")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((repo / "var" / "graph.lbdb.build.json").read_text())
    by_source = {r["source"]: r for r in manifest["loaders"]}
    # The Belt and Road comes from the shipped derived table when the workbook is absent.
    assert by_source["src-gfdc-bri-countries-2023"]["absent"] == ""
    assert by_source["src-gfdc-bri-countries-2023"]["edges"] == 150
    # The US government lists are public domain and shipped: the clone can screen against them.
    shipped = ("src-us-restricted-lists-2026", "src-ita-csl", "src-federal-register-el-rules")
    for source in (*shipped, "src-ofac-sdn", "src-ofac-consolidated"):
        assert by_source[source]["absent"] == "" and by_source[source]["nodes"] > 0, by_source.get(source)
    assert manifest["counts"]["nodes"] > 6000
    for report in manifest["loaders"]:
        if report["absent"]:
            assert "python -m graph fetch" in report["absent"] or "download it from" in report["absent"], report
            assert f"{report['source']}: skipped, files absent" in res.stderr
    res = cli(repo, env, "exposure", "Huawei", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["id"] == "huawei"
    # The shipped SDN history dates the listings: Noriega (ofac-1572) is listed in 2021, gone by mid-2022.
    for day, lists in (("2021-09-01", ["us-ofac-sdn"]), ("2022-06-01", [])):
        res = cli(repo, env, "exposure", "ofac-1572", "--as-of", day, "--format", "json")
        assert res.returncode == 0, res.stderr
        assert [x["list"] for x in json.loads(res.stdout)[0]["components"]["direct"]] == lists


def test_sources_page_shows_what_each_loader_read_and_what_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from graph import settings as settings_mod
    from graph.build import build
    from graph.store.embedded import EmbeddedStore

    store_path = tmp_path / "g.lbdb"
    monkeypatch.setenv("TECHGEO_STORE", str(store_path))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    # CSET is read; the Belt and Road files are absent from the only raw folder.
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "cset-eto-chip-explorer", raw / "cset-eto-chip-explorer")
    monkeypatch.setenv("TECHGEO_RAW_DIRS", str(raw))
    with EmbeddedStore(store_path) as store:
        _, _, reports = build(store, settings_mod.load())
    assert next(r for r in reports if r.source == "src-gfdc-bri-countries-2023").absent
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("graph/ui/pages/sources.py").run()
    assert not at.exception, [e.value for e in at.exception]
    summary = next(d.value for d in at.dataframe if "state" in d.value.columns)
    state = dict(zip(summary["source"], summary["state"]))
    assert state["src-gfdc-bri-countries-2023"].startswith("absent")
    assert state["src-cset-eto-chip-explorer"] == "loaded"
    cset = summary[summary["source"] == "src-cset-eto-chip-explorer"].iloc[0]
    assert cset["rows read"] > 1000 and cset["skipped"] == 142
    assert any("cannot find bri-gfdc" in t.value for t in at.text)
