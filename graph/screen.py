"""Screening: is this counterparty in the graph, and how exposed is it on a date, and why?

For each name of a batch (:mod:`graph.screen_input`), :func:`screen` finds
the graph's parties that the matcher (:mod:`graph.resolve`) scores at or above
the match threshold, through the same blocking keys the resolver uses, so a
name costs about the same against a thousand parties or a million. For each
match it gives the reason (which name or identifier matched) and the
entity's exposure on the date, from the exposure engine: every list with its
date and citation, the OFAC 50% rule with its contributions, the BIS
affiliates rule, supply-chain dependence and licensing ties. A name with no
match says so, with the nearest names below the threshold, so "not found"
never reads as "not exposed" without the evidence.

The index of parties and the exposure of every entity are computed once per
graph and date (:class:`Screener`); a batch of 1,000 names then costs only
its lookups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.resolve.index import NameIndex
from graph.resolve.match import Record, Score, record_from_props
from graph.screen_input import Query
from graph.store.base import GraphStore
from loaders.common import country_code

PARTY_LABELS = ("Company", "Person", "Vessel", "Aircraft")
PARTY_PROPS = ("name", "aliases", "country", "countries", "xrefs", "lei", "resolved_from")
NEAREST = 3  # names shown for a query with no match
COUNTRY_SOFT = 0.9  # an exact name whose record lists other countries than the query's still matches


@dataclass
class Match:
    """One party a query matched, why, and its exposure on the date."""

    id: str
    label: str
    name: str
    score: float
    reason: str
    matched: str  # the party's name or alias that matched best (or the identifier)
    via: str  # "name", "alias" or "identifier"
    countries: tuple[str, ...] = ()
    source_records: int = 1  # how many source records the resolver merged into this entity
    exposure: dict[str, Any] = field(default_factory=dict)  # score and components, as `exposure --format json`


@dataclass
class Result:
    """What screening one query found: its matches (best first), or the nearest names when none."""

    query: Query
    as_of: dt.date
    matches: list[Match] = field(default_factory=list)
    nearest: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "match" if self.matches else "no match"

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": {
                "name": self.query.name,
                "country": self.query.country,
                "identifiers": list(self.query.identifiers),
                "row": self.query.row,
            },
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "matches": [m.__dict__ | {"countries": list(m.countries)} for m in self.matches],
            "nearest": self.nearest,
        }


def party_records(store: GraphStore) -> tuple[list[Record], dict[str, int]]:
    """Every party of the graph (companies, people, vessels, aircraft) as the matcher sees it, and for each
    entity the resolver merged, how many source records it was resolved from."""
    out: list[Record] = []
    merged: dict[str, int] = {}
    for label in PARTY_LABELS:
        spec = store.schema.labels.get(label)
        if spec is None:
            continue
        props = ["id", *(p for p in PARTY_PROPS if p in spec.properties)]
        cypher = f"MATCH (n:{label}) RETURN " + ", ".join(f"n.{p}" for p in props)
        for row in store.read(cypher):
            rec = dict(zip(props, row))
            if rec.get("name"):
                out.append(record_from_props(label, rec))
                if len(rec.get("resolved_from") or ()) > 1:
                    merged[rec["id"]] = len(rec["resolved_from"])
    return out, merged


class Screener:
    """The graph's parties indexed by name, and every entity's exposure on one date, for many lookups."""

    def __init__(self, store: GraphStore, as_of: dt.date, threshold: float, limit: int = 5):
        from graph.analytics.exposure import sanction_exposure
        from graph.analytics.supply import supply_facts
        from graph.views import control_rules

        self.as_of, self.threshold, self.limit = as_of, threshold, limit
        records, self._sources = party_records(store)
        self.index = NameIndex(records)
        self._by_id = {r.id: r for r in records}
        g = store.projection(as_of=as_of)
        # Every party is kept, at score 0 when nothing applies: a match always shows its (empty) exposure.
        results = sanction_exposure(g, as_of, control_rules(store), supply=supply_facts(store), keep=self._by_id)
        self._exposure = {r.id: {"score": r.score, "components": r.components} for r in results}
        self._labels = {n: g.nodes[n].get("label") for n in g.nodes}

    def screen_one(self, query: Query) -> Result:
        """The matches of one query (at most ``limit``, best first), or the nearest names."""
        found = self._search(query)
        result = Result(query, self.as_of)
        for rec, s in found:
            if s.value >= self.threshold and len(result.matches) < self.limit:
                matched = s.names[1] if s.names else rec.names[0]
                result.matches.append(
                    Match(
                        id=rec.id,
                        label=self._labels.get(rec.id) or rec.schema,
                        name=rec.names[0],
                        score=round(s.value, 4),
                        reason=s.reason,
                        matched=matched,
                        via=s.via,
                        countries=rec.countries,
                        source_records=self._sources.get(rec.id, 1),
                        exposure=self._exposure.get(rec.id, {"score": 0.0, "components": {}}),
                    )
                )
        if not result.matches:
            result.nearest = [
                {"id": rec.id, "name": rec.names[0], "score": round(s.value, 4), "reason": s.reason}
                for rec, s in found[:NEAREST]
            ]
        return result

    def _search(self, query: Query) -> list[tuple[Record, Score]]:
        """The best records for a query. A country given counts for a match, and against one only so far:
        a list's countries are the addresses it publishes (Banco Nacional de Cuba's are in Europe and
        Panama), so the same name elsewhere is kept at :data:`COUNTRY_SOFT` of its score, and says so."""
        wanted = max(self.limit, NEAREST)
        rec = _record(query)
        found = {r.id: (r, s) for r, s in self.index.search(rec, limit=wanted * 4)}
        if rec.countries:
            plain = Record(rec.id, rec.schema, rec.names, (), rec.identifiers)
            for r, s in self.index.search(plain, limit=wanted * 4):
                soft = round(s.value * COUNTRY_SOFT, 4)
                if r.id not in found or found[r.id][1].value < soft:
                    where = "/".join(r.countries) or "none given"
                    note = f"{s.reason}; the record's countries ({where}) are not the query's ({rec.countries[0]})"
                    found[r.id] = (r, Score(soft, note, s.names, s.via))
        ranked = sorted(found.values(), key=lambda rs: (-rs[1].value, rs[0].id))
        return ranked[:wanted]

    def screen(self, queries: Sequence[Query], progress: Callable[[int, int], None] | None = None) -> list[Result]:
        """:meth:`screen_one` for each query, in order; ``progress(done, total)`` every 50 names and at the end."""
        out = []
        for i, q in enumerate(queries, start=1):
            out.append(self.screen_one(q))
            if progress and (i % 50 == 0 or i == len(queries)):
                progress(i, len(queries))
        return out


def screen(
    store: GraphStore,
    queries: Sequence[Query],
    as_of: dt.date,
    threshold: float,
    limit: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Screen a batch against the graph on ``as_of`` (see :class:`Screener`)."""
    return Screener(store, as_of, threshold, limit).screen(queries, progress)


def _record(query: Query) -> Record:
    """The query as the matcher sees it: a legal entity or person of unknown kind, its country, identifiers."""
    country = country_code(query.country) if query.country else None
    return Record(
        f"query:{query.row}",
        query.schema if query.schema else "LegalEntity",
        (query.name,),
        (country,) if country else (),
        tuple(i for i in query.identifiers if ":" in i),
    )


COLUMNS = (
    "query", "row", "status", "match", "id", "label", "score", "reason", "exposure", "lists", "ofac_50",
    "bis_affiliates", "eu_uk_tests", "supply_chain", "licensing", "source_records", "nearest",
)  # fmt: skip


def listing_text(listing: dict[str, Any]) -> str:
    """One list membership as a sentence fragment: the list, since when (or that the source gives no date), why."""
    since = f"since {listing['since']}" if listing.get("since") else "date not in source"
    cite = f"; {listing['citation']}" if listing.get("citation") else ""
    low = f"; confidence {listing['confidence']}" if listing.get("confidence") not in (None, "high") else ""
    return f"{listing.get('list_name') or listing.get('list')} ({since}{cite}{low})"


def flat_rows(results: Sequence[Result]) -> list[dict[str, Any]]:
    """One row per match (and one per query with none), with :data:`COLUMNS`: the Screen page's table and CSV."""
    from graph.analytics.supply import dependence_summary

    rows = []
    for r in results:
        base = {"query": r.query.name, "row": r.query.row, "status": r.status}
        if not r.matches:
            nearest = "; ".join(f"{n['name']} ({n['score']:.2f})" for n in r.nearest) or "no similar name"
            rows.append(base | dict.fromkeys(COLUMNS[3:], "") | {"nearest": nearest})
            continue
        for m in r.matches:
            c = m.exposure.get("components") or {}
            ties = c.get("licensing") or []
            rows.append(
                base
                | {
                    "match": m.name,
                    "id": m.id,
                    "label": m.label,
                    "score": m.score,
                    "reason": m.reason,
                    "exposure": m.exposure.get("score", 0.0),
                    "lists": "; ".join(listing_text(x) for x in c.get("direct") or []) or "none on this date",
                    "ofac_50": (c.get("ofac_50") or {}).get("explanation", ""),
                    "bis_affiliates": (c.get("bis_affiliates") or {}).get("explanation", ""),
                    "eu_uk_tests": "; ".join(
                        f"{t.get('jurisdiction') or t['rule']}: {t['status']}"
                        for t in (c.get("jurisdictions") or {}).values()
                    ),
                    "supply_chain": dependence_summary(c.get("supply_chain") or {}),
                    "licensing": f"{len(ties)} licence tie(s)" if ties else "",
                    "source_records": m.source_records,
                    "nearest": "",
                }
            )
    return rows
