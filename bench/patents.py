"""Patents at scale: a generated PatentsView download of 10^6 patents, through the real loader and the
build's portfolio step, and optionally the whole build into an embedded store.

    python -m bench.patents [--patents 1000000] [--huawei 150000] [--build]

Prints rows/s of the loader, the seconds of the portfolio step, Huawei's counted portfolios, and with
``--build`` the whole build's phases and the peak memory (max RSS) of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from graph import build as build_mod
from graph import settings as settings_mod
from graph.patents import portfolios
from graph.settings import DATA_DIR, ROOT
from graph.store.embedded import EmbeddedStore
from loaders import patentsview
from loaders.base import Context
from tools import patentsview_fixture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--huawei", type=int, default=150_000)
    parser.add_argument("--build", action="store_true", help="also build the whole graph with them, embedded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="techgeo-patents-") as tmp:
        raw = Path(tmp) / "raw"
        t = time.perf_counter()
        plan = patentsview_fixture.write(raw / patentsview.FOLDER, args.patents, args.huawei)
        print(f"generated {plan.patents:,} patents ({args.huawei:,} Huawei's) in {time.perf_counter() - t:.1f} s")
        if args.build:
            _build(raw, Path(tmp) / "g.lbdb")
            return
        ctx = Context(patentsview.SOURCE, [raw])
        t = time.perf_counter()
        patentsview.load(ctx)
        part = ctx.finish()  # the rows as Arrow tables (graph.bulk), as the build keeps them
        seconds = time.perf_counter() - t
        rows = sum(ctx.report.rows_read.values())
        print(f"loader: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
              f"{ctx.report.nodes:,} nodes, {ctx.report.edges:,} edges")  # fmt: skip
        t = time.perf_counter()
        nodes, _, counted = portfolios(ctx.nodes, ctx.edges, [part] if part else [])
        print(f"portfolios: {counted.portfolios:,} for {counted.holders:,} holders in {time.perf_counter() - t:.1f} s")
        for n in nodes:
            if n.label == "Portfolio" and "hw01" in n.id and n.props.get("count", 0) > 10_000:
                print(f"  {n.props['name']}")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


def _build(raw: Path, path: Path) -> None:
    settings = settings_mod.load(store_path=path, raw_dirs=(raw, DATA_DIR / "raw", ROOT.parent / "shared" / "data"))
    t = time.perf_counter()
    with EmbeddedStore(path) as store:
        batch, _, reports = build_mod.build(store, settings, progress=print)
    print(f"build: {batch.counts()} in {time.perf_counter() - t:.1f} s")
    for r in reports:
        rows = sum(r.rows_read.values())
        if r.seconds and rows:
            print(f"  {r.source}: {rows:,} rows in {r.seconds:.1f} s = {rows / r.seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
