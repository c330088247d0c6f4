"""Import throughput: our `import` into each store, beside LadybugDB's own COPY FROM.

    python bench/load.py [--nodes 100000] [--edges 500000] [--skip-neo4j]

Generates a synthetic graph with the real schema (companies, countries, a
source; OWNS, SUPPLIES and HEADQUARTERED_IN edges), writes it in the canonical
import format, then times:

* ``import`` into a fresh embedded store (parse, validate, write);
* LadybugDB's ``COPY FROM`` of the same rows from CSV into a fresh file with
  the same DDL, as the baseline;
* ``import`` into Neo4j (started with tools/neo4j/server.py when needed), three
  times (median printed), and the server creating rows of the same shape by itself.

Targets: embedded >= 0.5 of the COPY baseline; Neo4j >= 30,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ladybug  # noqa: E402
import neo4j  # noqa: E402

from graph.importer import import_dir  # noqa: E402
from graph.schema import load_schema  # noqa: E402
from graph.store.embedded import EmbeddedStore  # noqa: E402

COUNTRIES = ["CHN", "USA", "NLD", "JPN", "KOR", "TWN", "DEU", "GBR", "FRA", "SGP"]


def generate(directory: Path, n_nodes: int, n_edges: int, seed: int = 7) -> dict[str, int]:
    """Write sources.jsonl, nodes.jsonl and edges.jsonl; also CSVs for the COPY baseline."""
    rnd = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    n_companies = n_nodes - len(COUNTRIES) - 1
    with open(directory / "sources.jsonl", "w") as fh:
        fh.write(
            json.dumps(
                {
                    "id": "src-bench",
                    "publisher": "bench",
                    "title": "Synthetic",
                    "url": "file:///bench",
                    "license": "CC0",
                }
            )
            + "\n"
        )
    companies = [f"c{i}" for i in range(n_companies)]
    with open(directory / "nodes.jsonl", "w") as fh:
        for c in COUNTRIES:
            fh.write(json.dumps({"id": c, "label": "Country", "name": c, "sources": ["src-bench"]}) + "\n")
        for i, c in enumerate(companies):
            fh.write(
                json.dumps(
                    {
                        "id": c,
                        "label": "Company",
                        "name": f"Company {i}",
                        "country": rnd.choice(COUNTRIES),
                        "roles": ["foundry"],
                        "sources": ["src-bench"],
                    }
                )
                + "\n"
            )
    counts = {"HEADQUARTERED_IN": 0, "OWNS": 0, "SUPPLIES": 0}
    with open(directory / "edges.jsonl", "w") as fh:
        for i in range(n_edges):
            kind = "HEADQUARTERED_IN" if i < min(n_companies, n_edges // 5) else rnd.choice(("OWNS", "SUPPLIES"))
            if kind == "HEADQUARTERED_IN":
                rec = {"id": f"e{i}", "type": kind, "start": companies[i], "end": rnd.choice(COUNTRIES)}
            else:
                a, b = rnd.sample(companies, 2)
                share = None if rnd.random() < 0.1 else round(rnd.uniform(1, 100), 1)
                rec = {"id": f"e{i}", "type": kind, "start": a, "end": b, "share": share, "valid_from": "2020-01-01"}
            rec["sources"] = ["src-bench"]
            counts[kind] += 1
            fh.write(json.dumps(rec) + "\n")
    return counts


def copy_baseline(directory: Path, db_path: Path) -> float:
    """LadybugDB's own COPY FROM of the same rows (CSV files written beforehand, not timed)."""
    schema = load_schema()
    csv_dir = directory / "csv"
    csv_dir.mkdir(exist_ok=True)
    nodes: dict[str, list[dict]] = {}
    with open(directory / "nodes.jsonl") as fh:
        for line in fh:
            rec = json.loads(line)
            nodes.setdefault(rec.pop("label"), []).append(rec)
    nodes["Source"] = [
        {
            "id": "src-bench",
            "name": "Synthetic",
            "publisher": "bench",
            "title": "Synthetic",
            "url": "file:///bench",
            "sources": ["src-bench"],
        }
    ]
    edges: dict[tuple[str, str, str], list[dict]] = {}
    labels = {r["id"]: lab for lab, rs in nodes.items() for r in rs}
    with open(directory / "edges.jsonl") as fh:
        for line in fh:
            rec = json.loads(line)
            edges.setdefault((rec["type"], labels[rec["start"]], labels[rec["end"]]), []).append(rec)

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, list):
            return "[" + ",".join(v) + "]"
        return str(v)

    files = []
    for label, rows in nodes.items():
        cols = list(schema.labels[label].properties)
        path = csv_dir / f"{label}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            w.writerows([[cell(r.get(c)) for c in cols] for r in rows])
        files.append((label, path, None))
    for (rel, a, b), rows in edges.items():
        cols = list(schema.relationships[rel].properties)
        path = csv_dir / f"{rel}_{a}_{b}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["from", "to", *cols])
            w.writerows([[r["start"], r["end"], *[cell(r.get(c)) for c in cols]] for r in rows])
        files.append((rel, path, (a, b)))
    db = ladybug.Database(str(db_path))
    conn = ladybug.Connection(db)
    for ddl in schema.ladybug_ddl():
        conn.execute(ddl)
    started = time.perf_counter()
    for table, path, pair in files:
        opts = "HEADER=true" + (f", from='{pair[0]}', to='{pair[1]}'" if pair else "")
        conn.execute(f"COPY {table} FROM '{path}' ({opts})")
    elapsed = time.perf_counter() - started
    conn.close()
    db.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=500_000)
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="Neo4j imports to time (median printed)")
    args = ap.parse_args()
    rows = args.nodes + args.edges
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "import"
        counts = generate(d, args.nodes, args.edges)
        print(f"synthetic graph: {args.nodes:,} nodes, {args.edges:,} relationships {counts}")

        baseline = copy_baseline(d, Path(tmp) / "copy.lbdb")
        print(f"LadybugDB COPY FROM (baseline): {baseline:6.2f} s  {rows / baseline:>10,.0f} rows/s")

        store = EmbeddedStore(Path(tmp) / "ours.lbdb")
        started = time.perf_counter()
        import_dir(store, d)
        ours = time.perf_counter() - started
        print(
            f"embedded import (ours):         {ours:6.2f} s  {rows / ours:>10,.0f} rows/s  "
            f"ratio to COPY {baseline / ours:.2f} (target >= 0.5)"
        )
        started = time.perf_counter()
        import_dir(store, d)
        again = time.perf_counter() - started
        print(f"embedded re-import (all exist): {again:6.2f} s  {rows / again:>10,.0f} rows/s")
        store.close()

        if not args.skip_neo4j:
            neo4j_runs(d, rows, args.nodes, counts, args.repeat)


def neo4j_runs(directory: Path, rows: int, n_nodes: int, counts: dict[str, int], repeat: int) -> None:
    """Time ``import`` into Neo4j ``repeat`` times, each into an emptied database, then the server's own rate.

    The baseline is the server creating rows of the same shape by itself, from
    ``UNWIND range(...)`` in as many parallel sessions as the store uses, with no
    client, no parameters and no validation: the most Cypher writes can do on
    this machine, against which our throughput is a ratio.
    """
    spec = importlib.util.spec_from_file_location("server", ROOT / "tools" / "neo4j" / "server.py")
    server = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(server)  # type: ignore[union-attr]
    uri = server.start()
    from graph.store.neo4j_store import Neo4jStore

    neo = Neo4jStore(uri, "neo4j", server.PASSWORD)
    times = []
    for run in range(1, repeat + 1):
        neo.clear()
        started = time.perf_counter()
        import_dir(neo, directory)
        times.append(time.perf_counter() - started)
        print(f"Neo4j import (ours), run {run}:     {times[-1]:6.2f} s  {rows / times[-1]:>10,.0f} rows/s")
    median = statistics.median(times)
    print(f"Neo4j import (ours), median:    {median:6.2f} s  {rows / median:>10,.0f} rows/s  (target >= 30,000)")
    neo.clear()
    neo.close()

    n_companies = n_nodes - len(COUNTRIES) - 1
    rate = server_rate(uri, server.PASSWORD, n_companies, sum(counts.values()))
    own = rows / rate
    print(
        f"Neo4j creating rows itself:     {own:6.2f} s  {rate:>10,.0f} rows/s  "
        f"(no client; ours is {own / median:.2f} of it)"
    )


def server_rate(uri: str, password: str, nodes: int, edges: int) -> float:
    """Rows per second that the server writes by itself: ``nodes`` companies, then ``edges`` ownership links.

    It creates them from ``UNWIND range(...)`` in as many parallel sessions and
    chunks as the store uses, with no client, no parameters and no
    validation, then deletes everything: run it on an empty database.
    """
    from graph.store.neo4j_store import BATCH, WRITERS

    driver = neo4j.GraphDatabase.driver(uri, auth=("neo4j", password))
    node_query = (
        "UNWIND range($lo, $hi - 1) AS i CREATE (:Company {id: 'c' + i, name: 'Company ' + i, "
        "country: 'CHN', roles: ['foundry'], sources: ['src-bench']})"
    )
    edge_query = (
        "UNWIND range($lo, $hi - 1) AS i "
        "MATCH (a:Company {id: 'c' + toInteger(rand() * $n)}) MATCH (b:Company {id: 'c' + toInteger(rand() * $n)}) "
        "CREATE (a)-[:OWNS {id: 'e' + i, share: 50.0, valid_from: date('2020-01-01'), sources: ['src-bench']}]->(b)"
    )

    def chunk(query: str, lo: int, hi: int) -> None:
        with driver.session() as s:
            s.execute_write(lambda tx: tx.run(query, lo=lo, hi=hi, n=nodes).consume())

    def phase(query: str, total: int) -> None:
        with ThreadPoolExecutor(WRITERS) as pool:
            for f in [pool.submit(chunk, query, lo, min(lo + BATCH, total)) for lo in range(0, total, BATCH)]:
                f.result()

    started = time.perf_counter()
    phase(node_query, nodes)
    phase(edge_query, edges)
    seconds = time.perf_counter() - started
    with driver.session() as s:
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    driver.close()
    return (nodes + edges) / seconds


if __name__ == "__main__":
    main()
