"""Patents as analysts read them: counted portfolios, licences that reach them, and a drill-down.

A holder may have 150,000 patents. Each stays a ``Patent`` node (a detail
record: :attr:`graph.schema.LabelSpec.detail`), and the build adds what
pictures and analyses use instead (:func:`portfolios`, between resolution
and validation):

* per holder, a ``Portfolio`` of all its loaded patents (``count``, counts
  ``by_year`` of grant), and one per technology its patents cover, with
  ``HOLDS`` from the holder and ``COVERS`` to the technology: "Huawei: 41,000
  US patents in wireless communication networks". A holder that no other
  source names gets portfolios by technology only from
  :data:`BY_TECHNOLOGY_FROM` patents on;
* per licence that names technologies (``LICENSES_TO.technologies``), a
  ``LICENSED_UNDER`` from the licensee to each of the licensor's portfolios
  that covers one of them, or failing that the nearest broader class it is
  a type of (``TYPE_OF``: a 5G licence reaches the wireless-networks
  portfolio), among the counted portfolios and among those the licensor
  states itself: "OPPO is licensed under Huawei's 4G/5G SEP portfolio" and
  "under Huawei: 41,000 US patents in wireless communication networks". A
  cross-licence links both ways. Each is dated and cited as its licence, so
  as-of views keep it truthful.

:func:`grants` pages through a holder's patents in the store, for Explore's
drill-down; :func:`holdings` reads a holder's portfolios from a projection.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.bulk import Part, node_records
from graph.model import EdgeRecord, NodeRecord, edge_id
from graph.render import caption
from graph.store.base import GraphStore

PORTFOLIO_PREFIX = "portfolio-"
# A holder that only patent files name (one of PatentsView's 500,000 assignees) gets portfolios by
# technology from this many patents on; below, its whole portfolio alone.
BY_TECHNOLOGY_FROM = 100
_SEP = "\x1f"


@dataclass
class PortfolioReport:
    """What :func:`portfolios` added, for the build's log and manifest."""

    patents: int = 0
    holders: int = 0
    portfolios: int = 0
    licence_links: int = 0


def portfolios(
    nodes: list[NodeRecord], edges: list[EdgeRecord], bulk: Sequence[Part] = ()
) -> tuple[list[NodeRecord], list[EdgeRecord], PortfolioReport]:
    """The records with the derived portfolios and licence links added (see the module's docstring).

    Patents, ``HOLDS`` and ``COVERS`` may be records or bulk rows
    (:mod:`graph.bulk`); they are counted in Arrow either way, since a scale
    build has a million of each. Deterministic: the same records give the
    same ids, counts and order.
    """
    patents = _patents(nodes, bulk)
    report = PortfolioReport(patents=patents.num_rows)
    patent_ids = patents.column("pid")
    node_ids = pa.chunked_array(
        [pa.array([n.id for n in nodes], pa.string())]
        + [c for p in bulk for t in p.nodes.values() for c in t.column("id").chunks],
        pa.string(),
    )
    holds = _edges(edges, bulk, "HOLDS", ("from", "to"))
    holds = holds.filter(pc.is_in(holds.column("to"), value_set=patent_ids))
    holds = holds.filter(pc.is_in(holds.column("from"), value_set=node_ids))
    held = (
        holds.group_by(["from", "to"], use_threads=False)
        .aggregate([])
        .rename_columns(["holder", "pid"])
        .join(patents, "pid", use_threads=False)
    )
    holders = sorted(pc.unique(held.column("holder")).to_pylist())
    if not holders:
        links = licence_links(nodes, edges)
        report.licence_links = len(links)
        return nodes, [*edges, *links], report
    known = _named_elsewhere(set(holders), edges, bulk, patent_ids)
    whole = _counted(held, ["holder"])
    by_technology = {h for h, c in whole.items() if h in known or c["n"] >= BY_TECHNOLOGY_FROM}
    covers = _edges(edges, bulk, "COVERS", ("from", "to", "sources"))
    covers = covers.set_column(2, "sources", pc.binary_join(covers.column("sources"), _SEP))
    covers = covers.append_column("order", pa.array(np.arange(covers.num_rows, dtype=np.int64)))
    covers = covers.filter(pc.is_in(covers.column("from"), value_set=patent_ids)).rename_columns(
        ["pid", "tech", "mapping_sources", "order"]
    )
    tech_rows = held.filter(pc.is_in(held.column("holder"), value_set=pa.array(sorted(by_technology), pa.string())))
    tech_rows = tech_rows.join(covers, "pid", join_type="inner", use_threads=False)
    by_tech = _counted(tech_rows, ["holder", "tech"])
    techs: dict[str, dict[str, dict[str, Any]]] = {}
    for (holder, tech), counted in by_tech.items():
        techs.setdefault(holder, {})[tech] = counted
    owners = _holder_props(nodes, bulk, holders)
    by_id = {n.id: n for n in nodes}
    new_nodes: list[NodeRecord] = []
    new_edges: list[EdgeRecord] = []
    for holder in holders:
        owner = owners[holder]
        short = caption({"name": owner.get("name"), "props": owner}, width=200)
        groups = [("", whole[holder]), *sorted(techs.get(holder, {}).items())]
        for tech, counted in groups:
            tech_props = by_id[tech].props if tech in by_id else {}
            node = _portfolio(holder, short, tech, tech_props, counted)
            new_nodes.append(node)
            new_edges.append(
                EdgeRecord("HOLDS", holder, node.id, {"id": f"holds-{node.id}", "sources": node.props["sources"]})
            )
            if tech:
                new_edges.append(
                    EdgeRecord("COVERS", node.id, tech, {"id": f"covers-{node.id}", "sources": node.props["sources"]})
                )
        report.holders += 1
    report.portfolios = len(new_nodes)
    links = licence_links([*nodes, *new_nodes], [*edges, *new_edges])
    report.licence_links = len(links)
    return [*nodes, *new_nodes], [*edges, *new_edges, *links], report


def _patents(nodes: list[NodeRecord], bulk: Sequence[Part]) -> pa.Table:
    """Every patent's id, grant date (ISO text) and sources, records and bulk rows alike."""
    mine = [n.props for n in nodes if n.label == "Patent"]
    tables = [
        pa.table(
            {
                "pid": pa.array([p["id"] for p in mine], pa.string()),
                "granted": pa.array([str(p["granted"]) if p.get("granted") else None for p in mine], pa.string()),
                "sources": pa.array([list(p.get("sources") or []) for p in mine], pa.list_(pa.string())),
            }
        )
    ]
    for part in bulk:
        table = part.nodes.get("Patent")
        if table is not None and table.num_rows:
            tables.append(table.select(["id", "granted", "sources"]).rename_columns(["pid", "granted", "sources"]))
    out = pa.concat_tables(tables)
    # Joins carry no list columns: each list of sources travels as one text, split again when counted.
    return out.set_column(2, "sources", pc.binary_join(out.column("sources"), _SEP))


def _edges(edges: list[EdgeRecord], bulk: Sequence[Part], rel_type: str, columns: tuple[str, ...]) -> pa.Table:
    """One relationship type's ``from``, ``to`` (and ``sources``), records first, then bulk rows, in load order."""
    mine = [e for e in edges if e.type == rel_type]
    values = {
        "from": pa.array([e.start for e in mine], pa.string()),
        "to": pa.array([e.end for e in mine], pa.string()),
        "sources": pa.array([list(e.props.get("sources") or []) for e in mine], pa.list_(pa.string())),
    }
    tables = [pa.table({c: values[c] for c in columns})]
    for part in bulk:
        table = part.edges.get(rel_type)
        if table is not None and table.num_rows:
            tables.append(table.select(list(columns)))
    return pa.concat_tables(tables)


def _named_elsewhere(holders: set[str], edges: list[EdgeRecord], bulk: Sequence[Part], patents: pa.Array) -> set[str]:
    """The holders that some fact other than holding a patent names (a list, a supply, a parent...)."""
    ends = pa.array(sorted({e.end for e in edges if e.type == "HOLDS"}), pa.string())
    held = set(ends.filter(pc.is_in(ends, value_set=patents)).to_pylist())
    known = {x for e in edges if not (e.type == "HOLDS" and e.end in held) for x in (e.start, e.end)} & holders
    wanted = pa.array(sorted(holders), pa.string())
    for part in bulk:
        for rel_type, table in part.edges.items():
            if rel_type == "HOLDS":
                table = table.filter(pc.invert(pc.is_in(table.column("to"), value_set=patents)))
            for col in ("from", "to"):
                known.update(
                    pc.unique(table.column(col).filter(pc.is_in(table.column(col), value_set=wanted))).to_pylist()
                )
    return known


def _counted(rows: pa.Table, keys: list[str]) -> dict[Any, dict[str, Any]]:
    """Per group of ``keys``: patents ``n``, counts by grant ``years``, latest grant ``as_of``, cited ``sources``
    (and, by technology, the ``mapping_sources`` of the first patent's class mapping)."""
    rows = rows.group_by([*keys, "pid"], use_threads=False).aggregate(
        [("granted", "max"), ("sources", "list")]
        + ([("order", "list"), ("mapping_sources", "list")] if "order" in rows.column_names else [])
    )
    out: dict[Any, dict[str, Any]] = {}
    cols = {name: rows.column(name).to_pylist() for name in rows.column_names}
    for i in range(rows.num_rows):
        key = tuple(cols[k][i] for k in keys)
        key = key[0] if len(key) == 1 else key
        c = out.get(key)
        if c is None:
            c = out[key] = {"n": 0, "years": Counter(), "as_of": None, "sources": set(), "first": None}
        c["n"] += 1
        granted = cols["granted_max"][i]
        if granted:
            c["years"][granted[:4]] += 1
            c["as_of"] = max(c["as_of"] or granted, granted)
        for listed in cols["sources_list"][i]:
            c["sources"].update(x for x in (listed or "").split(_SEP) if x)
        if "order_list" in cols:  # the class mapping of the first patent's first COVERS, whatever the join's order
            order, mapping = min(zip(cols["order_list"][i], cols["mapping_sources_list"][i], strict=True))
            first = (cols["pid"][i], order)
            if c["first"] is None or first < c["first"][0]:
                c["first"] = (first, [x for x in (mapping or "").split(_SEP) if x])
    return out


def _holder_props(nodes: list[NodeRecord], bulk: Sequence[Part], holders: list[str]) -> dict[str, dict[str, Any]]:
    """The properties of each holder, from the records or its bulk row."""
    wanted = set(holders)
    found = {n.id: n.props for n in nodes if n.id in wanted}
    missing = pa.array(sorted(wanted - found.keys()), pa.string())
    for part in bulk:
        for label, table in part.nodes.items():
            if not len(missing):
                break
            hit = table.filter(pc.is_in(table.column("id"), value_set=missing))
            for rec in node_records(label, hit):
                found[rec.id] = rec.props
    return found


def _portfolio(
    holder: str, short: str, tech: str, tech_props: Mapping[str, Any], counted: dict[str, Any]
) -> NodeRecord:
    n = counted["n"]
    noun = f"{n:,} US patent{'' if n == 1 else 's'}"
    if tech:
        name = f"{short}: {noun} in {tech_props.get('name') or tech}"
        alias = f"{n:,} {(tech_props.get('aliases') or [tech_props.get('name') or tech])[0]}"
    else:
        name, alias = f"{short}: {noun}", noun
    sources = sorted(counted["sources"])
    if counted.get("first"):
        sources = list(dict.fromkeys([*sources, *counted["first"][1]]))
    return NodeRecord(
        "Portfolio",
        {
            "id": f"{PORTFOLIO_PREFIX}{holder}" + (f"--{tech}" if tech else ""),
            "name": name,
            "aliases": [alias],
            "count": n,
            "by_year": [f"{y}:{c}" for y, c in sorted(counted["years"].items())],
            "as_of": counted["as_of"],
            "technology": tech or None,
            "assignee": short,
            "derived": True,
            "sources": sources,
        },
        ("portfolios", 0),
    )


def licence_links(nodes: Iterable[NodeRecord], edges: list[EdgeRecord]) -> list[EdgeRecord]:
    """``LICENSED_UNDER`` from each licensee to the licensor's portfolios in the technologies its licence names."""
    nodes = list(nodes)
    labels = {n.id: n.label for n in nodes}
    derived = {n.id for n in nodes if n.label == "Portfolio" and n.props.get("derived")}
    broader: dict[str, set[str]] = {}
    for e in edges:
        if e.type == "TYPE_OF":
            broader.setdefault(e.start, set()).add(e.end)
    covered: dict[str, set[str]] = {}
    for e in edges:
        if e.type == "COVERS" and labels.get(e.start) == "Portfolio":
            covered.setdefault(e.start, set()).add(e.end)
    portfolios_of: dict[str, list[str]] = {}
    for e in edges:
        if e.type == "HOLDS" and labels.get(e.end) == "Portfolio" and e.end in covered:
            portfolios_of.setdefault(e.start, []).append(e.end)
    out: dict[str, EdgeRecord] = {}
    for e in edges:
        if e.type != "LICENSES_TO" or not e.props.get("technologies"):
            continue
        pairs = [(e.end, e.start)] + ([(e.start, e.end)] if e.props.get("cross") else [])
        for licensee, licensor in pairs:
            held = sorted(portfolios_of.get(licensor, []))
            # The nearest of the counted portfolios, and of those the licensor states itself.
            reached = {
                p
                for kind in ([x for x in held if x in derived], [x for x in held if x not in derived])
                for tech in e.props["technologies"]
                for p in _nearest(tech, kind, covered, broader)
            }
            for portfolio in sorted(reached):
                props = {
                    k: e.props[k]
                    for k in ("valid_from", "valid_to", "year", "scope", "confidence", "confidence_note", "sources")
                    if e.props.get(k) is not None
                }
                key = edge_id("LICENSED_UNDER", licensee, portfolio, props.get("valid_from") or props.get("year"))
                out.setdefault(
                    key, EdgeRecord("LICENSED_UNDER", licensee, portfolio, {**props, "id": key, "licence": e.id})
                )
    return list(out.values())


def _nearest(tech: str, held: list[str], covered: Mapping[str, set[str]], broader: Mapping[str, set[str]]) -> list[str]:
    """The portfolios among ``held`` that cover ``tech`` itself; failing that, the nearest broader class
    (a Wi-Fi licence reaches a Wi-Fi portfolio, and only without one the wireless-networks portfolio)."""
    level, seen = {tech}, set()
    while level:
        found = [p for p in held if covered[p] & level]
        if found:
            return found
        seen |= level
        level = {b for t in level for b in broader.get(t, ())} - seen
    return []


# -- reading ------------------------------------------------------------------------------------


@dataclass
class Holding:
    """One portfolio of a holder, as Explore's details list it."""

    id: str
    name: str
    count: int | None
    technology: str | None
    technology_name: str | None
    by_year: list[tuple[int, int]]
    as_of: str | None
    derived: bool
    sources: list[str]


def holdings(g: nx.MultiDiGraph, holder: str, store: GraphStore) -> list[Holding]:
    """The holder's portfolios in a projection, each read from the store: its whole loaded portfolio
    first, then by count."""
    ids = [
        pid
        for _, pid, data in (g.out_edges(holder, data=True) if holder in g else [])
        if data.get("type") == "HOLDS" and g.nodes[pid].get("label") == "Portfolio"
    ]
    nodes = store.nodes(ids)
    out = []
    for pid in ids:
        p = nodes.get(pid) or {}
        tech = p.get("technology")
        years = []
        for item in p.get("by_year") or []:
            year, _, count = str(item).partition(":")
            if year.isdigit() and count.isdigit():
                years.append((int(year), int(count)))
        out.append(
            Holding(
                pid,
                str(p.get("name") or g.nodes[pid].get("name")),
                p.get("count"),
                tech,
                str(g.nodes[tech].get("name")) if tech and tech in g else None,
                years,
                str(p["as_of"]) if p.get("as_of") else None,
                bool(p.get("derived")),
                list(p.get("sources") or []),
            )
        )
    return sorted(out, key=lambda h: (h.technology is not None, not h.derived, -(h.count or 0), h.name))


@dataclass
class Grants:
    """A page of a holder's patents: how many in all, and the rows of this page."""

    total: int
    rows: list[dict[str, Any]]


def grants(
    store: GraphStore,
    holder: str,
    technology: str | None = None,
    offset: int = 0,
    limit: int = 50,
    total: int | None = None,
) -> Grants:
    """The holder's patents (in one technology, or all), newest grant first, ``limit`` from ``offset``;
    ``total``, when the caller has counted them already (:func:`grant_count`), is not counted again."""
    label = store.labels_of([holder]).get(holder)
    if label is None:
        return Grants(0, [])
    # Labels come from the schema, via labels_of; ids are parameters.
    match = "MATCH (h:" + label + " {id: $holder})-[:HOLDS]->(p:Patent)"
    params: dict[str, Any] = {"holder": holder}
    if technology:
        match += "-[:COVERS]->(t:Technology {id: $tech})"
        params["tech"] = technology
    if total is None:
        total = int(store.read(match + " RETURN count(DISTINCT p)", params)[0][0])
    rows = store.read(
        match + " RETURN DISTINCT p.number, p.title, p.granted, p.filed, p.cpc, p.ipc, p.sources"
        " ORDER BY p.granted DESC, p.number SKIP $offset LIMIT $limit",
        {**params, "offset": max(0, int(offset)), "limit": max(1, int(limit))},
    )
    keys = ("number", "title", "granted", "filed", "cpc", "ipc", "sources")
    return Grants(total, [dict(zip(keys, r)) for r in rows])


def grant_count(store: GraphStore, holder: str, technology: str | None = None) -> int:
    """How many patents the holder has (in one technology, or all): what a drill-down pages through."""
    return grants(store, holder, technology, 0, 1).total


def year_text(by_year: list[tuple[int, int]], as_of: dt.date | None = None) -> str:
    """Counts by year of grant in words, up to ``as_of``: "2019: 120, 2020: 340"."""
    return ", ".join(f"{y}: {c:,}" for y, c in by_year if as_of is None or y <= as_of.year)
