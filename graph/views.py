"""Views of the graph for the app, the briefing exports and ``python -m graph render``.

Each function turns a store lookup or an analysis into a :class:`~graph.render.View`:
the nodes and edges to draw, the sentence behind each edge, and the sources
cited. The same function serves every store, so a picture is the same on the
embedded file and on Neo4j.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import networkx as nx

from graph.analytics.paths import Path as InfluencePath
from graph.analytics.paths import sentence_for
from graph.analytics.supply import SupplyFacts
from graph.layout import layered
from graph.render import EDGE_FONT, LABEL_GROW, View, cited_sources, label_width, layout_boxes
from graph.schema import UNKNOWN, fact_dating
from graph.store.base import GraphStore, QueryResult, Subgraph

SEED_ENTITY = "huawei"
SEED_INPUTS = 4  # chokepoint inputs shown in the seed story
SEED_PORTFOLIOS = 1  # Huawei's patent portfolios in the seed story: the one most of its licences reach
# Relationship types that place or list a company without saying what it does in the seed story.
_PASSIVE = frozenset({"SUBSIDIARY_OF", "LISTED_ON", "HEADQUARTERED_IN", "TARGETS", "LINKED_TO"})
BRI = "bri"
SEED_TYPES = ("LICENSES_TO", "LISTED_ON", "TARGETS", "SUPPLIES", "MEMBER_OF", "HEADQUARTERED_IN", "SUBSIDIARY_OF")


def control_rules(store: GraphStore) -> list[dict[str, Any]]:
    """The ExportControls that carry an ownership rule, with their dates (see :mod:`graph.analytics.exposure`)."""
    return [r[0] for r in store.read("MATCH (c:ExportControl) WHERE c.rule IS NOT NULL RETURN c")]


def exposure_scores(store: GraphStore, as_of: dt.date) -> dict[str, float]:
    """Every exposed entity's score on ``as_of``, for the heat scale of the pictures."""
    from graph.analytics.exposure import sanction_exposure
    from graph.analytics.supply import supply_facts

    g = store.projection(as_of=as_of)
    return {r.id: r.score for r in sanction_exposure(g, as_of, control_rules(store), supply=supply_facts(store))}


def source_records(store: GraphStore, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The Source nodes behind the given ids, as citation records."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = store.read(
        "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id, s.publisher, s.title, s.date, s.url", {"ids": wanted}
    )
    known = {r[0]: dict(zip(("id", "publisher", "title", "date", "url"), r)) for r in rows}
    return cited_sources(wanted, known)


def _node(n: Mapping[str, Any], heat: Mapping[str, float] | None) -> dict[str, Any]:
    props = {k: v for k, v in n.items() if not k.startswith("_")}
    out = {"id": n["id"], "label": n.get("_label", ""), "name": n.get("name") or n["id"], "props": props}
    if heat and heat.get(n["id"]):
        out["heat"] = heat[n["id"]]
    return out


def _edge(e: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    start, end, rel_type = e["_start"], e["_end"], e["_type"]
    return {
        "id": e["id"],
        "from": start,
        "to": end,
        "type": rel_type,
        "sources": list(e.get("sources") or []),
        "confidence": e.get("confidence", "high"),
        "dating": fact_dating(rel_type, e),
        "sentence": sentence_for(nodes, start, end, {**e, "type": rel_type}),
    }


def subgraph_view(
    store: GraphStore,
    sub: Subgraph,
    title: str,
    as_of: dt.date,
    focus: str | None = None,
    heat: Mapping[str, float] | None = None,
    caption: str = "",
    params: Mapping[str, Any] | None = None,
) -> View:
    """A picture of a subgraph, citing the sources of every node and edge in it."""
    nodes = [_node(n, heat) for n in sub.nodes.values()]
    edges = [_edge(e, sub.nodes) for e in sub.edges.values() if e["_start"] in sub.nodes and e["_end"] in sub.nodes]
    cited = [s for n in sub.nodes.values() for s in n.get("sources") or []] + [s for e in edges for s in e["sources"]]
    params = {**(params or {}), "undated_left_out": len(sub.undated_left_out)}
    return View(
        title=title,
        nodes=nodes,
        edges=edges,
        as_of=as_of.isoformat(),
        focus=focus,
        caption=_with_undated(caption, len(sub.undated_left_out), edges),
        sources=source_records(store, cited),
        params=params,
    )


def undated_caption(left_out: int, drawn: int = 0) -> str:
    """What an as-of picture says of facts with no date: how many it left out, or how many it draws dashed."""
    parts = []
    if left_out:
        parts.append(
            f"{left_out:,} undated fact{'s' if left_out != 1 else ''} left out (include undated facts to see them)"
        )
    if drawn:
        parts.append(f"{drawn:,} fact{'s' if drawn != 1 else ''} with no known date drawn dashed")
    return "; ".join(parts)


def _with_undated(caption: str, left_out: int, edges: Iterable[Mapping[str, Any]]) -> str:
    note = undated_caption(left_out, sum(1 for e in edges if e.get("dating") == UNKNOWN))
    return f"{caption}; {note}" if caption and note else caption or note


def neighbourhood_caption(sub: Subgraph, offset: int = 0) -> str:
    """ "showing 150 of 2,340 neighbours", or "showing 151–300 of 2,340" on a later page.

    Pages are pages of direct neighbours; with more hops the caption says so, and counts the rest apart:
    "direct neighbours 1–24 of 24, and 126 of 615 more within 3 hops".
    """
    if sub.total_neighbours == 0:
        return "no neighbours with these filters"
    further, further_shown = sub.total_neighbours - sub.direct_total, sub.shown_neighbours - sub.direct_shown
    if further:
        first, last = (offset + 1, offset + sub.direct_shown) if sub.direct_shown else (offset, offset)
        return (
            f"showing direct neighbours {first:,}–{last:,} of {sub.direct_total:,}, "
            f"and {further_shown:,} of {further:,} more further out"
        )
    if offset:
        return f"showing {offset + 1:,}–{offset + sub.shown_neighbours:,} of {sub.total_neighbours:,} neighbours"
    return f"showing {sub.shown_neighbours:,} of {sub.total_neighbours:,} neighbours"


def neighbourhood_view(
    store: GraphStore,
    entity: str,
    hops: int = 1,
    labels: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    limit: int = 150,
    offset: int = 0,
    heat: Mapping[str, float] | None = None,
    expanded: Sequence[tuple[str, int]] = (),
    undated: bool = False,
    g: nx.MultiDiGraph | None = None,
) -> View:
    """The neighbourhood of an entity (by id, name or alias), with expanded nodes merged in.

    ``expanded`` lists (node id, offset) pairs: each adds one page of that
    node's direct neighbours, so a click in the app grows the picture.
    Facts with no known date are left out unless ``undated`` (the caption counts them).
    ``g``, the projection on ``as_of`` with undated facts kept, walks in memory (the app holds it anyway).
    """
    as_of = as_of or dt.date.today()
    focus = store.resolve(entity)
    walk = partial(store.neighbourhood, within=g)
    sub = walk(focus, hops, labels, types, as_of, limit=limit, offset=offset, undated=undated)
    caption = neighbourhood_caption(sub, offset)
    more_caption, totals = _expand(walk, sub, expanded, labels, types, as_of, limit, undated)
    name = sub.nodes[focus].get("name", focus)
    params = {
        "kind": "neighbourhood",
        "entity": focus,
        "hops": hops,
        "labels": list(labels or []),
        "types": list(types or []),
        "as_of": as_of.isoformat(),
        "limit": limit,
        "offset": offset,
        "total_neighbours": sub.total_neighbours,
        "direct_total": sub.direct_total,  # of the focus: pages are pages of direct neighbours
        "direct_shown": sub.direct_shown,
        "expanded": [list(x) for x in expanded],
        "expanded_totals": totals,  # of each expanded node, for its own paging
        "undated": undated,
    }
    return subgraph_view(store, sub, f"{name}: neighbourhood", as_of, focus, heat, caption + more_caption, params)


def _expand(
    walk: Callable[..., Subgraph],
    sub: Subgraph,
    expanded: Sequence[tuple[str, int]],
    labels: Sequence[str] | None,
    types: Sequence[str] | None,
    as_of: dt.date,
    limit: int,
    undated: bool = False,
) -> tuple[str, dict[str, int]]:
    """Merge one page of each expanded node's neighbours into ``sub``; the caption and each node's total."""
    caption, totals = "", {}
    for node_id, page in expanded:
        more = walk(node_id, 1, labels, types, as_of, limit=limit, offset=page, undated=undated)
        sub.undated_left_out |= more.undated_left_out
        sub.nodes.update({k: v for k, v in more.nodes.items() if k not in sub.nodes})
        sub.edges.update(more.edges)
        name = more.nodes[node_id].get("name", node_id)
        caption += f"; {name}: {neighbourhood_caption(more, page)}"
        totals[node_id] = more.total_neighbours
    return caption, totals


def seed_view(
    store: GraphStore,
    as_of: dt.date | None = None,
    heat: Mapping[str, float] | None = None,
    g: nx.MultiDiGraph | None = None,
    expanded: Sequence[tuple[str, int]] = (),
    limit: int = 150,
    supply: SupplyFacts | None = None,
    undated: bool = False,
) -> View:
    """The seed story, as of a date: Huawei's lists and controls, its licensees with their countries and
    those countries' Belt and Road membership, the patent portfolio most of its licences reach, the
    foundries that make its chips, and the chokepoint
    inputs those need with their largest providers.

    ``g`` is the projection on ``as_of`` when the caller has it (the app caches one);
    ``expanded`` grows the story as in :func:`neighbourhood_view`; ``supply`` is the store's
    :func:`~graph.analytics.supply.supply_facts` when the caller has them.
    The entities are chosen from every fact valid that day, dated or not (HiSilicon belongs to the
    story although its tie to Huawei has no date), but only dated facts are drawn unless ``undated``:
    the caption counts the undated ones left out, and an entity left with no fact drawn is dropped.
    """
    from graph.analytics.supply import dependence_of, group_of, supply_facts

    as_of = as_of or dt.date.today()
    g = g if g is not None else store.projection(as_of=as_of)
    focus = SEED_ENTITY
    keep = {focus}
    for a, b, d in [*g.out_edges(focus, data=True), *g.in_edges(focus, data=True)]:
        if d["type"] in SEED_TYPES and d["type"] != "SUBSIDIARY_OF":  # the group is chosen below
            keep.update((a, b))
    licensee_countries = set()
    for _, licensee, d in g.out_edges(focus, data=True):
        if d["type"] == "LICENSES_TO":
            licensee_countries |= {
                c for _, c, d2 in g.out_edges(licensee, data=True) if d2["type"] == "HEADQUARTERED_IN"
            }
    keep |= licensee_countries
    # Its patents, counted: the portfolios that most of its licences reach (one node per technology, never a
    # patent); more would shrink the wall picture's labels below readable.
    reach = Counter(
        b
        for _, b, d in g.out_edges(focus, data=True)
        if d["type"] == "HOLDS"
        for *_, d2 in g.in_edges(b, data=True)
        if d2["type"] == "LICENSED_UNDER"
    )
    portfolios = {b for b, _ in sorted(reach.items(), key=lambda bn: (-bn[1], bn[0]))[:SEED_PORTFOLIOS]}
    keep |= portfolios
    if any(b == BRI for c in licensee_countries for _, b, d in g.out_edges(c, data=True) if d["type"] == "MEMBER_OF"):
        keep.add(BRI)
    # Group members that do something in the story (make, license, supply, own) are drawn; the many
    # Entity List affiliates that are only listed are counted in the caption, and an expansion pages them.
    group = group_of(g, focus)
    active = {
        n
        for n in group
        if any(d["type"] not in _PASSIVE for _, _, d in [*g.out_edges(n, data=True), *g.in_edges(n, data=True)])
    }
    keep |= active
    affiliates_left_out = len(group - active)
    roles, stages = supply if supply is not None else supply_facts(store)
    dep = dependence_of(g, focus, roles, stages)
    keep |= {p["provider"] for p in dep["providers"]}
    for d in [d for d in dep["inputs"] if d["chokepoint"]][:SEED_INPUTS]:
        keep.add(d["input"])
        if d["top_provider"]:
            keep.add(d["top_provider"][0])
    sub = store.subgraph(keep, (*SEED_TYPES, "MANUFACTURES_FOR", "OWNS", "HOLDS"), as_of, undated)
    if not undated:
        tied = {x for e in sub.edges.values() for x in (e["_start"], e["_end"])} | {focus}
        sub.nodes = {k: v for k, v in sub.nodes.items() if k in tied}
        keep &= tied
    countries = sum(1 for n in keep if g.nodes[n].get("label") == "Country")
    caption = (
        f"Huawei's licensees and their {len(licensee_countries)} countries, with Belt and Road membership"
        + (", and the patent portfolio most of its licences reach; " if portfolios else "; ")
        + f"its lists and controls; the foundries that make its chips and the {SEED_INPUTS} most controlled "
        f"chokepoint inputs they need, with their largest providers ({len(keep)} entities, {countries} countries)"
        + (
            f"; {affiliates_left_out} more affiliates in its group are only listed, not drawn (expand Huawei)"
            if affiliates_left_out
            else ""
        )
    )
    more_caption, totals = _expand(
        partial(store.neighbourhood, within=g), sub, expanded, None, None, as_of, limit, undated
    )
    params = {
        "kind": "seed",
        "undated": undated,
        "entity": focus,
        "as_of": as_of.isoformat(),
        "limit": limit,
        "total_neighbours": 0,  # the story is composed, not paged
        "expanded": [list(x) for x in expanded],
        "expanded_totals": totals,
    }
    name = sub.nodes[focus].get("name", focus)
    return subgraph_view(store, sub, f"{name}: the seed story", as_of, focus, heat, caption + more_caption, params)


def _column_gap(edges: Iterable[Mapping[str, Any]]) -> float:
    """Room between two columns of a paths picture for the longest relationship type written on an edge."""
    longest = max((label_width(e["type"], EDGE_FONT * LABEL_GROW) for e in edges), default=0.0)
    return max(260.0, longest + 80.0)


def paths_view(
    store: GraphStore,
    paths: Sequence[InfluencePath],
    names: Mapping[str, Mapping[str, Any]],
    as_of: dt.date,
    params: Mapping[str, Any] | None = None,
) -> View:
    """Influence paths on one picture: the source on the left, the target on the right, hops between."""
    if not paths:
        raise ValueError("no paths to draw")
    source, target = paths[0].nodes[0], paths[0].nodes[-1]
    longest = max(len(p.nodes) for p in paths)
    columns: list[list[str]] = [[] for _ in range(longest)]
    # The stored records give the picture its aliases (short captions) and the tooltips their facts.
    records = store.nodes({n for p in paths for n in p.nodes})
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    for p in paths:
        for i, n in enumerate(p.nodes):
            if n not in nodes:
                columns[longest - 1 if n == target else i].append(n)
                nodes[n] = (
                    _node(records[n], None)
                    if n in records
                    else {"id": n, "label": names[n].get("label", ""), "name": names[n].get("name", n)}
                )
        for h in p.hops:
            edges[h.edge] = {
                "id": h.edge,
                "from": h.start,
                "to": h.end,
                "type": h.type,
                "sources": h.sources,
                "confidence": h.confidence,
                "dating": h.dating,
                "sentence": h.sentence,
            }
    view = View(
        title=f"{nodes[source]['name']} → {nodes[target]['name']}: {len(paths)} path(s)",
        nodes=list(nodes.values()),
        edges=list(edges.values()),
        as_of=as_of.isoformat(),
        focus=source,
        sources=source_records(store, [s for e in edges.values() for s in e["sources"]]),
        positions={
            k: list(v)
            for k, v in layered(
                columns, _column_gap(edges.values()), layout_boxes(list(nodes.values()), source)
            ).items()
        },
        params={"kind": "paths", **(params or {})},
    )
    return view


EXPLAIN_TYPES = ("OWNS", "LISTED_ON", "LICENSES_TO", "SUBSIDIARY_OF", "MANUFACTURES_FOR", "SUPPLIES")
DEPENDENCE_SHOWN = 6


def exposure_view(
    store: GraphStore,
    g: nx.MultiDiGraph,
    exposure: Mapping[str, Any],
    as_of: dt.date,
    heat: Mapping[str, float] | None = None,
) -> View:
    """The facts behind one entity's exposure: its lists, the ownership chains, the licensing ties,
    its manufacturers and its most controlled inputs with their largest providers."""
    focus = exposure["id"]
    c = exposure["components"]
    keep = {focus} | {x["list"] for x in c.get("direct", [])}
    for rule in ("ofac_50", "bis_affiliates"):
        for contribution in c.get(rule, {}).get("contributions", []):
            keep.update(contribution["path"])
    for tie in c.get("licensing", []):
        keep.update((tie["licensor"], tie["licensee"]))
    dep = c.get("supply_chain") or {}
    keep.update(p["provider"] for p in dep.get("providers", []))
    # The most controlled inputs, each with its largest provider: the dependence, drawn.
    for d in dep.get("inputs", [])[:DEPENDENCE_SHOWN]:
        keep.add(d["input"])
        if d["top_provider"]:
            keep.add(d["top_provider"][0])
    chain_lists = {b for a, b, d in g.edges(data=True) if a in keep and d.get("type") == "LISTED_ON"}
    keep |= chain_lists
    sub = Subgraph()
    for n in keep:
        if n in g:
            sub.nodes[n] = {"id": n, "_label": g.nodes[n].get("label", ""), "name": g.nodes[n].get("name", n)}
    for a, b, key, d in g.edges(keys=True, data=True):
        if a in sub.nodes and b in sub.nodes and d.get("type") in EXPLAIN_TYPES:
            sub.edges[key] = {**d, "id": key, "_type": d["type"], "_start": a, "_end": b}
    title = f"{exposure['name']}: why exposed (score {exposure['score']:g})"
    return subgraph_view(
        store, sub, title, as_of, focus, heat, params={"kind": "exposure", "entity": focus, "as_of": as_of.isoformat()}
    )


def query_view(
    store: GraphStore,
    result: QueryResult,
    title: str,
    as_of: dt.date | None = None,
    params: Mapping[str, Any] | None = None,
) -> View | None:
    """The nodes, relationships and paths in a console result as a picture, or None when there are none."""
    nodes: dict[str, dict[str, Any]] = {}
    rels: dict[str, dict[str, Any]] = {}

    def visit(v: Any) -> None:
        if isinstance(v, dict) and v.get("_path"):
            for n in v["nodes"]:
                visit(n)
            for r in v["relationships"]:
                visit(r)
        elif isinstance(v, dict) and "_label" in v and "id" in v:
            nodes.setdefault(v["id"], v)
        elif isinstance(v, dict) and "_type" in v and v.get("_start") and v.get("_end"):
            key = v.get("id") or f"{v['_start']}-{v['_type']}-{v['_end']}"
            rels.setdefault(key, {**v, "id": key})
        elif isinstance(v, list):
            for x in v:
                visit(x)

    for row in result.rows:
        for value in row:
            visit(value)
    if not nodes:
        return None
    missing = {x for r in rels.values() for x in (r["_start"], r["_end"])} - set(nodes)
    for node_id in sorted(missing):
        found = store.node(node_id)
        if found:
            nodes[node_id] = found
    sub = Subgraph(nodes=nodes, edges=rels)
    return subgraph_view(store, sub, title, as_of or dt.date.today(), params=params)


# The page each kind of view comes from, and the link parameters that page reads.
_LIVE_PAGES = {
    "neighbourhood": ("explore", ("entity", "hops", "types", "labels", "as_of", "undated")),
    "seed": ("explore", ("entity", "as_of", "undated")),
    "paths": ("paths", ("from", "to", "types", "hops", "k", "directed", "as_of")),
    "exposure": ("exposure", ("entity", "as_of")),
    "query": ("console", ("q", "params")),
}


def live_link(view: View) -> tuple[str, dict[str, str]] | None:
    """The app page (its url path) and link parameters that recompute ``view`` from today's graph, if known."""
    page = _LIVE_PAGES.get(str(view.params.get("kind")))
    if page is None:
        return None
    name, keys = page
    out = {}
    for key in keys:
        value = view.params.get(key, view.as_of if key == "as_of" else None)
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif value is not None and value != []:
            out[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    if name == "console":
        out["run"] = "1"
    return name, out
