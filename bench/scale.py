"""The graph at scale: the real build plus 3,000,000 GLEIF LEIs, 400,000 relationship records and
1,000,000 PatentsView patents, all in their published layouts and through the real loaders.

    python -m bench.scale [--leis 3000000] [--relationships 400000] [--patents 1000000] [--huawei 150000]
                          [--keep DIR] [--skip-build]

Generates the files (``tools/gleif_fixture.py``, ``tools/patentsview_fixture.py``) under a work folder,
then, each in a fresh process so that peak memory is its own:

* the embedded build (``graph.build.build``, every loader): wall time, each phase, rows/s per loader,
  peak resident memory (targets: at most 10 minutes and 8 GB);
* exposure of every entity on today's date under the US rules (OFAC 50%, BIS affiliates) and the EU
  and UK owned-or-controlled tests, from the store's projection as the app computes it (target: 60 s);
* with ``--neo4j``: the same build into a real Neo4j 5.26 server (``tools/neo4j/server.py``, its own port
  and folder under the work folder), the write's rows/s against the server creating rows of the same
  shape by itself (``bench/load.py``'s baseline, in the same run), and then both stores' answers side by
  side: counts by label and type, the exposure of 100 sampled entities, and the paths between 20
  sampled pairs.

``--keep DIR`` keeps the files and the store there (a second run reuses them with ``--skip-build``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
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


NEO4J_PORT = 17797


def _server(work: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("server", ROOT / "tools" / "neo4j" / "server.py")
    server = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(server)  # type: ignore[union-attr]
    return server, server.Server(port=NEO4J_PORT, var=work / "neo4j", heap="6g")


def neo4j_child(work: Path) -> None:
    """In a fresh process: the whole build into a Neo4j server, and the server's own write rate."""
    from bench.load import server_rate
    from graph import build as build_mod
    from graph import settings as settings_mod
    from graph.store import open_store

    server, srv = _server(work)
    uri = srv.start(timeout=300)
    raw = work / "raw"
    settings = settings_mod.load(
        store_path=work / "neo4j-side.lbdb",
        raw_dirs=(raw, ROOT / "data" / "raw", ROOT.parent / "shared" / "data"),
        neo4j_uri=uri,
        neo4j_user="neo4j",
        neo4j_password=server.PASSWORD,
    )
    store = open_store(settings)
    store.clear()  # empty, with the schema's constraints: the baseline's lookups by id use them, as ours do
    # The baseline first, on the empty database, at the embedded build's size (at most 2M nodes and 2M links).
    counts = json.loads((work / "scale.lbdb.build.json").read_text())["counts"]
    own = server_rate(uri, server.PASSWORD, min(counts["nodes"], 2_000_000), min(counts["edges"], 2_000_000))
    print(f"the server creating rows itself: {own:,.0f} rows/s", flush=True)
    t = time.perf_counter()
    try:
        batch, _, _ = build_mod.build(store, settings, progress=lambda m: print(m, flush=True))
    finally:
        store.close()
    seconds = time.perf_counter() - t
    manifest = json.loads(build_mod.manifest_path(store, settings).read_text())
    rows = batch.counts()["nodes"] + batch.counts()["edges"]
    write = manifest["timings"]["write"]
    print(f"NEO4J BUILD {seconds:.0f} s, {batch.counts()}, peak {peak_mb():,.0f} MB; phases {manifest['timings']}")
    print(
        f"NEO4J WRITE {write:.0f} s = {rows / write:,.0f} rows/s; the server creating rows itself: "
        f"{own:,.0f} rows/s; ours is {rows / write / own:.2f} of it (target >= 0.9)"
    )


def compare_child(work: Path, pairs: int = 20, entities: int = 100) -> None:
    """In a fresh process: counts, the exposure of sampled entities and sampled paths, on both stores."""
    from graph import views as gv
    from graph.analytics.exposure import sanction_exposure
    from graph.analytics.paths import path_page
    from graph.analytics.supply import supply_facts
    from graph.store.embedded import EmbeddedStore
    from graph.store.neo4j_store import Neo4jStore

    server, srv = _server(work)
    uri = srv.start(timeout=300)
    today = dt.date.today()
    answers: dict[str, dict[str, object]] = {}
    for name, store in (
        ("embedded", EmbeddedStore(work / "scale.lbdb")),
        ("neo4j", Neo4jStore(uri, "neo4j", server.PASSWORD)),
    ):
        with store:
            t = time.perf_counter()
            nodes, rels = store.counts()
            g = store.projection(as_of=today)
            results = {
                r.id: r for r in sanction_exposure(g, today, gv.control_rules(store), supply=supply_facts(store))
            }
            top = store.topology(as_of=today)
            answers[name] = {"counts": (nodes, rels), "exposure": results, "topology": top, "graph": g}
            print(f"{name}: counts, projection, exposure and topology in {time.perf_counter() - t:.0f} s", flush=True)
    emb, neo = answers["embedded"], answers["neo4j"]
    same_counts = emb["counts"] == neo["counts"]
    print(f"COUNTS same on both stores: {same_counts}")
    for kind, a, b in (("label", emb["counts"][0], neo["counts"][0]), ("type", emb["counts"][1], neo["counts"][1])):
        for key in sorted(set(a) | set(b)):
            if a.get(key) or b.get(key):
                print(f"  {kind} {key:<22} {a.get(key, 0):>10,} {b.get(key, 0):>10,}")
    rng = random.Random(7)
    exposed = sorted(emb["exposure"])
    g = emb["graph"]
    sample = rng.sample(exposed, min(entities, len(exposed)))
    differ = [
        x
        for x in sample
        if x not in neo["exposure"]
        or emb["exposure"][x].score != neo["exposure"][x].score
        or json.dumps(emb["exposure"][x].components, sort_keys=True, default=str)
        != json.dumps(neo["exposure"][x].components, sort_keys=True, default=str)
    ]
    print(
        f"EXPOSURE of {len(sample)} sampled entities: {len(sample) - len(differ)} the same on both stores "
        f"({len(emb['exposure']):,} and {len(neo['exposure']):,} exposed in all)"
    )
    for x in differ[:5]:
        a, b = emb["exposure"][x], neo["exposure"].get(x)
        keys = sorted(
            k
            for k in a.components
            if b is None
            or json.dumps(a.components[k], sort_keys=True, default=str)
            != json.dumps(b.components.get(k), sort_keys=True, default=str)
        )
        print(f"  differs: {x} in {', '.join(keys)}")
    for x in sample[:5]:
        print(
            f"  {x:<46} {emb['exposure'][x].score:>6} {neo['exposure'].get(x).score if x in neo['exposure'] else '-':>6}"
        )
    connected = [n for n in exposed if g.degree(n) > 0]
    same_paths = 0
    for _ in range(pairs):
        a, b = rng.sample(connected, 2)
        t = time.perf_counter()
        pa_ = path_page(emb["topology"], a, b, k=5, max_hops=4)
        pb_ = path_page(neo["topology"], a, b, k=5, max_hops=4)
        same = pa_.total == pb_.total and [p.nodes for p in pa_.paths] == [p.nodes for p in pb_.paths]
        same_paths += same
        print(
            f"  paths {a} -> {b}: {pa_.total} and {pb_.total} ({'same' if same else 'DIFFER'}, {time.perf_counter() - t:.1f} s)"
        )
    print(f"PATHS between {pairs} sampled pairs: {same_paths} the same on both stores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leis", type=int, default=3_000_000)
    parser.add_argument("--relationships", type=int, default=400_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--huawei", type=int, default=150_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--neo4j", action="store_true", help="also build into Neo4j and compare the two stores")
    parser.add_argument("--child", choices=("build", "exposure", "neo4j", "compare"))
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.child:
        children = {"build": build_child, "exposure": exposure_child, "neo4j": neo4j_child, "compare": compare_child}
        children[args.child](args.work)
        return
    with tempfile.TemporaryDirectory(prefix="techgeo-scale-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        generate(work, args)
        steps = ["exposure"] if args.skip_build else ["build", "exposure"]
        steps += ["neo4j", "compare"] if args.neo4j else []
        try:
            for step in steps:
                subprocess.run([sys.executable, __file__, "--child", step, "--work", str(work)], check=True)
        finally:
            if args.neo4j:
                _server(work)[1].stop()


if __name__ == "__main__":
    main()
