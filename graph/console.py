"""The Cypher console's library of saved queries, and hints for LadybugDB's dialect.

Saved queries carry a text per dialect where LadybugDB and Neo4j differ
(``label(r)`` against ``type(r)``, say), a description and typed parameters,
so the app can draw a form and run them on whichever store is active.

:func:`dialect_hint` turns the common Neo4j-only forms into the LadybugDB
equivalent, for the error an analyst sees on the embedded store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "text", "int", "date" or "entity"
    default: Any
    help: str = ""


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    cypher: str  # Neo4j's text, and LadybugDB's when ``ladybug`` is empty
    params: tuple[Param, ...] = ()
    ladybug: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def text(self, store_kind: str) -> str:
        """The query text for a store kind ("embedded" or "neo4j")."""
        return self.ladybug if store_kind == "embedded" and self.ladybug else self.cypher


ENTITY = Param("id", "entity", "huawei", "an entity id, name or alias")

SAVED_QUERIES: tuple[SavedQuery, ...] = (
    SavedQuery(
        "Listings of an entity",
        "Every list the entity is on, with the date, the Federal Register citation and the footnote.",
        "MATCH p = (e {id: $id})-[r:LISTED_ON]->(l:SanctionList) "
        "RETURN e.name AS entity, l.name AS list, r.valid_from AS since, r.citation AS citation, "
        "r.footnote AS footnote, p ORDER BY since",
        (ENTITY,),
    ),
    SavedQuery(
        "Licensees of an entity",
        "Who takes a licence from the entity (patents, standards or technology), and when.",
        "MATCH p = (a {id: $id})-[r:LICENSES_TO]->(b) RETURN b.name AS licensee, r.scope AS scope, "
        "r.year AS year, p ORDER BY licensee",
        (ENTITY,),
    ),
    SavedQuery(
        "Patent portfolios of an entity",
        "What the entity holds, counted: its loaded US patents by technology, and the counts it states itself.",
        "MATCH p = (e {id: $id})-[:HOLDS]->(f:Portfolio) OPTIONAL MATCH (f)-[:COVERS]->(t:Technology) "
        "RETURN f.name AS portfolio, f.count AS patents, t.name AS technology, "
        "CASE WHEN f.derived THEN 'from loaded patents' ELSE 'stated by the holder' END AS counted, "
        "f.as_of AS as_of, p ORDER BY coalesce(f.count, -1) DESC, portfolio",
        (ENTITY,),
    ),
    SavedQuery(
        "Belt and Road licensees of a holder's patents in a technology",
        "Companies in Belt and Road member countries licensed under the holder's portfolio in the technology "
        "(or in the broader class it is a type of), with the licence's year and confidence.",
        "MATCH (h {id: $id})-[:HOLDS]->(f:Portfolio)-[:COVERS]->(t:Technology) "
        "WHERE t.id = $tech OR EXISTS { MATCH (:Technology {id: $tech})-[:TYPE_OF]->(t) } "
        "MATCH p = (c:Company)-[l:LICENSED_UNDER]->(f), "
        "(c)-[:HEADQUARTERED_IN]->(k:Country)-[m:MEMBER_OF]->(:Initiative {id: 'bri'}) WHERE m.valid_to IS NULL "
        "RETURN c.name AS licensee, k.name AS country, f.name AS portfolio, l.year AS year, "
        "l.confidence AS confidence, p ORDER BY licensee, portfolio",
        (ENTITY, Param("tech", "entity", "tech-5g", "a technology id, name or alias")),
    ),
    SavedQuery(
        "Controls that target an entity",
        "Export controls and rules that name the entity, with their effective dates.",
        "MATCH p = (c:ExportControl)-[:TARGETS]->(e {id: $id}) "
        "RETURN c.name AS control, c.effective AS effective, c.citation AS citation, p ORDER BY effective",
        (ENTITY,),
    ),
    SavedQuery(
        "Ownership chain into an entity",
        "Owners of the entity up to four steps up, with the share at each step.",
        "MATCH p = (o)-[:OWNS*1..4]->(e {id: $id}) RETURN o.name AS owner, length(p) AS steps, p LIMIT 200",
        (ENTITY,),
    ),
    SavedQuery(
        "Chokepoint suppliers",
        "Providers with at least the given share of the market for an input (CSET shares).",
        "MATCH p = (s)-[r:SUPPLIES]->(t) WHERE r.share >= $share "
        "RETURN s.name AS provider, t.name AS input, r.share AS share, p ORDER BY share DESC",
        (Param("share", "int", 50, "minimum market share, percent"),),
    ),
    SavedQuery(
        "Belt and Road members on a date",
        "Countries that are members of the Belt and Road Initiative on the date.",
        "MATCH (c:Country)-[r:MEMBER_OF]->(i:Initiative {id: 'bri'}) "
        "WHERE (r.valid_from IS NULL OR r.valid_from <= date($as_of)) "
        "AND (r.valid_to IS NULL OR r.valid_to >= date($as_of)) "
        "RETURN c.id AS iso3, c.name AS country, r.valid_from AS joined ORDER BY country",
        (Param("as_of", "date", None, "YYYY-MM-DD"),),
    ),
    SavedQuery(
        "Relationship types around an entity",
        "How many relationships of each type touch the entity: a first look at a new node.",
        "MATCH (e {id: $id})-[r]-() RETURN type(r) AS type, count(*) AS n ORDER BY n DESC",
        (ENTITY,),
        ladybug="MATCH (e {id: $id})-[r]-() RETURN label(r) AS type, count(*) AS n ORDER BY n DESC",
    ),
    SavedQuery(
        "Shortest connection between two entities",
        "One shortest path of up to six steps, in either direction.",
        "MATCH (a {id: $id}), (b {id: $other}), p = shortestPath((a)-[*..6]-(b)) RETURN p",
        (ENTITY, Param("other", "entity", "asml", "the other entity")),
        ladybug="MATCH p = (a {id: $id})-[* SHORTEST 1..6]-(b {id: $other}) RETURN p",
    ),
)

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\btype\s*\(", re.I), "LadybugDB writes `type(r)` as `label(r)`"),
    (re.compile(r"\blabels\s*\(", re.I), "LadybugDB has one label per node: use `label(n)`, a string, not `labels(n)`"),
    (
        re.compile(r"\b(all)?shortestPath\s*\(", re.I),
        "LadybugDB writes `shortestPath((a)-[*..6]-(b))` as a pattern: "
        "`MATCH p = (a)-[* SHORTEST 1..6]-(b) RETURN p` (or `ALL SHORTEST`)",
    ),
    (
        re.compile(r"\bCALL\s*\{", re.I),
        "LadybugDB has no `CALL { ... }` subqueries: use `WITH` to chain parts, or `EXISTS { MATCH ... }` in WHERE",
    ),
    (
        re.compile(r"\[\s*\w+\s+IN\s+[^\]]*(\bWHERE\b|\|)", re.I),
        "LadybugDB has no list comprehensions: use `list_filter(list, x -> cond)` and "
        "`list_transform(list, x -> expr)`",
    ),
    (re.compile(r"\bexists\s*\(\s*\w+\.", re.I), "LadybugDB writes `exists(n.prop)` as `n.prop IS NOT NULL`"),
)


def dialect_hint(cypher: str, store_kind: str) -> str | None:
    """The LadybugDB equivalent of a Neo4j-only form in ``cypher``, when the store is embedded."""
    if store_kind != "embedded":
        return None
    hints = [hint for pattern, hint in _HINTS if pattern.search(cypher)]
    return "; ".join(hints) if hints else None
