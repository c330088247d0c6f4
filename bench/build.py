"""The full build, loader by loader, into each store.

    python bench/build.py [--skip-neo4j]

Runs ``python -m graph build``'s code (every loader in ``loaders.LOADERS``:
the curated core, countries, the Belt and Road, CSET and the real lists, from
``data/raw`` and ``../shared/data``) into a fresh embedded store and, unless
skipped, into a real Neo4j (started with tools/neo4j/server.py when needed).
Prints each loader's time, rows read, records and skipped rows, the merge,
validate and write phases, and the counts per label and type.

Target: the embedded build in at most 30 s on this machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import settings as settings_mod  # noqa: E402
from graph.build import build, manifest_path  # noqa: E402
from graph.store import GraphStore  # noqa: E402
from graph.store.embedded import EmbeddedStore  # noqa: E402


def timed_build(store: GraphStore, store_path: Path) -> float:
    """Build into ``store`` and print what each phase and loader took; the total seconds."""
    started = time.perf_counter()
    batch, _, reports = build(store, settings_mod.load(store_path=store_path))
    total = time.perf_counter() - started
    print(f"\n{store.kind} build into {store.describe()}: {total:.2f} s")
    print(f"  {'loader':36} {'seconds':>8} {'rows read':>10} {'nodes':>8} {'edges':>8} {'skipped':>8}")
    for r in reports:
        state = "  absent" if r.absent else ""
        print(
            f"  {r.source:36} {r.seconds:8.2f} {sum(r.rows_read.values()):10,} {r.nodes:8,} {r.edges:8,} "
            f"{len(r.skipped):8,}{state}"
        )
    settings = settings_mod.load(store_path=store_path)
    timings = json.loads(manifest_path(store, settings).read_text())["timings"]
    print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    nodes, rels = store.counts()
    print(f"  total: {batch.counts()['nodes']:,} nodes, {batch.counts()['edges']:,} relationships")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in nodes.items() if v))
    print("  " + ", ".join(f"{k} {v:,}" for k, v in rels.items() if v))
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skip-neo4j", action="store_true")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.lbdb"
        with EmbeddedStore(path) as store:
            total = timed_build(store, path)
        print(f"embedded build: {total:.2f} s (target <= 30 s)")
        if args.skip_neo4j:
            return
        spec = importlib.util.spec_from_file_location("server", ROOT / "tools" / "neo4j" / "server.py")
        server = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(server)  # type: ignore[union-attr]
        uri = server.start()
        from graph.store.neo4j_store import Neo4jStore

        with Neo4jStore(uri, "neo4j", server.PASSWORD) as neo:
            total = timed_build(neo, Path(tmp) / "neo4j.lbdb")
        print(f"Neo4j build: {total:.2f} s")


if __name__ == "__main__":
    main()
