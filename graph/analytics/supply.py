"""Supply-chain dependence: who supplies each input, by provider and by country, and where the chokepoints are.

For every ``Technology`` with ``SUPPLIES`` edges (CSET's market shares), the
shares are gathered by provider and by country. A country's share is CSET's own
country-level figure where CSET gives one, and otherwise the sum of its
companies' shares (by ``HEADQUARTERED_IN``). An input is a chokepoint when a
single provider or a single country holds 50% or more. ``controlling`` is the
set of countries that impose export controls; the share of each input that
comes from them is the dependence a controlled buyer faces.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for n, lab in [("asml", "Company"), ("NLD", "Country"), ("euv", "Technology")]:
...     g.add_node(n, label=lab, name=n.upper())
>>> _ = g.add_edge("asml", "euv", key="s", type="SUPPLIES", share=100.0)
>>> _ = g.add_edge("asml", "NLD", key="h", type="HEADQUARTERED_IN")
>>> d = supply_chain(g, controlling={"NLD"})[0]
>>> d.chokepoint, d.top_provider, d.controlled_share
(True, ('asml', 100.0), 100.0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

CHOKEPOINT = 50.0
SupplyFacts = tuple[dict[str, list[str]], dict[str, str]]  # company roles, CSET process stages


@dataclass
class InputDependence:
    """Who supplies one input, and how concentrated it is."""

    input: str
    name: str
    providers: list[tuple[str, float]] = field(default_factory=list)  # (provider id, share), largest first
    by_country: dict[str, float] = field(default_factory=dict)
    controlled_share: float = 0.0
    year: int | None = None

    @property
    def top_provider(self) -> tuple[str, float] | None:
        return self.providers[0] if self.providers else None

    @property
    def top_country(self) -> tuple[str, float] | None:
        return max(self.by_country.items(), key=lambda kv: kv[1]) if self.by_country else None

    @property
    def chokepoint(self) -> bool:
        tp, tc = self.top_provider, self.top_country
        return bool((tp and tp[1] >= CHOKEPOINT) or (tc and tc[1] >= CHOKEPOINT))

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "name": self.name,
            "chokepoint": self.chokepoint,
            "top_provider": self.top_provider,
            "top_country": self.top_country,
            "controlled_share": self.controlled_share,
            "providers": self.providers,
            "by_country": self.by_country,
            "year": self.year,
        }


def controlling_countries(g: nx.MultiDiGraph) -> set[str]:
    """Countries that impose at least one export control or list in the projection."""
    return {
        b for _, b, d in g.edges(data=True) if d.get("type") == "IMPOSED_BY" and g.nodes[b].get("label") == "Country"
    }


def supply_chain(
    g: nx.MultiDiGraph, controlling: Iterable[str] | None = None, memo: dict[Any, Any] | None = None
) -> list[InputDependence]:
    """Dependence of every supplied input, chokepoints first, then by concentration.

    ``memo`` keeps the headquarters and the supply shares read from ``g``
    across calls (one pass over a projection of millions of edges each).
    """
    ctrl = set(controlling) if controlling is not None else controlling_countries(g)
    memo = {} if memo is None else memo
    if "hq" not in memo:
        memo["hq"] = {a: b for a, b, d in g.edges(data=True) if d.get("type") == "HEADQUARTERED_IN"}
    if "supplies" not in memo:
        memo["supplies"] = [(a, b, d) for a, b, d in g.edges(data=True) if d.get("type") == "SUPPLIES"]
    hq = memo["hq"]
    company_shares: dict[str, dict[str, float]] = defaultdict(dict)
    country_shares: dict[str, dict[str, float]] = defaultdict(dict)
    years: dict[str, int] = {}
    for a, b, d in memo["supplies"]:
        if d.get("share") is None or g.nodes[b].get("label") != "Technology":
            continue
        target = country_shares if g.nodes[a].get("label") == "Country" else company_shares
        target[b][a] = max(target[b].get(a, 0.0), float(d["share"]))
        if d.get("year"):
            years[b] = max(years.get(b, 0), int(d["year"]))
    out = []
    for tech in set(company_shares) | set(country_shares):
        by_country = dict(country_shares.get(tech, {}))
        if not by_country:
            for provider, share in company_shares.get(tech, {}).items():
                country = hq.get(provider)
                if country:
                    by_country[country] = by_country.get(country, 0.0) + share
        providers = sorted(company_shares.get(tech, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        dep = InputDependence(
            tech,
            g.nodes[tech].get("name", tech),
            providers,
            {c: round(s, 3) for c, s in sorted(by_country.items(), key=lambda kv: -kv[1])},
            round(min(100.0, sum(s for c, s in by_country.items() if c in ctrl)), 3),
            years.get(tech),
        )
        out.append(dep)
    out.sort(
        key=lambda d: (
            not d.chokepoint,
            -max(d.top_provider[1] if d.top_provider else 0, d.top_country[1] if d.top_country else 0),
            d.name,
        )
    )
    return out


# The CSET stage whose processes a company's role performs: a foundry needs what fabrication needs.
ROLE_STAGES = {
    "foundry": "Fabrication",
    "idm": "Fabrication",
    "memory": "Fabrication",
    "fabless": "Design",
    "ip": "Design",
    "osat": "Assembly, testing, and packaging (ATP)",
}


def group_of(g: nx.MultiDiGraph, entity: str) -> set[str]:
    """The entity and the companies under it: subsidiaries, and companies it owns 50% or more of, transitively."""
    group, todo = {entity}, [entity]
    while todo:
        parent = todo.pop()
        for child, _, d in g.in_edges(parent, data=True):
            if d.get("type") == "SUBSIDIARY_OF" and child not in group:
                group.add(child)
                todo.append(child)
        for _, child, d in g.out_edges(parent, data=True):
            if d.get("type") == "OWNS" and (d.get("share") or 0) >= 50 and child not in group:
                group.add(child)
                todo.append(child)
    return group


def upstream(g: nx.MultiDiGraph, techs: Iterable[str], depth: int = 4) -> set[str]:
    """Every input that goes into ``techs`` (CSET's goes_into) or is a kind of one, up to ``depth`` steps."""
    seen = set(techs)
    frontier = set(seen)
    for _ in range(depth):
        frontier = {
            x for t in frontier for x, _, d in g.in_edges(t, data=True) if d.get("type") in ("INPUT_TO", "TYPE_OF")
        } - seen
        seen |= frontier
    return seen


def dependence_of(
    g: nx.MultiDiGraph,
    entity: str,
    roles: Mapping[str, Iterable[str]] | None = None,
    stages: Mapping[str, str] | None = None,
    controlling: Iterable[str] | None = None,
    memo: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """Who ``entity`` depends on, for what, and how much of it comes from controlling jurisdictions.

    For a company, with its group (:func:`group_of`):

    * providers: the companies that manufacture for or supply it, with their countries;
    * inputs: those its products use, those it uses, those its providers
      supply, and everything upstream (CSET's goes_into) of the processes of
      the stage its role performs, and of its providers' roles
      (:data:`ROLE_STAGES`: a fabless designer needs design tools and IP;
      its foundry needs lithography).

    For a country: every input. ``roles`` maps company ids to their roles and
    ``stages`` maps CSET process ids to their stage. ``controlled_share``
    counts only controlling countries other than the entity's own, since a
    jurisdiction does not control itself. ``memo`` keeps :func:`supply_chain`
    per controlling set across calls on the same projection.
    """
    memo = {} if memo is None else memo
    if "hq" not in memo:
        memo["hq"] = {a: b for a, b, d in g.edges(data=True) if d.get("type") == "HEADQUARTERED_IN"}
        memo["ctrl"] = controlling_countries(g)
    ctrl = set(controlling) if controlling is not None else memo["ctrl"]
    roles, stages = roles or {}, stages or {}
    label = g.nodes[entity].get("label")
    hq = memo["hq"]
    home = entity if label == "Country" else hq.get(entity)
    others = ctrl - {home}
    key = frozenset(others)
    if key not in memo:
        memo[key] = {d.input: d for d in supply_chain(g, others, memo)}
    by_input = memo[key]
    group = {entity} if label == "Country" else group_of(g, entity)
    own = {t for m in group for _, t, d in g.out_edges(m, data=True) if d.get("type") == "SUPPLIES"}
    providers: list[dict[str, Any]] = []
    needed: dict[str, set[str]] = defaultdict(set)  # input -> how it is needed

    def need(techs: Iterable[str], why: str) -> None:
        for tech in upstream(g, techs):
            if tech in by_input and tech not in own:
                needed[tech].add(why)

    def by_role(company: str, who: str) -> None:
        for role in roles.get(company, ()):
            stage = ROLE_STAGES.get(role)
            if stage:
                need([t for t, s in stages.items() if s == stage and t in g], f"{stage.lower()} ({who}, {role})")

    if label == "Country":
        for tech in by_input:
            needed[tech].add("national supply")
    else:
        for member in sorted(group):
            member_name = g.nodes[member].get("name", member)
            by_role(member, member_name)
            for p, _, d in g.in_edges(member, data=True):
                if d.get("type") not in ("MANUFACTURES_FOR", "SUPPLIES") or g.nodes[p].get("label") != "Company":
                    continue
                provider_name = g.nodes[p].get("name", p)
                providers.append(
                    {
                        "provider": p,
                        "name": provider_name,
                        "country": hq.get(p),
                        "for": member,
                        "relation": d["type"],
                        "controlled": hq.get(p) in others,
                        "sources": d.get("sources", []),
                    }
                )
                need(
                    [t for _, t, d2 in g.out_edges(p, data=True) if d2.get("type") == "SUPPLIES"],
                    f"from {provider_name}",
                )
                by_role(p, f"{provider_name} for {member_name}")
            for _, x, d in g.out_edges(member, data=True):
                if d.get("type") == "USES":
                    need([x], f"used by {member_name}")
                if d.get("type") == "MAKES":
                    used = [t for _, t, d2 in g.out_edges(x, data=True) if d2.get("type") == "USES"]
                    need(used, f"used in {g.nodes[x].get('name', x)}")
    inputs = []
    for tech, why in needed.items():
        dep = by_input[tech].as_dict()
        dep["own_share"] = dep["by_country"].get(home, 0.0) if home else 0.0
        dep["needed"] = sorted(why)
        inputs.append(dep)
    inputs.sort(key=lambda d: (-d["controlled_share"], d["name"]))
    return {
        "entity": entity,
        "home": home,
        "controlling": sorted(others),
        "providers": providers,
        "controlled_providers": sum(p["controlled"] for p in providers),
        "inputs": inputs,
        "dependent_inputs": [d["input"] for d in inputs if d["controlled_share"] >= CHOKEPOINT],
    }


def dependence_summary(dep: Mapping[str, Any]) -> str:
    """``12 of 56 inputs >= 50% from JPN, NLD, USA``: a dependence in one line ('' when there is none)."""
    if not dep:
        return ""
    return f"{len(dep['dependent_inputs'])} of {len(dep['inputs'])} inputs >= 50% from {', '.join(dep['controlling'])}"


def supply_facts(store: Any) -> SupplyFacts:
    """Company roles and CSET process stages, which :func:`dependence_of` reads from the store."""
    roles = {i: r for i, r in store.read("MATCH (c:Company) RETURN c.id, c.roles") if r}
    stages = {
        i: s for i, s in store.read("MATCH (t:Technology) WHERE t.category = 'process' RETURN t.id, t.stage") if s
    }
    return roles, stages
