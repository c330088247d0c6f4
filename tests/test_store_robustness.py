"""Writes under stress, on real stores: two imports at once.

Each ends in one line, and the graph stays as it was (or the next write puts it back)."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import threading
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path

from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import (
    company,
    source,
    write_records,
)
from tests.test_import_cli import MINI, run, target

RACE_WAIT = 5.0  # seconds the first import waits at the barrier for the second one


def fresh_view(store: GraphStore) -> GraphStore:
    """The store as it is now: an embedded store's cached read handle may still see the file that
    another process has since replaced."""
    if isinstance(store, EmbeddedStore):
        store.close()
    return store


def one_line(res: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command ended with, checked to be one line with no traceback
    (progress lines may come before it)."""
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1 and lines and lines[-1].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr and sum(line.startswith("error: ") for line in lines) == 1, res.stderr
    return lines[-1]


def import_dir_of(tmp_path: Path, name: str, nodes: list[str], edges: list[str] = ()) -> Path:  # type: ignore[assignment]
    """An import folder citing the mini fixture's sources."""
    d = tmp_path / name
    d.mkdir()
    shutil.copy(MINI / "sources.jsonl", d / "sources.jsonl")
    (d / "nodes.jsonl").write_text("".join(line + "\n" for line in nodes), encoding="utf-8")
    (d / "edges.jsonl").write_text("".join(line + "\n" for line in edges), encoding="utf-8")
    return d


# -- two imports at once ------------------------------------------------------------------


def _import_at_barrier(barrier: threading.Barrier, argv: list[str], out: str) -> None:
    """Run ``python -m graph import`` in this process, with both imports made to look up the store
    before either writes: each waits at the barrier after its lookup, until the other arrives or
    RACE_WAIT passes (when the store keeps the second import out until the first is written)."""
    from graph import cli
    from graph.store.neo4j_store import Neo4jStore

    for cls in (EmbeddedStore, Neo4jStore):

        def labels_of(self: GraphStore, ids: object, real=cls.labels_of) -> dict[str, str]:  # type: ignore[no-untyped-def]
            found = real(self, ids)
            with suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=RACE_WAIT)
            return found

        cls.labels_of = labels_of  # type: ignore[method-assign]
    with open(out, "w", encoding="utf-8") as fh, redirect_stdout(fh), redirect_stderr(fh):
        code = cli.main(argv)
    sys.exit(code)


def test_two_imports_of_one_id_under_two_labels_leave_one(store: GraphStore, tmp_path: Path) -> None:
    assert run("import", str(MINI), *target(store)).returncode == 0
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = []
    for label in ("Company", "Person"):
        d = import_dir_of(
            tmp_path,
            label,
            [f'{{"id": "race-x", "label": "{label}", "name": "Race {label}", "sources": ["src-fr-2019-10616"]}}'],
        )
        out = tmp_path / f"{label}.out"
        proc = ctx.Process(target=_import_at_barrier, args=(barrier, ["import", str(d), *target(store)], str(out)))
        proc.start()
        procs.append((label, proc, out))
    for _, proc, _ in procs:
        proc.join(120)
    codes = {label: proc.exitcode for label, proc, _ in procs}
    assert sorted(codes.values()) == [0, 1], codes
    (loser, _, out), winner = (
        next(p for p in procs if p[1].exitcode == 1),
        next(label for label, proc, _ in procs if proc.exitcode == 0),
    )
    message = out.read_text(encoding="utf-8").strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: ") and "race-x" in message[0], message
    assert (
        f"is a {winner} in the store, not a {loser}" in message[0]
        or "already in the graph under another label" in message[0]
    ), message
    fresh_view(store)
    found = [
        label
        for label in ("Company", "Person")
        if store.query("MATCH (n:" + label + ") WHERE n.id = 'race-x' RETURN count(n)").rows[0][0]
    ]
    assert found == [winner]
    node = store.node("race-x")
    assert node is not None and node["_label"] == winner and node["name"] == f"Race {winner}"


def test_the_shared_label_is_never_an_entitys_label(store: GraphStore) -> None:
    write_records(store, [source(), company("a", "Alpha")], [])
    (row,) = store.query("MATCH (n:Company) WHERE n.id = 'a' RETURN n").rows
    assert row[0]["_label"] == "Company"
    assert store.labels_of(["a", "src-test"]) == {"a": "Company", "src-test": "Source"}
    assert store.counts()[0]["Company"] == 1
    if store.kind == "neo4j":
        # Every node carries it, for the one constraint that keeps ids unique across labels.
        assert store.query("MATCH (n:Entity) RETURN count(n)").rows == [[2]]
