"""The app's first page renders the store it is on, and says what to run when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graph.importer import import_dir
from graph.store.embedded import EmbeddedStore
from tests.conftest import ROOT
from tests.test_import_cli import MINI


def app(monkeypatch: pytest.MonkeyPatch, store_path: Path) -> AppTest:
    monkeypatch.setenv("TECHGEO_STORE", str(store_path))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at.run()


def test_renders_counts_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = EmbeddedStore(tmp_path / "g.lbdb")
    import_dir(store, MINI)
    store.close()
    at = app(monkeypatch, tmp_path / "g.lbdb")
    assert not at.exception
    assert [m.value for m in at.metric] == ["7", "6"]
    assert str(tmp_path / "g.lbdb") in at.caption[0].value


def test_missing_store_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, tmp_path / "absent.lbdb")
    assert not at.exception
    assert "run `python -m graph build`" in at.error[0].value
