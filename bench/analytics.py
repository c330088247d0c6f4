"""Analytics at scale: the OFAC 50% rule for every entity, and k=5 influence paths.

    python bench/analytics.py [--companies 1000000] [--owns 1500000] [--pairs 20] [--nx-pairs 5]

Builds (once, then reuses) a synthetic ownership graph in the embedded store
under var/bench/: companies whose owners follow a power law (a few own
thousands, most own one or two), 1% of them on the SDN list, 10% of the
shares unknown. It is imported with ``python -m graph import``'s own code.
Then, each measurement in a fresh process so that peak memory is its own:

* ``ofac_50`` for all entities: read the OWNS and LISTED_ON columns from
  the store as of a date, and run the rule at both bounds. Wall time and
  peak resident memory (targets: at most 10 s and 2 GB).
* k=5 influence paths between pairs 4 to 6 hops apart (undirected OWNS),
  each with its sentences and citations. Median (target: at most 0.5 s).
  In the same run, for the same pairs: LadybugDB's own ``SHORTEST`` query for
  the single shortest path, and ``networkx.shortest_simple_paths`` taking 5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from graph.analytics.ownership import ownership_rule  # noqa: E402
from graph.analytics.paths import influence_paths  # noqa: E402
from graph.analytics.topology import bfs_distances  # noqa: E402
from graph.store.embedded import EmbeddedStore  # noqa: E402

AS_OF = dt.date(2026, 11, 24)
SDN = "us-ofac-sdn"


def generate(directory: Path, companies: int, owns: int, seed: int = 11) -> None:
    """Write the synthetic graph in the canonical import format."""
    rnd = random.Random(seed)
    np_rnd = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    source = {
        "id": "src-bench",
        "publisher": "bench",
        "title": "Synthetic ownership graph",
        "date": "2026-11-24",
        "url": "file:///bench",
        "license": "CC0",
    }
    (directory / "sources.jsonl").write_text(json.dumps(source) + "\n")
    with open(directory / "nodes.jsonl", "w") as fh:
        fh.write(json.dumps({"id": SDN, "label": "SanctionList", "name": "SDN", "sources": ["src-bench"]}) + "\n")
        for i in range(companies):
            fh.write(f'{{"id": "c{i}", "label": "Company", "name": "Company {i}", "sources": ["src-bench"]}}\n')
    # Owners by a power law: owner index ~ n * u^3 makes a few very large holders.
    owners = (companies * np_rnd.random(owns) ** 3).astype(np.int64)
    owned = np_rnd.integers(0, companies, owns)
    majority = np_rnd.random(owns) < 0.3
    shares = np.where(majority, np_rnd.uniform(50, 100, owns), np_rnd.uniform(1, 49.9, owns)).round(1)
    unknown = np_rnd.random(owns) < 0.10
    with open(directory / "edges.jsonl", "w") as fh:
        for i, (a, b, s, u) in enumerate(zip(owners.tolist(), owned.tolist(), shares.tolist(), unknown.tolist())):
            share = "null" if u else repr(s)
            fh.write(
                f'{{"id": "o{i}", "start": "c{a}", "end": "c{b}", "type": "OWNS", "share": {share}, '
                f'"sources": ["src-bench"]}}\n'
            )
        for i in rnd.sample(range(companies), companies // 100):
            fh.write(
                f'{{"start": "c{i}", "end": "{SDN}", "type": "LISTED_ON", "valid_from": "2020-01-01", '
                f'"sources": ["src-bench"]}}\n'
            )


def build(companies: int, owns: int) -> Path:
    """The store for these sizes, imported once and kept under var/bench/."""
    from graph.importer import import_dir

    store_path = ROOT / "var" / "bench" / f"ownership-{companies}-{owns}.lbdb"
    if store_path.is_file():
        return store_path
    data = ROOT / "var" / "bench" / f"ownership-{companies}-{owns}"
    started = time.perf_counter()
    generate(data, companies, owns)
    print(f"generated {companies:,} companies and {owns:,} OWNS in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with EmbeddedStore(store_path) as store:
        import_dir(store, data)
    print(f"imported into {store_path} in {time.perf_counter() - started:.1f} s")
    return store_path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_ofac(store_path: Path) -> dict[str, float]:
    started = time.perf_counter()
    with EmbeddedStore(store_path) as store:
        top = store.topology(types=["OWNS", "LISTED_ON"], as_of=AS_OF, properties=["share"])
    read = time.perf_counter() - started
    listed = top.edges.filter(np.asarray(top.rtype == top.types.index("LISTED_ON")))
    seeds = set(listed.column("start").to_pylist())
    results = ownership_rule(top, seeds)
    total = time.perf_counter() - started
    return {
        "read_s": read,
        "rule_s": total - read,
        "total_s": total,
        "peak_mb": peak_mb(),
        "listed": len(seeds),
        "blocked_lower": sum(r.blocked is True and not r.listed for r in results.values()),
        "undetermined": sum(r.blocked is None for r in results.values()),
        "with_blocked_owner": sum(not r.listed for r in results.values()),
    }


def pick_pairs(top: object, count: int, seed: int = 3) -> list[tuple[str, str, int]]:
    """Pairs of companies 4, 5 and 6 hops apart in the undirected OWNS graph."""
    rnd = random.Random(seed)
    indptr, neighbour, _ = top.csr(False, ["OWNS"])  # type: ignore[attr-defined]
    pairs: list[tuple[str, str, int]] = []
    while len(pairs) < count:
        s = rnd.randrange(top.n)  # type: ignore[attr-defined]
        want = 4 + len(pairs) % 3
        dist = bfs_distances(indptr, neighbour, s, want)
        at = np.flatnonzero(dist == want)
        if at.size:
            t = int(at[rnd.randrange(at.size)])
            pairs.append((top.id(s), top.id(t), want))  # type: ignore[attr-defined]
    return pairs


def measure_paths(store_path: Path, count: int, nx_count: int) -> dict[str, object]:
    import networkx as nx

    started = time.perf_counter()
    store = EmbeddedStore(store_path)
    top = store.topology(types=["OWNS"], as_of=AS_OF)
    top.csr(False, ["OWNS"])
    top.reverse_csr(["OWNS"])
    load = time.perf_counter() - started
    pairs = pick_pairs(top, count)
    ours, lady, nxs = [], [], []
    for a, b, _ in pairs:
        t0 = time.perf_counter()
        paths = influence_paths(top, a, b, k=5, types=["OWNS"], max_hops=6)
        ours.append(time.perf_counter() - t0)
        assert paths and paths[0].hops[0].sentence
        t0 = time.perf_counter()
        rows = store.query(
            "MATCH p = (a:Company {id: $a})-[r:OWNS* SHORTEST 1..6]-(b:Company {id: $b}) RETURN length(r)",
            {"a": a, "b": b},
            timeout=None,
        ).rows
        lady.append(time.perf_counter() - t0)
        assert rows and rows[0][0] == paths[0].length, (a, b, rows, paths[0].length)
    simple = nx.Graph()
    owns = top.rtype == top.types.index("OWNS")
    simple.add_edges_from(zip(top.src[owns].tolist(), top.dst[owns].tolist()))
    for a, b, _ in pairs[:nx_count]:
        t0 = time.perf_counter()
        found = []
        for p in nx.shortest_simple_paths(simple, top.index(a), top.index(b)):
            found.append(p)
            if len(found) == 5:
                break
        nxs.append(time.perf_counter() - t0)
    return {
        "load_s": load,
        "pairs": len(pairs),
        "ours_median_s": statistics.median(ours),
        "ours_max_s": max(ours),
        "shortest_median_s": statistics.median(lady),
        "networkx_median_s": statistics.median(nxs),
        "networkx_pairs": len(nxs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--owns", type=int, default=1_500_000)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--nx-pairs", type=int, default=5)
    parser.add_argument("--measure", choices=["ofac", "paths"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "ofac":
        print(json.dumps(measure_ofac(args.store)))
        return
    if args.measure == "paths":
        print(json.dumps(measure_paths(args.store, args.pairs, args.nx_pairs)))
        return
    store_path = build(args.companies, args.owns)

    def child(what: str) -> dict:
        cmd = [sys.executable, __file__, "--measure", what, "--store", str(store_path)]
        cmd += ["--pairs", str(args.pairs), "--nx-pairs", str(args.nx_pairs)]
        return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    o = child("ofac")
    print(
        f"ofac_50, all entities, {args.companies:,} companies / {args.owns:,} OWNS as of {AS_OF}: "
        f"{o['total_s']:.2f} s (read {o['read_s']:.2f} s + rule at both bounds {o['rule_s']:.2f} s), "
        f"peak {o['peak_mb']:,.0f} MB [targets: <= 10 s, <= 2,048 MB]"
    )
    print(
        f"  {o['listed']:,} listed; {o['blocked_lower']:,} blocked by ownership; {o['undetermined']:,} blocked "
        f"only at the upper bound; {o['with_blocked_owner']:,} with a blocked owner"
    )
    p = child("paths")
    print(
        f"k=5 influence paths, {p['pairs']} pairs 4-6 hops apart: median {p['ours_median_s'] * 1000:.0f} ms, "
        f"max {p['ours_max_s'] * 1000:.0f} ms [target: median <= 500 ms] (topology read once: {p['load_s']:.1f} s)"
    )
    print(
        f"  LadybugDB SHORTEST (1 path): median {p['shortest_median_s'] * 1000:.0f} ms -> ours/SHORTEST "
        f"{p['ours_median_s'] / p['shortest_median_s']:.2f}x the time for 5 paths"
    )
    print(
        f"  networkx.shortest_simple_paths (5 paths, {p['networkx_pairs']} pairs): median "
        f"{p['networkx_median_s'] * 1000:.0f} ms -> ratio networkx/ours {p['networkx_median_s'] / p['ours_median_s']:.2f}"
    )


if __name__ == "__main__":
    main()
