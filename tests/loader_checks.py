"""What the ownership and UN loader tests share: running a loader, copying a source folder to break
it, and checking that a build meeting a broken file stops and leaves the previous graph as it was."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from graph import build as build_mod
from graph import settings as settings_mod
from graph.errors import LoaderError
from graph.store.embedded import EmbeddedStore
from loaders import countries, cset_eto, curated
from loaders.base import Context
from tests.conftest import ROOT

build_mod_run = build_mod.run_loaders


def run(module: ModuleType, raw_dirs: list[Path]) -> Context:
    """Run one loader on the given raw-data folders and return its context (records and report)."""
    ctx = Context(module.SOURCE, raw_dirs)
    module.load(ctx)
    ctx.materialise()
    return ctx


def broken_copy(tmp_path: Path, shared: Path, folder: str, name: str, edit: Callable[[str], str]) -> Path:
    """A raw-data folder holding a copy of ``shared/folder`` whose file ``name`` went through ``edit``."""
    raw = tmp_path / "raw"
    shutil.copytree(shared / folder, raw / folder)
    target = raw / folder / name
    target.chmod(0o644)
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return raw


def replace(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    """An edit that replaces the first ``count`` occurrences of ``old`` (all of them with -1)."""

    def edit(text: str) -> str:
        assert old in text, f"{old!r} is not in the file: the test no longer breaks it"
        return text.replace(old, new, count)

    return edit


def assert_bad_build_leaves_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared: Path, module: ModuleType, bad_raw: Path, message: str
) -> None:
    """Build with the core loaders and ``module``, then again with ``module`` reading the broken copy: the
    second build fails naming the file and the problem, and the store file is byte for byte what the
    first build wrote. The build is the real one (merge, validation, atomic write); only the list of
    loaders is cut to the core and the one under test, to keep the test short."""
    core = (curated, countries, cset_eto, module)
    monkeypatch.setattr(
        build_mod, "run_loaders", lambda dirs, progress=None, bulk=None: build_mod_run(dirs, core, bulk=bulk)
    )
    raw = ROOT / "data" / "raw"
    store_path = tmp_path / "g.lbdb"
    with EmbeddedStore(store_path) as store:
        batch, _, _ = build_mod.build(store, settings_mod.load(store_path=store_path, raw_dirs=(raw, shared)))
    assert any(props["sources"][-1] == module.SOURCE.id for label, props in batch.node_props() if label != "Source")
    before = store_path.read_bytes()
    with EmbeddedStore(store_path) as store, pytest.raises(LoaderError, match=message) as err:
        build_mod.build(store, settings_mod.load(store_path=store_path, raw_dirs=(bad_raw, raw, shared)))
    assert str(bad_raw) in str(err.value)
    assert store_path.read_bytes() == before
