"""The graph at scale: the real build plus 3,000,000 GLEIF LEIs, 400,000 relationship records and
1,000,000 PatentsView patents, all in their published layouts and through the real loaders.

    python -m bench.scale [--leis 3000000] [--relationships 400000] [--patents 1000000] [--huawei 150000]
                          [--keep DIR] [--skip-build]

Generates the files (``tools/gleif_fixture.py``, ``tools/patentsview_fixture.py``) under a work folder,
then, each in a fresh process so that peak memory is its own:

* the embedded build (``graph.build.build``, every loader): wall time, each phase, rows/s per loader,
  peak resident memory (targets: at most 10 minutes and 8 GB);
* exposure of every entity on today's date under the US rules (OFAC 50%, BIS affiliates) and the EU
  and UK owned-or-controlled tests, from the store's projection as the app computes it (target: 60 s).

``--keep DIR`` keeps the files and the store there (a second run reuses them with ``--skip-build``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(work: Path, args: argparse.Namespace) -> Path:
    from loaders import gleif, patentsview
    from tools import gleif_fixture, patentsview_fixture

    raw = work / "raw"
    if not (raw / gleif.FOLDER / "rr-golden-copy.csv").exists():
        t = time.perf_counter()
        gleif_fixture.write(raw / gleif.FOLDER, args.leis, args.relationships)
        patentsview_fixture.write(raw / patentsview.FOLDER, args.patents, args.huawei)
        print(f"generated the files in {time.perf_counter() - t:.0f} s", flush=True)
    return raw


def build_child(work: Path) -> None:
    """In a fresh process: the whole build into an embedded store, with every loader."""
    from graph import build as build_mod
    from graph import settings as settings_mod
    from graph.store.embedded import EmbeddedStore

    raw = work / "raw"
    path = work / "scale.lbdb"
    settings = settings_mod.load(
        store_path=path, raw_dirs=(raw, ROOT / "data" / "raw", ROOT.parent / "shared" / "data")
    )
    t = time.perf_counter()
    with EmbeddedStore(path) as store:
        batch, _, reports = build_mod.build(store, settings, progress=lambda m: print(m, flush=True))
    seconds = time.perf_counter() - t
    manifest = json.loads(build_mod.manifest_path(store, settings).read_text())
    print(f"BUILD {seconds:.0f} s, {batch.counts()}, peak {peak_mb():,.0f} MB; phases {manifest['timings']}")
    for r in reports:
        rows = sum(r.rows_read.values())
        if rows and r.seconds:
            print(f"  {r.source}: {rows:,} rows in {r.seconds:.1f} s = {rows / r.seconds:,.0f} rows/s")


def exposure_child(work: Path) -> None:
    """In a fresh process: every entity's exposure today, US rules and the EU and UK tests."""
    from graph import views as gv
    from graph.analytics.exposure import sanction_exposure
    from graph.analytics.supply import supply_facts
    from graph.store.embedded import EmbeddedStore

    today = dt.date.today()
    with EmbeddedStore(work / "scale.lbdb") as store:
        t = time.perf_counter()
        g = store.projection(as_of=today)
        read = time.perf_counter() - t
        rules, supply = gv.control_rules(store), supply_facts(store)
        t = time.perf_counter()
        results = sanction_exposure(g, today, rules, supply=supply)
        rule = time.perf_counter() - t
    eu_uk = sum(
        1
        for r in results
        if any(x["status"] in ("covered", "undecided") for x in r.components["jurisdictions"].values())
    )
    print(
        f"EXPOSURE {read + rule:.1f} s (projection {read:.1f} s of {g.number_of_nodes():,} nodes and "
        f"{g.number_of_edges():,} relationships, rules {rule:.1f} s): {len(results):,} exposed entities, "
        f"{eu_uk:,} covered or undecided under the EU or UK test; peak {peak_mb():,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leis", type=int, default=3_000_000)
    parser.add_argument("--relationships", type=int, default=400_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--huawei", type=int, default=150_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--child", choices=("build", "exposure"))
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.child:
        (build_child if args.child == "build" else exposure_child)(args.work)
        return
    with tempfile.TemporaryDirectory(prefix="techgeo-scale-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        generate(work, args)
        steps = ("exposure",) if args.skip_build else ("build", "exposure")
        for step in steps:
            subprocess.run([sys.executable, __file__, "--child", step, "--work", str(work)], check=True)


if __name__ == "__main__":
    main()
