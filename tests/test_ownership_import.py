"""The OFAC 50% rule from the command line, on ownership graphs imported in any order into both stores.

Shares are a mix of known and unknown, and the import files are shuffled, so
the first ``OWNS`` edge a store returns may carry no share. The answer must
not depend on it: ``exposure --format json`` agrees with the rule read
literally, at both bounds (unknown shares as 0% and as 100%).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pytest

from graph.analytics.topology import Topology, edge_table
from graph.store.base import GraphStore
from tests.test_analytics import reference_blocked
from tests.test_import_cli import run, target

SOURCE = {"id": "src-rnd", "publisher": "Tests", "title": "Random ownership", "date": "2024-01-01", "url": "file:///t"}


def random_ownership(seed: int) -> tuple[list[str], list[tuple[str, str, float | None]], set[str]]:
    """Companies, stakes (owner, owned, share or None) with no duplicate pair, and the SDN-listed seeds."""
    rnd = random.Random(seed)
    companies = [f"c{i:02d}" for i in range(rnd.randint(12, 30))]
    pairs = {(rnd.choice(companies), rnd.choice(companies)) for _ in range(rnd.randint(15, 60))}
    stakes = [(a, b, rnd.choice([None, 10.0, 20.0, 25.0, 30.0, 49.5, 50.0, 60.0])) for a, b in sorted(pairs) if a != b]
    seeds = set(rnd.sample(companies[1:], 3))
    # The first company written owns one stake of unknown share and nothing else, so the first
    # edge a store returns has no share: the case that once dropped every share.
    stakes = [(a, b, s) for a, b, s in stakes if a != companies[0]]
    rnd.shuffle(stakes)
    return companies, [(companies[0], companies[1], None), *stakes], seeds


def write_import(directory: Path, companies: list[str], stakes: list, seeds: set[str], seed: int) -> None:
    rnd = random.Random(seed)
    directory.mkdir()
    nodes = [{"id": c, "label": "Company", "name": c.upper(), "sources": ["src-rnd"]} for c in companies]
    nodes.append({"id": "us-ofac-sdn", "label": "SanctionList", "name": "SDN", "sources": ["src-rnd"]})
    nodes[1:] = rnd.sample(nodes[1:], len(nodes) - 1)
    edges = [
        {"type": "OWNS", "start": a, "end": b, "sources": ["src-rnd"], **({} if s is None else {"share": s})}
        for a, b, s in stakes
    ]
    edges += [
        {"type": "LISTED_ON", "start": c, "end": "us-ofac-sdn", "valid_from": "2020-01-01", "sources": ["src-rnd"]}
        for c in sorted(seeds)
    ]
    edges[1:] = rnd.sample(edges[1:], len(edges) - 1)
    for name, rows in (("sources.jsonl", [SOURCE]), ("nodes.jsonl", nodes), ("edges.jsonl", edges)):
        (directory / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_edge_columns_come_from_the_schema_not_the_first_row() -> None:
    edges = edge_table(
        [{"start": "a", "end": "b", "type": "LISTED_ON"}, {"start": "x", "end": "b", "type": "OWNS", "share": 60}]
    )
    assert edges.column("share").to_pylist() == [None, 60.0]
    assert edges.schema.field("valid_from").type == pa.date32()
    t = Topology.from_networkx(_owns_after_unknown())
    assert t.share[1] == 60.0


def _owns_after_unknown():  # type: ignore[no-untyped-def]
    import networkx as nx

    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key="e0", type="OWNS")
    g.add_edge("x", "b", key="e1", type="OWNS", share=60.0)
    return g


@pytest.mark.parametrize("seed", range(4))
def test_cli_exposure_agrees_with_the_literal_rule_at_both_bounds(store: GraphStore, tmp_path: Path, seed: int) -> None:
    companies, stakes, seeds = random_ownership(seed)
    write_import(tmp_path / "import", companies, stakes, seeds, seed)
    res = run("import", str(tmp_path / "import"), *target(store))
    assert res.returncode == 0, res.stderr
    res = run("exposure", "--as-of", "2024-06-01", "--format", "json", *target(store))
    assert res.returncode == 0, res.stderr
    got = {r["id"]: r["components"].get("ofac_50", {}).get("blocked", False) for r in json.loads(res.stdout)}

    lower = reference_blocked([(a, b, s or 0.0) for a, b, s in stakes], seeds)
    upper = reference_blocked([(a, b, 100.0 if s is None else s) for a, b, s in stakes], seeds)
    for c in sorted(set(companies) - seeds):
        expected = True if c in lower else (None if c in upper else False)
        assert got.get(c, False) == expected, (c, stakes)
