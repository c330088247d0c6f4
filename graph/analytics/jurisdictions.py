"""The EU and UK "owned or controlled" tests, each jurisdiction's test read from data, per entity and date.

A jurisdiction's test is an ``ExportControl`` node whose ``rule`` is
``owned_or_controlled`` (``data/curated/controls.yaml``): its ``threshold``,
whether the threshold is "more than" (``strict``) or "or more", whether
control other than ownership counts (``control_counts``: a ``CONTROLS``
relationship from a covered party, such as the right to appoint the board),
which lists seed it (``seed_lists``), and its dates. EU guidance covers an
entity more than 50% owned, or controlled, by a listed person; the UK (OFSI)
covers more than 50% of shares or voting rights, the right to appoint the
majority of the board, or control otherwise. Both are seeded by their own
lists and the UN list, where the graph holds them.

Coverage spreads: an entity a covered entity owns past the threshold, or
controls, is covered in turn. Shares are ranges (see
:func:`graph.analytics.ownership.ownership_rule`), so each entity is
``covered`` (at the lower bound), ``undecided`` (at the upper bound only) or
``not covered``, with its bounds, the stakes that count and the control ties.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for n in "XABC": g.add_node(n, label="Company", name=n)
>>> _ = g.add_edge("X", "L", key="l", type="LISTED_ON")
>>> _ = g.add_edge("X", "A", key="a", type="OWNS", share=50.0)
>>> _ = g.add_edge("X", "B", key="b", type="CONTROLS", kind="appointmentOfBoard")
>>> _ = g.add_edge("B", "C", key="c", type="OWNS", share=60.0)
>>> rule = {"id": "eu", "name": "EU test", "threshold": 50, "strict": True, "control_counts": True}
>>> out = coverage(g, rule, {"X"})
>>> {k: v["status"] for k, v in sorted(out.items())}  # A: 50% is not "more than 50%"
{'A': 'not covered', 'B': 'covered', 'C': 'covered', 'X': 'listed'}
>>> out["B"]["control"]
[{'controller': 'X', 'kind': 'appointmentOfBoard', 'edge': 'b'}]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from graph.analytics.ownership import ownership_rule
from graph.analytics.topology import Topology

RULE = "owned_or_controlled"
MAX_ROUNDS = 50  # ownership and control alternate; a chain deeper than this is cut, and the result says so


def coverage(g: nx.MultiDiGraph | Topology, rule: Mapping[str, Any], seeds: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Every entity a jurisdiction's test reaches from ``seeds`` (its listed parties), with its standing.

    ``g`` is a projection on the date (or its :class:`Topology`); ``rule`` the test's node properties.
    """
    top = g if isinstance(g, Topology) else Topology.from_networkx(g)
    threshold, strict = float(rule.get("threshold") or 50.0), bool(rule.get("strict"))
    controls = _controls(top) if rule.get("control_counts") else {}
    listed = {top.id(i) for i in top.indices(seeds).tolist()}
    if not listed:
        return {}
    low, high = set(listed), set(listed)
    # Each entity's stakes as the covered parties other than itself give them: once covered, an entity
    # seeds the next round, and a seed's own result is "listed", not its bounds.
    seen_low: dict[str, Any] = {}
    seen_high: dict[str, Any] = {}
    for _ in range(MAX_ROUNDS):
        at_low = ownership_rule(top, low, threshold, strict)
        at_high = ownership_rule(top, high, threshold, strict)
        seen_low |= {e: r for e, r in at_low.items() if e not in low}
        seen_high |= {e: r for e, r in at_high.items() if e not in high}
        # The ownership rule spreads through ownership by itself; only control can call for another round.
        low |= {e for e, r in at_low.items() if r.blocked is True}
        high |= {e for e, r in at_high.items() if r.blocked is not False}
        more_low, more_high = _controlled(controls, low) - low, _controlled(controls, high) - high
        if not more_low and not more_high:
            break
        low, high = low | more_low, high | more_high
    out: dict[str, dict[str, Any]] = {}
    for entity in high | set(seen_high):
        r_low, r_high = seen_low.get(entity), seen_high.get(entity)
        ties = [t for t in controls.get(entity, []) if t["controller"] in high]
        status = (
            "listed"
            if entity in listed
            else "covered"
            if entity in low
            else "undecided"
            if entity in high
            else "not covered"
        )
        if status == "not covered" and not (r_high and r_high.upper > 0):
            continue
        out[entity] = {
            "rule": rule.get("id"),
            "name": rule.get("name"),
            "jurisdiction": rule.get("jurisdiction"),
            "status": status,
            "lower": 100.0 if entity in listed else (r_low.lower if r_low else 0.0),
            "upper": 100.0 if entity in listed else (r_high.upper if r_high else 0.0),
            "contributions": [] if entity in listed or r_high is None else [c.as_dict() for c in r_high.contributions],
            "control": ties,
        }
    return out


def not_covered(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The standing of an entity the test does not reach: the same shape, so every answer reads alike."""
    return {
        "rule": rule.get("id"),
        "name": rule.get("name"),
        "jurisdiction": rule.get("jurisdiction"),
        "status": "not covered",
        "lower": 0.0,
        "upper": 0.0,
        "contributions": [],
        "control": [],
    }


def _controls(top: Topology) -> dict[str, list[dict[str, Any]]]:
    """Each controlled entity's ``CONTROLS`` ties: who controls it, how, through which edge."""
    out: dict[str, list[dict[str, Any]]] = {}
    code = top.types.index("CONTROLS") if "CONTROLS" in top.types else -1
    if code < 0:
        return out
    kinds = top.edges.column("kind").to_pylist() if "kind" in top.edges.column_names else [None] * len(top.src)
    ids = top.edges.column("id").to_pylist() if "id" in top.edges.column_names else list(range(len(top.src)))
    for i in (top.rtype == code).nonzero()[0].tolist():
        a, b = top.id(int(top.src[i])), top.id(int(top.dst[i]))
        out.setdefault(b, []).append({"controller": a, "kind": kinds[i], "edge": ids[i]})
    return out


def _controlled(controls: Mapping[str, list[dict[str, Any]]], covered: set[str]) -> set[str]:
    return {e for e, ties in controls.items() if any(t["controller"] in covered for t in ties)}
