"""Ownership-chain blocking rules: the OFAC 50 percent rule and the BIS affiliates rule.

OFAC's guidance of 13 August 2014: an entity is blocked when one or more
blocked persons together own 50% or more of it, directly or indirectly.
Indirect ownership counts only through entities that are themselves blocked.
That makes blocking a fixpoint over ``OWNS`` shares, not a hop count: start
from the listed parties, and block every entity whose blocked owners' shares
add up to the threshold, until nothing changes. It terminates on ownership
cycles because the blocked set only grows.

Unknown shares (``share`` null) are reported as bounds: the lower bound counts
them as 0%, the upper bound as 100% (capped at 100% per entity), and
``blocked`` is None when the bounds disagree.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> _ = g.add_edge("X", "A", key="1", type="OWNS", share=30.0)
>>> _ = g.add_edge("Y", "A", key="2", type="OWNS", share=22.0)
>>> r = ownership_rule(g, {"X", "Y"})["A"]
>>> r.blocked, r.explain()
(True, '52% = 30% via X + 22% via Y')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx


@dataclass
class Contribution:
    """One blocked owner's stake in an entity, and the ownership path behind it."""

    owner: str
    share: float | None  # None when the stake's size is unknown
    path: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"owner": self.owner, "share": self.share, "path": self.path}


@dataclass
class RuleResult:
    """An entity's standing under an ownership rule."""

    entity: str
    blocked: bool | None  # None: blocked at the upper bound only
    lower: float
    upper: float
    listed: bool = False
    contributions: list[Contribution] = field(default_factory=list)
    unknown_edges: list[str] = field(default_factory=list)

    @property
    def aggregate(self) -> float:
        return self.lower

    def explain(self) -> str:
        """``52% = 30% via A + 22% via B``; unknown stakes appear as ``?``."""
        if self.listed:
            return "listed"
        parts = [
            f"{_pct(c.share)} via {c.owner}" if c.share is not None else f"? via {c.owner}" for c in self.contributions
        ]
        head = _pct(self.lower) if self.lower == self.upper else f"{_pct(self.lower)} to {_pct(self.upper)}"
        return f"{head} = " + " + ".join(parts) if parts else head

    def as_dict(self) -> dict[str, object]:
        return {
            "blocked": self.blocked,
            "listed": self.listed,
            "aggregate": self.lower,
            "lower": self.lower,
            "upper": self.upper,
            "explanation": self.explain(),
            "contributions": [c.as_dict() for c in self.contributions],
            "unknown_edges": self.unknown_edges,
        }


def _pct(x: float | None) -> str:
    return "?" if x is None else f"{x:g}%"


def _owners(g: nx.MultiDiGraph) -> dict[str, list[tuple[str, float | None, str]]]:
    """For each owned entity: (owner, share, edge id) of every OWNS edge into it."""
    out: dict[str, list[tuple[str, float | None, str]]] = defaultdict(list)
    for a, b, key, data in g.edges(keys=True, data=True):
        if data.get("type") == "OWNS" and a != b:
            out[b].append((a, data.get("share"), key))
    return out


def _fixpoint(
    owners: dict[str, list[tuple[str, float | None, str]]], seeds: set[str], threshold: float, unknown: float
) -> set[str]:
    blocked = set(seeds)
    changed = True
    while changed:
        changed = False
        for entity, stakes in owners.items():
            if entity in blocked:
                continue
            total = min(100.0, sum(unknown if s is None else s for o, s, _ in stakes if o in blocked))
            if total >= threshold:
                blocked.add(entity)
                changed = True
    return blocked


def ownership_rule(g: nx.MultiDiGraph, seeds: Iterable[str], threshold: float = 50.0) -> dict[str, RuleResult]:
    """Every entity with a blocked owner (at the upper bound), and every seed, with its result.

    ``g`` holds ``OWNS`` edges with ``share`` in percent (already filtered to
    an as-of date); ``seeds`` are the listed parties.
    """
    seed_set = set(seeds)
    owners = _owners(g)
    low = _fixpoint(owners, seed_set, threshold, unknown=0.0)
    high = _fixpoint(owners, seed_set, threshold, unknown=100.0)
    results: dict[str, RuleResult] = {s: RuleResult(s, True, 100.0, 100.0, listed=True) for s in seed_set}
    for entity, stakes in owners.items():
        if entity in seed_set:
            continue
        lower = min(100.0, sum(s or 0.0 for o, s, _ in stakes if o in low))
        upper = min(100.0, sum(100.0 if s is None else s for o, s, _ in stakes if o in high))
        if upper == 0.0 and lower == 0.0:
            continue
        contributions = [Contribution(o, s, [o, entity]) for o, s, _ in stakes if o in high]
        unknown = [key for o, s, key in stakes if o in high and (s is None or o not in low)]
        blocked = True if entity in low else (False if entity not in high else None)
        results[entity] = RuleResult(entity, blocked, lower, upper, False, contributions, unknown)
    for r in results.values():
        for c in r.contributions:
            c.path = [*_chain(results, c.owner), r.entity]
    return results


def _chain(results: dict[str, RuleResult], entity: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The ownership chain from a listed party down to ``entity``, through its largest blocked owner."""
    r = results.get(entity)
    if r is None or r.listed or not r.contributions or entity in seen:
        return [entity]
    top = max(r.contributions, key=lambda c: -1 if c.share is None else c.share)
    return [*_chain(results, top.owner, seen | {entity}), entity]
