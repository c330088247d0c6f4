"""Sanction exposure on an as-of date, broken into named, explained components.

Components (each with the facts or paths that justify it):

* ``direct``: the lists an entity is on that day, since when, with footnote and citation;
* ``ofac_50``: the OFAC 50 percent rule, seeded by ``us-ofac-sdn`` listings
  (see :mod:`graph.analytics.ownership`);
* ``bis_affiliates``: the same test seeded by Entity List parties, applied only
  while an ``ExportControl`` with ``rule: bis_affiliates_50`` is in force —
  its effective date, suspension window and end come from the data;
* ``licensing``: licences the entity takes from listed licensors, or grants
  while listed (see :mod:`graph.analytics.licensing`);
* ``supply_chain``: the inputs a company (with its group and its
  manufacturers) or a country needs, and the share of each that comes from
  controlling jurisdictions other than its own (see
  :func:`graph.analytics.supply.dependence_of`), computed when the caller
  passes the roles and stages it reads from (``supply=supply_facts(store)``).

The score is explainable by construction::

    score = min(100, direct + ofac_50 + bis_affiliates + licensing + supply_chain)
    direct          = 100 if on a blocking list (SDN), else 60 for the Entity List
                      plus 25 for each other list
    ofac_50         = 90 if blocked, 45 if blocked only at the upper bound
    bis_affiliates  = 60 if covered, 30 if covered only at the upper bound
    licensing       = 10 if the entity licenses from a listed licensor
    supply_chain    = 10 if an input it needs comes 50% or more from controlling
                      jurisdictions other than its own
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph.analytics.jurisdictions import RULE as JURISDICTION_RULE
from graph.analytics.jurisdictions import coverage, not_covered
from graph.analytics.licensing import listed_ties
from graph.analytics.ownership import RuleResult, ownership_rule
from graph.analytics.supply import ROLE_STAGES, SupplyFacts, dependence_of
from graph.analytics.topology import Topology

SDN = "us-ofac-sdn"
ENTITY_LIST = "us-bis-entity-list"
FORMULA = (
    "score = min(100, direct + ofac_50 + bis_affiliates + licensing + supply_chain); direct: 100 blocking list, "
    "60 Entity List, 25 other list; ofac_50: 90 blocked, 45 at upper bound only; bis_affiliates: 60 covered, 30 at "
    "upper bound only; licensing: 10 if licensee of a listed licensor; supply_chain: 10 if an input it needs comes "
    "50% or more from controlling jurisdictions other than its own"
)


@dataclass
class Exposure:
    """One entity's exposure on a date."""

    id: str
    name: str
    score: float
    components: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "score": self.score,
            "formula": FORMULA,
            "components": self.components,
        }


def rule_in_force(rule: Mapping[str, Any], as_of: dt.date) -> bool:
    """True when an ExportControl applies on ``as_of``: effective, not suspended, not ended."""
    effective, ended = rule.get("effective"), rule.get("ended")
    s_from, s_to = rule.get("suspended_from"), rule.get("suspended_to")
    if effective is None or effective > as_of or (ended is not None and ended <= as_of):
        return False
    return not (s_from is not None and s_from <= as_of and (s_to is None or as_of <= s_to))


def rule_coverage(g: nx.MultiDiGraph, as_of: dt.date, rules: Iterable[Mapping[str, Any]] = ()) -> list[str]:
    """Why the ownership rules' columns hold what they hold on ``as_of``, in one sentence per rule.

    An empty ``ofac_50`` column reads as "nobody is blocked through ownership" unless it says that no owner in
    the graph is on the SDN list; so each sentence gives the counts it rests on.
    """
    owns = [(a, b) for a, b, d in g.edges(data=True) if d.get("type") == "OWNS"]
    listed: dict[str, set[str]] = {}
    for a, b, d in g.edges(data=True):
        if d.get("type") == "LISTED_ON":
            listed.setdefault(b, set()).add(a)
    out = []
    for lst, rule in ((SDN, "OFAC 50% rule (ofac_50)"), (ENTITY_LIST, "BIS affiliates rule (bis_affiliates)")):
        owners = {a for a, _ in owns if a in listed.get(lst, ())}
        name = g.nodes[lst].get("name", lst) if lst in g else lst
        text = (
            f"{rule}: {len(owners):,} owner{'' if len(owners) == 1 else 's'} listed on {name} among "
            f"{len(owns):,} ownership edges on {as_of}"
        )
        if lst == ENTITY_LIST:
            states = [rule_in_force(r, as_of) for r in rules if r.get("rule") == "bis_affiliates_50"]
            text += "; the rule is " + ("in force" if any(states) else "not in force on this date")
        out.append(text + ("" if owners else ", so nobody is covered through ownership") + ".")
    return out


def _listings(g: nx.MultiDiGraph) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for a, b, data in g.edges(data=True):
        if data.get("type") == "LISTED_ON":
            out.setdefault(a, []).append(
                {
                    "list": b,
                    "list_name": g.nodes[b].get("name", b),
                    # An undated listing still counts: the analyst sees it flagged, never "not listed".
                    "since": data.get("valid_from"),
                    "date_known": data.get("valid_from") is not None,
                    "since_text": data["valid_from"].isoformat() if data.get("valid_from") else "date not in source",
                    "footnote": data.get("footnote"),
                    "citation": data.get("citation"),
                    "sources": data.get("sources", []),
                    "confidence": data.get("confidence", "high"),
                }
            )
    # Oldest first, undated last, then by list: the same order whatever order the store returned them in.
    for entries in out.values():
        entries.sort(
            key=lambda x: (
                x["since"] is None,
                x["since"] or dt.date.min,
                x["list"],
                str(x["citation"]),
                str(x["footnote"]),
            )
        )
    return out


def _dependences(g: nx.MultiDiGraph, supply: SupplyFacts) -> dict[str, dict[str, Any]]:
    """Supply dependence of every company and country that needs any input."""
    roles, stages = supply
    # Only parties in the supply chain have a dependence: companies with a producing role or
    # with providers, products or inputs, and countries with CSET shares of their own.
    candidates = {c for c, rs in roles.items() if any(r in ROLE_STAGES for r in rs)}
    for a, b, d in g.edges(data=True):
        t = d.get("type")
        if t in ("MANUFACTURES_FOR", "SUPPLIES") and g.nodes[b].get("label") == "Company":
            candidates.add(b)
        elif (t, g.nodes[a].get("label")) in {("USES", "Company"), ("MAKES", "Company"), ("SUPPLIES", "Country")}:
            candidates.add(a)
    out: dict[str, dict[str, Any]] = {}
    memo: dict[Any, Any] = {}
    for n in sorted(candidates):
        if n in g:
            dep = dependence_of(g, n, roles, stages, memo=memo)
            if dep["inputs"]:
                out[n] = dep
    return out


def _rule_component(r: RuleResult | None) -> dict[str, Any]:
    """An ownership rule's part of the components, with its bounds whether or not the rule touches the entity.

    A listed party is the rule's seed (100%, blocked); an entity no blocked owner reaches has 0% at
    both bounds. Only entities the rule reaches through ownership have an explanation.
    """
    if r is not None and not r.listed:
        return r.as_dict()
    bound = 100.0 if r is not None else 0.0
    return {
        "blocked": r is not None,
        "listed": r is not None,
        "aggregate": bound,
        "lower": bound,
        "upper": bound,
        "contributions": [],
        "unknown_edges": [],
    }


def _rule_points(r: RuleResult | None, full: float) -> float:
    if r is None or r.listed or r.blocked is False:
        return 0.0
    return full if r.blocked else full / 2


def sanction_exposure(
    g: nx.MultiDiGraph,
    as_of: dt.date,
    rules: Iterable[Mapping[str, Any]] = (),
    blocking_lists: Iterable[str] = (SDN,),
    supply: SupplyFacts | None = None,
    keep: Iterable[str] = (),
) -> list[Exposure]:
    """Exposure of every entity with any component, highest score first.

    ``g`` is a projection valid on ``as_of`` (``store.projection(as_of=...)``);
    ``rules`` are the ExportControl nodes that carry a ``rule`` code;
    ``supply`` is :func:`~graph.analytics.supply.supply_facts` of the store,
    without which the supply_chain component is left out. Entities in
    ``keep`` are in the result even at score 0, with every component empty,
    so that asking about one entity always has an answer of the same shape.

    >>> g = nx.MultiDiGraph()
    >>> g.add_node("acme", label="Company", name="Acme")
    >>> sanction_exposure(g, dt.date(2024, 1, 1))
    []
    >>> (e,) = sanction_exposure(g, dt.date(2024, 1, 1), keep=["acme"])
    >>> e.score, e.components["ofac_50"]["blocked"], e.components["ofac_50"]["upper"]
    (0.0, False, 0.0)
    """
    keep = {k for k in keep if k in g}
    rules = list(rules)
    blocking = set(blocking_lists)
    listings = _listings(g)
    sdn = {e for e, ls in listings.items() if any(x["list"] == SDN for x in ls)}
    owns = Topology.from_networkx(g)  # one array form for both ownership rules
    ofac = ownership_rule(owns, sdn)
    affiliates: dict[str, RuleResult] = {}
    rule_notes: list[dict[str, Any]] = []
    for rule in rules:
        if rule.get("rule") != "bis_affiliates_50":
            continue
        active = rule_in_force(rule, as_of)
        rule_notes.append({"id": rule.get("id"), "name": rule.get("name"), "in_force": active})
        if active:
            el = {e for e, ls in listings.items() if any(x["list"] == ENTITY_LIST for x in ls)}
            affiliates = ownership_rule(owns, el, float(rule.get("threshold") or 50.0))
    # Each jurisdiction's owned-or-controlled test in force on the date (EU, UK), seeded by its own lists.
    tests = [r for r in rules if r.get("rule") == JURISDICTION_RULE and rule_in_force(r, as_of)]
    standing: dict[str, dict[str, dict[str, Any]]] = {}
    for test in tests:
        seeds = {e for e, ls in listings.items() if any(x["list"] in (test.get("seed_lists") or []) for x in ls)}
        for entity, result in coverage(owns, test, seeds).items():
            standing.setdefault(entity, {})[str(test.get("id"))] = result
    ties: dict[str, list[dict[str, Any]]] = {}
    # In the order of the licences' ids, not the store's: both stores give the same answer.
    for tie in sorted(listed_ties(g), key=lambda t: t.edge):
        ties.setdefault(tie.licensee, []).append(tie.__dict__ | {"role": "licensee"})
        ties.setdefault(tie.licensor, []).append(tie.__dict__ | {"role": "licensor"})
    dependence = _dependences(g, supply) if supply is not None else {}
    out = []
    for entity in set(listings) | set(ofac) | set(affiliates) | set(ties) | set(dependence) | set(standing) | keep:
        direct = listings.get(entity, [])
        if any(x["list"] in blocking for x in direct):
            d_points = 100.0
        else:
            d_points = sum(60.0 if x["list"] == ENTITY_LIST else 25.0 for x in direct)
        o, a = ofac.get(entity), affiliates.get(entity)
        own_ties = ties.get(entity, [])
        l_points = 10.0 if any(t["role"] == "licensee" and t["licensor_lists"] for t in own_ties) else 0.0
        dep = dependence.get(entity)
        s_points = 10.0 if dep and dep["dependent_inputs"] else 0.0
        points = {
            "direct": d_points,
            "ofac_50": _rule_points(o, 90.0),
            "bis_affiliates": _rule_points(a, 60.0),
            "licensing": l_points,
            "supply_chain": s_points,
        }
        score = min(100.0, sum(points.values()))
        components: dict[str, Any] = {
            "points": points,
            "direct": direct,
            "ofac_50": _rule_component(o),
            "bis_affiliates": _rule_component(a) | {"rules": rule_notes},
            "licensing": own_ties,
            "supply_chain": dep or {},
            # Reported, not scored: what each jurisdiction's test says (covered, undecided, not covered).
            "jurisdictions": {
                str(t.get("id")): standing.get(entity, {}).get(str(t.get("id"))) or not_covered(t) for t in tests
            },
        }
        reached = any(x["status"] in ("covered", "undecided") for x in components["jurisdictions"].values())
        if score > 0 or entity in keep or reached:
            out.append(Exposure(entity, g.nodes[entity].get("name", entity), score, components))
    out.sort(key=lambda e: (-e.score, e.name.lower(), e.id))
    return out
