"""Screening 1,000 names in one batch against the real graph, on the embedded store (and Neo4j).

    python bench/screen.py [--store PATH] [--names 1000] [--neo4j]

The batch is half names of the graph's own parties, written as a client's
list would write them (upper case, legal form spelt out or cut, words
reordered), and half names that are not in the graph. It prints the time to
index the graph's names and compute every entity's exposure on the date (once
per graph and date, cached by the app), the time of the batch itself, and how
many names matched.

Target: 1,000 names in at most 10 s on the embedded store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph import settings as settings_mod  # noqa: E402
from graph.screen import Screener, party_records  # noqa: E402
from graph.screen_input import Query  # noqa: E402
from graph.store import GraphStore, open_store  # noqa: E402

FORMS = {"Co., Ltd.": "Company Limited", "Company Limited": "Co Ltd", "Limited": "Ltd", "Corporation": "Corp."}


def client_spelling(name: str, rng: random.Random) -> str:
    """A name as a client's list might hold it."""
    for a, b in FORMS.items():
        if a in name and rng.random() < 0.7:
            name = name.replace(a, b)
    words = name.split()
    if len(words) > 2 and rng.random() < 0.2:
        words[0], words[1] = words[1], words[0]
    name = " ".join(words)
    return name.upper() if rng.random() < 0.5 else name


def batch(store: GraphStore, n: int, seed: int = 7) -> list[Query]:
    rng = random.Random(seed)
    records, _ = party_records(store)
    known = [client_spelling(r.names[0], rng) for r in rng.sample(records, n // 2)]
    syllables = ["zor", "vek", "tal", "qui", "mon", "dra", "pex", "lun", "sar", "iko"]
    unknown = [
        " ".join("".join(rng.choice(syllables) for _ in range(3)).title() for _ in range(2)) + " Trading Ltd"
        for _ in range(n - len(known))
    ]
    names = known + unknown
    rng.shuffle(names)
    return [Query(name, row=i) for i, name in enumerate(names, start=1)]


def run(store: GraphStore, n: int) -> float:
    settings = settings_mod.load()
    queries = batch(store, n)
    started = time.perf_counter()
    screener = Screener(store, dt.date.today(), settings.match_threshold)
    ready = time.perf_counter() - started
    started = time.perf_counter()
    results = screener.screen(queries)
    took = time.perf_counter() - started
    matched = sum(1 for r in results if r.matches)
    print(
        f"{store.kind}: index of {len(screener.index):,} parties + exposure on the date {ready:.2f} s (once per "
        f"graph and date); {len(queries):,} names screened in {took:.2f} s ({len(queries) / took:,.0f} names/s); "
        f"{matched:,} matched; first batch in all {ready + took:.2f} s"
    )
    return ready + took


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--store", type=Path, help="embedded store (default: var/graph.lbdb; `python -m graph build`)")
    p.add_argument("--names", type=int, default=1000)
    p.add_argument("--neo4j", action="store_true", help="also on $NEO4J_URI")
    args = p.parse_args()
    settings = settings_mod.load(store_path=args.store, neo4j_uri="")
    with open_store(settings) as store:
        total = run(store, args.names)
    print(f"embedded: {args.names:,} names in {total:.2f} s (target <= 10 s)")
    if args.neo4j:
        with open_store(settings_mod.load()) as store:
            run(store, args.names)


if __name__ == "__main__":
    main()
