"""Licensing ties: licensees of listed licensors and licensors that are listed, by country.

Each ``LICENSES_TO`` edge valid on the as-of date is a tie. A tie matters for
exposure when either end is on a list that day. Ties are aggregated by the
licensee's headquarters country, with that country's Belt and Road membership
on the same date (``MEMBER_OF`` to ``bri``) and that membership's confidence:
a low-confidence membership (South Korea in GFDC's list) says so. China, the
initiator, has no ``MEMBER_OF`` edge (see ``loaders.bri_gfdc``).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for n, lab in [("hw", "Company"), ("el", "SanctionList"), ("oppo", "Company"), ("CHN", "Country"), ("bri", "Initiative")]:
...     g.add_node(n, label=lab, name=n)
>>> for a, b, t in [("hw", "el", "LISTED_ON"), ("hw", "oppo", "LICENSES_TO"), ("oppo", "CHN", "HEADQUARTERED_IN"), ("CHN", "bri", "MEMBER_OF")]:
...     _ = g.add_edge(a, b, key=a + b, type=t, sources=["s"])
>>> [(c.country, c.bri_member, c.licensees) for c in licensing_by_country(g)]
[('CHN', True, ['oppo'])]
>>> g.edges["CHN", "bri", "CHNbri"].update(confidence="low", confidence_note="no MoU known")
>>> [(c.country, c.bri_confidence, c.bri_note) for c in licensing_by_country(g)]
[('CHN', 'low', 'no MoU known')]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

BRI = "bri"


@dataclass
class Tie:
    licensor: str
    licensee: str
    edge: str
    scope: str | None
    year: int | None
    licensor_lists: list[str]
    licensee_lists: list[str]
    sources: list[str]
    confidence: str
    confidence_note: str | None = None


@dataclass
class CountryTies:
    country: str | None
    name: str
    bri_member: bool
    licensees: list[str] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)
    bri_confidence: str | None = None  # of the membership: high, medium or low; None when not a member
    bri_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "name": self.name,
            "bri_member": self.bri_member,
            "bri_confidence": self.bri_confidence,
            "bri_note": self.bri_note,
            "licensees": self.licensees,
            "ties": [t.__dict__ for t in self.ties],
        }


def _by_type(g: nx.MultiDiGraph, rel_type: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(a, b, k, d) for a, b, k, d in g.edges(keys=True, data=True) if d.get("type") == rel_type]


def listed_ties(g: nx.MultiDiGraph) -> list[Tie]:
    """Every licence in the projection where the licensor or the licensee is listed."""
    lists: dict[str, list[str]] = defaultdict(list)
    for a, b, _, _ in _by_type(g, "LISTED_ON"):
        lists[a].append(b)
    ties = []
    for a, b, key, d in _by_type(g, "LICENSES_TO"):
        if lists.get(a) or lists.get(b):
            ties.append(
                Tie(
                    a,
                    b,
                    key,
                    d.get("scope"),
                    d.get("year"),
                    sorted(lists.get(a, [])),
                    sorted(lists.get(b, [])),
                    list(d.get("sources", [])),
                    d.get("confidence", "high"),
                    d.get("confidence_note"),
                )
            )
    return ties


def bri_memberships(g: nx.MultiDiGraph) -> dict[str, tuple[str, str | None]]:
    """Each Belt and Road member in the projection: (confidence, confidence_note) of its membership."""
    return {
        a: (d.get("confidence") or "high", d.get("confidence_note"))
        for a, b, _, d in _by_type(g, "MEMBER_OF")
        if b == BRI
    }


def licensing_by_country(g: nx.MultiDiGraph) -> list[CountryTies]:
    """Licensees of listed licensors (and listed licensees), grouped by the licensee's country."""
    hq = {a: b for a, b, _, _ in _by_type(g, "HEADQUARTERED_IN")}
    members = bri_memberships(g)
    groups: dict[str | None, CountryTies] = {}
    for tie in listed_ties(g):
        country = hq.get(tie.licensee)
        group = groups.get(country)
        if group is None:
            name = g.nodes[country].get("name", country) if country else "unknown country"
            conf, note = members.get(country, (None, None)) if country else (None, None)
            group = groups[country] = CountryTies(country, name, country in members, bri_confidence=conf, bri_note=note)
        group.ties.append(tie)
        if tie.licensee not in group.licensees:
            group.licensees.append(tie.licensee)
    return sorted(groups.values(), key=lambda c: (-len(c.licensees), c.name))
