"""Writes under stress, on real stores: two imports at once, a bulk write killed or failing mid-way,
a store folder that cannot be written, a full disk, a corrupt file, a build killed mid-write.

Each ends in one line, and the graph stays as it was (or the next write puts it back)."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path

import pytest

from graph.errors import StoreError
from graph.model import validate
from graph.store.base import GraphStore
from graph.store.embedded import EmbeddedStore
from tests.conftest import (
    ROOT,
    SHARED_DATA,
    _neo4j_store,
    company,
    dump,
    edge,
    need,
    poison_neo4j_edges,
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


def test_two_imports_of_one_id_under_two_labels_leave_one(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("import", str(MINI), *target(store)).returncode == 0
    # A spawned child re-runs the parent's __main__; after an AppTest that is app.py, so give it none.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
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


# -- a bulk write in committed chunks (Neo4j) ------------------------------------------------


@pytest.fixture
def neo4j_store(neo4j_uri: str) -> Iterator[GraphStore]:
    s = _neo4j_store(neo4j_uri)
    yield s
    s.close()


def bookkeeping(store: GraphStore) -> int:
    return sum(
        store.query("MATCH (n:" + lab + ") RETURN count(n)").rows[0][0] for lab in ("ImportBatch", "ImportChunk")
    )


def test_failed_bulk_write_counts_what_it_committed_and_removes_it(
    neo4j_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks running beside the failing one commit too: the message counts them, and all are removed."""
    import graph.store.neo4j_store as mod

    store = neo4j_store
    write_records(store, [source(), company("a"), company("b")], [edge("OWNS", "a", "b", share=10.0)])
    before = dump(store)
    monkeypatch.setattr(mod, "ATOMIC_ROWS", 20)
    monkeypatch.setattr(mod, "BATCH", 7)
    nodes = [source(), *(company(f"c{i}", f"Company {i}") for i in range(60))]
    edges = [edge("OWNS", f"c{i}", f"c{i % 3}", share=float(i % 50)) for i in range(3, 60)]
    edges += [edge("SUPPLIES", f"c{i}", f"c{(i * 7) % 60}") for i in range(60) if (i * 7) % 60 != i]
    batch = validate(nodes, edges, store.labels_of)
    poison_neo4j_edges(monkeypatch)  # the last chunk of each relationship statement fails in the server
    with pytest.raises(StoreError) as failed:
        store.write(batch)
    message = str(failed.value)
    found = re.search(r"failed after (\d+) of (\d+) rows had been committed in (\d+) chunks", message)
    assert found, message
    committed, total = int(found.group(1)), int(found.group(2))
    assert total == len(nodes) + len(edges) and 0 < committed < total
    # Source existed: its row is an update, and the graph keeps the (same) values written.
    removed = re.search(r"the (\d+) rows it created were removed", message)
    assert removed and int(removed.group(1)) == committed - 1, message
    assert dump(store) == before and bookkeeping(store) == 0


KILLED_IMPORT = """
import sys, time
import graph.store.neo4j_store as mod
mod.ATOMIC_ROWS, mod.BATCH, mod.WRITERS = 50, 10, 1
chunks = mod._chunks
def slow(rows):
    for chunk in chunks(rows):
        time.sleep(0.2)  # a slow server: the test kills this process between two chunks
        yield chunk
mod._chunks = slow
from graph.cli import main
sys.exit(main(sys.argv[1:]))
"""


BULK_COMPANIES = "MATCH (n:Company) WHERE n.id STARTS WITH 'bulk-' RETURN count(n)"


def test_killed_bulk_import_is_undone_by_the_next_write(
    neo4j_store: GraphStore, neo4j_uri: str, tmp_path: Path
) -> None:
    store = neo4j_store
    assert run("import", str(MINI), "--neo4j", neo4j_uri).returncode == 0
    before = dump(store)
    d = import_dir_of(
        tmp_path,
        "bulk",
        [
            f'{{"id": "bulk-{i}", "label": "Company", "name": "Bulk {i}", "sources": ["src-fr-2019-10616"]}}'
            for i in range(200)
        ],
        [
            f'{{"type": "HEADQUARTERED_IN", "start": "bulk-{i}", "end": "CHN", "sources": ["src-fr-2019-10616"]}}'
            for i in range(200)
        ],
    )
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, "import", str(d), "--neo4j", neo4j_uri],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while store.query(BULK_COMPANIES).rows[0][0] < 50:
            assert child.poll() is None and time.monotonic() < deadline, "the import ended before it was killed"
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert store.query(BULK_COMPANIES).rows[0][0] >= 50  # what the killed import committed is in the graph...
    res = run("import", str(MINI), "--neo4j", neo4j_uri)
    assert res.returncode == 0, res.stderr
    assert dump(store) == before and bookkeeping(store) == 0  # ...until the next write removes it


# -- the embedded store's files ----------------------------------------------------------------


def without_root_privileges() -> list[str]:
    """A command prefix under which file modes bind: as root, without the capabilities that let root
    read and write anything (chmod alone does not stop root)."""
    if os.geteuid() != 0:
        return []
    need(shutil.which("setpriv") is not None, "setpriv (util-linux) is needed to run a command without root's powers")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]


def run_as_user(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*without_root_privileges(), sys.executable, "-m", "graph", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_store_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    line = one_line(run("import", str(MINI), "--store", str(tmp_path / "a-file" / "g.lbdb")))
    assert f"cannot write the graph at {tmp_path / 'a-file' / 'g.lbdb'}" in line and "folder you can write" in line
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        line = one_line(run_as_user("import", str(MINI), "--store", str(read_only / "g.lbdb")))
        assert "cannot write the graph at" in line and "Permission denied" in line, line
    finally:
        read_only.chmod(0o755)
    assert list(read_only.iterdir()) == []


def test_unreadable_import_folder_is_one_line(tmp_path: Path) -> None:
    d = tmp_path / "import"
    shutil.copytree(MINI, d)
    d.chmod(0o000)
    try:
        line = one_line(run_as_user("import", str(d), "--store", str(tmp_path / "g.lbdb")))
    finally:
        d.chmod(0o755)
    assert str(d) in line and "Permission denied" in line, line
    assert not (tmp_path / "g.lbdb").exists()


LIMITED = """
import resource, signal, sys
# A file size limit stands in for a full disk: writes past it fail with EFBIG instead of the signal.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from graph.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_limited(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIMITED, str(limit), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def leftovers(path: Path) -> list[Path]:
    return sorted(path.parent.glob("." + path.name + ".*"))


def test_full_disk_frees_the_partial_copy(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    assert run("import", str(MINI), "--store", str(db)).returncode == 0
    before = dump(EmbeddedStore(db))
    more = import_dir_of(
        tmp_path, "more", ['{"id": "newco", "label": "Company", "name": "New", "sources": ["src-fr-2019-10616"]}']
    )
    # The copy of the store stops at the limit.
    line = one_line(run_limited(db.stat().st_size // 2, "import", str(more), "--store", str(db)))
    assert line == f"error: disk full at {db} (File too large); freed the partial copy; nothing was written"
    assert leftovers(db) == [] and dump(EmbeddedStore(db)) == before
    # LadybugDB itself runs out of room writing a new store.
    fresh = tmp_path / "fresh" / "g.lbdb"
    line = one_line(run_limited(150_000, "import", str(MINI), "--store", str(fresh)))
    assert "freed the partial copy; nothing was written" in line, line
    assert not fresh.exists() and all(p.stat().st_size == 0 for p in leftovers(fresh))  # at most empty lock files
    assert run("import", str(MINI), "--store", str(fresh)).returncode == 0
    assert leftovers(fresh) == [] and dump(EmbeddedStore(fresh)) == before


@pytest.mark.parametrize("damage", ["truncated", "cut to one page", "empty", "not a graph"])
def test_corrupt_store_file_says_rebuild(tmp_path: Path, damage: str) -> None:
    db = tmp_path / "g.lbdb"
    assert run("import", str(MINI), "--store", str(db)).returncode == 0
    data = db.read_bytes()
    db.write_bytes(
        {
            "truncated": data[: len(data) // 2],
            "cut to one page": data[:4096],
            "empty": b"",
            "not a graph": b"id,name\nhuawei,Huawei\n" * 200,
        }[damage]
    )
    for args in (("stats",), ("import", str(MINI))):
        line = one_line(run(*args, "--store", str(db)))
        assert line.startswith(f"error: {db} is not a readable LadybugDB graph (") and line.endswith(
            "); rebuild it with `python -m graph build`"
        ), line
    assert leftovers(db) == []


SLOW_BUILD = """
import sys, time
import graph.store.embedded as mod
write_edges = mod._write_edges
def slow(*args):
    time.sleep(120)  # a slow disk: the test kills this build while it writes
    return write_edges(*args)
mod._write_edges = slow
from graph.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_killed_build_leftovers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    need((SHARED_DATA / "bri-gfdc").is_dir(), f"the GFDC workbook is not under {SHARED_DATA}")
    db = tmp_path / "g.lbdb"
    assert run("import", str(MINI), "--store", str(db)).returncode == 0
    before = dump(EmbeddedStore(db))
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, "build", "--store", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    copy = tmp_path / f".g.lbdb.{child.pid}.tmp"
    try:
        deadline = time.monotonic() + 120
        # Nodes are in once the private copy has grown past its empty size; edges wait.
        while not (copy.exists() and copy.stat().st_size > 0):
            assert child.poll() is None and time.monotonic() < deadline, "the build ended before it was killed"
            time.sleep(0.05)
        time.sleep(1.0)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert copy in leftovers(db)  # the killed build's copy (and LadybugDB's files beside it) stay behind...
    assert dump(EmbeddedStore(db)) == before  # ...while the old graph serves
    res = run("import", str(MINI), "--store", str(db))
    assert res.returncode == 0, res.stderr
    assert leftovers(db) == [] and dump(EmbeddedStore(db)) == before
