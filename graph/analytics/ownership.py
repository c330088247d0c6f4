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

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from graph.analytics.topology import Topology, gather


@dataclass
class Contribution:
    """One blocked owner's stake in an entity, and the ownership path behind it."""

    owner: str
    share: float | None  # None when the stake's exact size is unknown
    path: list[str]
    low: float = 0.0  # the stake's bounds: a band (25-50%), 0-100 when unknown, both the share when exact
    high: float = 100.0

    def as_dict(self) -> dict[str, object]:
        return {"owner": self.owner, "share": self.share, "low": self.low, "high": self.high, "path": self.path}


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
        parts = [f"{stake_text(c.share, c.low, c.high)} via {c.owner}" for c in self.contributions]
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


def stake_text(share: float | None, low: float = 0.0, high: float = 100.0) -> str:
    """A stake as text: its share ("30%"), the band a source gives ("25–50%"), or "?" when nothing is known.

    >>> stake_text(30.0), stake_text(None, 25.0, 50.0), stake_text(None)
    ('30%', '25–50%', '?')
    """
    if share is not None:
        return _pct(share)
    if low <= 0 and high >= 100:
        return "?"
    return f"{round(low, 4):g}–{round(high, 4):g}%"


def _fixpoint(
    indptr: np.ndarray,
    owned: np.ndarray,
    share: np.ndarray,
    seeds: np.ndarray,
    threshold: float,
    strict: bool = False,
) -> np.ndarray:
    """The blocked set, as a mask: a worklist over owners, one vectorised round per chain depth.

    Each round adds the stakes of the owners blocked in the round before to
    what they own, and blocks what reaches the threshold. Every edge is
    counted once, when its owner becomes blocked, so a cycle cannot loop and
    the cost is linear in the edges.
    """
    blocked = np.zeros(len(indptr) - 1, dtype=bool)
    blocked[seeds] = True
    total = np.zeros(len(indptr) - 1)
    frontier = np.unique(seeds)
    while frontier.size:
        slots = gather(indptr, frontier)
        targets = owned[slots]
        np.add.at(total, targets, share[slots])
        touched = np.unique(targets)
        # A tolerance, so that stakes like 33.33% + 16.67% reach 50% (and, for "more than", do not pass it).
        reached = total[touched] > threshold + _EPS if strict else total[touched] >= threshold - _EPS
        frontier = touched[reached & ~blocked[touched]]
        blocked[frontier] = True
    return blocked


_EPS = 1e-9


def ownership_rule(
    g: nx.MultiDiGraph | Topology, seeds: Iterable[str], threshold: float = 50.0, strict: bool = False
) -> dict[str, RuleResult]:
    """Every entity with a blocked owner (at the upper bound), and every seed, with its result.

    ``g`` holds ``OWNS`` edges with ``share`` in percent (already filtered to
    an as-of date), as a projection or a :class:`Topology`; ``seeds`` are the
    listed parties. ``strict`` reads the threshold as "more than" (the EU and
    UK tests) rather than "or more" (OFAC's and BIS's).
    """
    top = g if isinstance(g, Topology) else Topology.from_networkx(g)
    seed_ids = set(seeds)
    seed_idx = top.indices(seed_ids)
    indptr, owned, edge = top.csr(directed=True, types=["OWNS"])
    owner = np.repeat(np.arange(top.n), np.diff(indptr))
    known = top.share[edge]
    unknown = np.isnan(known)
    # An exact share is a range of width zero; a band gives its ends; an unknown share is 0 to 100.
    band_low, band_high = np.nan_to_num(top.share_min[edge], nan=0.0), np.nan_to_num(top.share_max[edge], nan=100.0)
    low_share, high_share = np.where(unknown, band_low, known), np.where(unknown, band_high, known)
    low = _fixpoint(indptr, owned, low_share, seed_idx, threshold, strict)
    high = _fixpoint(indptr, owned, high_share, seed_idx, threshold, strict)
    n = top.n
    lower = np.minimum(100.0, np.bincount(owned, weights=np.where(low[owner], low_share, 0.0), minlength=n))
    upper = np.minimum(100.0, np.bincount(owned, weights=np.where(high[owner], high_share, 0.0), minlength=n))
    is_seed = np.zeros(n, dtype=bool)
    is_seed[seed_idx] = True
    results: dict[str, RuleResult] = {s: RuleResult(s, True, 100.0, 100.0, listed=True) for s in seed_ids}
    affected = np.flatnonzero(((lower > 0) | (upper > 0)) & ~is_seed)
    # Contributions: the OWNS slots whose owner is blocked at the upper bound, grouped by what they own.
    slots = np.flatnonzero(high[owner] & ~is_seed[owned])
    slots = slots[np.argsort(owned[slots], kind="stable")]
    bounds = np.searchsorted(owned[slots], affected), np.searchsorted(owned[slots], affected, side="right")
    ids = top.nodes.column("id").to_numpy(zero_copy_only=False)
    edge_ids = top.edges.column("id").to_numpy(zero_copy_only=False) if "id" in top.edges.column_names else edge
    for entity, first, last in zip(affected.tolist(), bounds[0].tolist(), bounds[1].tolist()):
        mine = slots[first:last]
        contributions = [
            Contribution(
                str(ids[o]), None if u else float(s), [str(ids[o]), str(ids[entity])], round(lo, 6), round(hi, 6)
            )
            for o, s, u, lo, hi in zip(
                owner[mine].tolist(),
                known[mine].tolist(),
                unknown[mine].tolist(),
                low_share[mine].tolist(),
                high_share[mine].tolist(),
            )
        ]
        doubtful = [str(edge_ids[edge[m]]) for m in mine.tolist() if unknown[m] or not low[owner[m]]]
        blocked = True if low[entity] else (False if not high[entity] else None)
        results[str(ids[entity])] = RuleResult(
            str(ids[entity]), blocked, float(lower[entity]), float(upper[entity]), False, contributions, doubtful
        )
    for r in results.values():
        for c in r.contributions:
            c.path = [*_chain(results, c.owner), r.entity]
    return results


def _chain(results: dict[str, RuleResult], entity: str) -> list[str]:
    """The ownership chain from a listed party down to ``entity``, through each link's largest blocked owner."""
    chain = [entity]
    seen = {entity}
    r = results.get(entity)
    while r is not None and not r.listed and r.contributions:
        top = max(r.contributions, key=lambda c: -1 if c.share is None else c.share)
        if top.owner in seen:
            break
        chain.append(top.owner)
        seen.add(top.owner)
        r = results.get(top.owner)
    return chain[::-1]
