"""The Matches page shows the last build's review queue side by side and records judgements, unless read-only;
Explore's details say which source records an entity was resolved from."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graph.resolve.judgements import load_judgements
from tests.conftest import ROOT


def matches(monkeypatch: pytest.MonkeyPatch, core_embedded: Path, judgements: Path, read_only: bool) -> AppTest:
    monkeypatch.setenv("TECHGEO_STORE", str(core_embedded))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("TECHGEO_RESOLUTIONS", str(judgements))
    monkeypatch.setenv("TECHGEO_READ_ONLY", "1" if read_only else "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("graph/ui/pages/matches.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_accepting_a_pair_records_a_judgement(
    monkeypatch: pytest.MonkeyPatch, core_embedded: Path, tmp_path: Path
) -> None:
    judgements = tmp_path / "resolutions.yaml"
    at = matches(monkeypatch, core_embedded, judgements, read_only=False)
    assert "to judge" in at.caption[1].value
    assert any(t.value.startswith("showing 1–20 of ") for t in at.text)
    first = next(b for b in at.button if b.key and b.key.startswith("accept_"))
    pair = first.key.removeprefix("accept_")
    table = next(d.value for d in at.dataframe if "record A" in d.value.columns)
    assert list(table["field"])[:3] == ["id", "label", "name"]
    first.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Recorded at resolutions" in s.value for s in at.success), [*at.success, *at.error]
    [j] = load_judgements(judgements)
    assert j.verdict == "same" and {j.a, j.b} == set(table.iloc[0, 1:3]) and j.by
    # The judged pair leaves the queue.
    at = matches(monkeypatch, core_embedded, judgements, read_only=False)
    assert not any(b.key == f"accept_{pair}" for b in at.button)


def test_read_only_shows_but_records_nothing(
    monkeypatch: pytest.MonkeyPatch, core_embedded: Path, tmp_path: Path
) -> None:
    judgements = tmp_path / "resolutions.yaml"
    at = matches(monkeypatch, core_embedded, judgements, read_only=True)
    assert any("read-only" in i.value for i in at.info)
    buttons = [b for b in at.button if b.key and b.key.startswith(("accept_", "reject_"))]
    assert buttons and all(b.disabled for b in buttons)
    assert not judgements.exists()


def test_explore_says_what_an_entity_was_resolved_from(monkeypatch: pytest.MonkeyPatch, core_embedded: Path) -> None:
    monkeypatch.setenv("TECHGEO_STORE", str(core_embedded))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    resolved = [e for e in at.expander if e.label.startswith("Resolved from ")]
    assert resolved, [e.label for e in at.expander]
    n = int(resolved[0].label.split()[2])
    table = next(d.value for d in at.dataframe if "source record" in d.value.columns)
    assert n >= 2 and len(table) == n and "huawei" in list(table["source record"])
