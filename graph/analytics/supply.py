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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

CHOKEPOINT = 50.0


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


def supply_chain(g: nx.MultiDiGraph, controlling: Iterable[str] | None = None) -> list[InputDependence]:
    """Dependence of every supplied input, chokepoints first, then by concentration."""
    ctrl = set(controlling) if controlling is not None else controlling_countries(g)
    hq = {a: b for a, b, d in g.edges(data=True) if d.get("type") == "HEADQUARTERED_IN"}
    company_shares: dict[str, dict[str, float]] = defaultdict(dict)
    country_shares: dict[str, dict[str, float]] = defaultdict(dict)
    years: dict[str, int] = {}
    for a, b, d in g.edges(data=True):
        if d.get("type") != "SUPPLIES" or d.get("share") is None or g.nodes[b].get("label") != "Technology":
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
