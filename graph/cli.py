"""``python -m graph``: build, import, query and stats, on either store.

Every command takes ``--store PATH`` (embedded) or ``--neo4j URI``. Any
:class:`GraphError` ends the command with one line on stderr and exit code 1
(2 for usage errors), so scripts and people can act on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph import settings as settings_mod
from graph.errors import GraphError, ValidationError
from graph.store import GraphStore, open_store
from graph.tabular import csv_text


def _store_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--store", metavar="PATH", help="embedded LadybugDB file (default: $TECHGEO_STORE or var/graph.lbdb)"
    )
    g.add_argument(
        "--neo4j",
        metavar="URI",
        help="Neo4j Bolt URI (default: $NEO4J_URI); credentials from NEO4J_USER/NEO4J_PASSWORD",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m graph", description="The tech-geopolitics knowledge graph.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the whole graph from data/ and the loaders, atomically")
    _store_args(b)
    i = sub.add_parser("import", help="import DIR/sources.jsonl, nodes.jsonl and edges.jsonl")
    i.add_argument("dir", type=Path)
    _store_args(i)
    q = sub.add_parser("query", help="run a read-only Cypher query")
    q.add_argument("cypher")
    q.add_argument(
        "--param", action="append", default=[], metavar="NAME=JSON", help="a query parameter, e.g. id='\"huawei\"'"
    )
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--limit", type=_count, default=None, help="row cap (default: $TECHGEO_ROW_CAP or 5000)")
    q.add_argument("--timeout", type=_seconds, default=None, help="seconds (default: $TECHGEO_QUERY_TIMEOUT or 30)")
    _store_args(q)
    pa = sub.add_parser("paths", help="the k shortest influence paths between two entities, explained")
    pa.add_argument("source")
    pa.add_argument("target")
    pa.add_argument("--k", type=_count, default=5)
    pa.add_argument("--max-hops", type=_count, default=6)
    pa.add_argument("--types", help="comma-separated relationship types (default: all)")
    pa.add_argument("--undirected", action="store_true", help="ignore direction (the default follows it)")
    pa.add_argument(
        "--rank",
        choices=("relevance", "length"),
        default="relevance",
        help="relevance: hub-degree and type penalty (see README); length: fewest hops first",
    )
    pa.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    pa.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(pa)
    ex = sub.add_parser("exposure", help="sanction and export-control exposure, by component")
    ex.add_argument("entity", nargs="?")
    ex.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    ex.add_argument("--scenario", type=Path, help="a what-if scenario JSON file; shows the difference to the baseline")
    ex.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(ex)
    sc = sub.add_parser("screen", help="screen counterparties: matches, and each match's exposure on a date, and why")
    sc.add_argument("names", nargs="*", metavar="NAME", help="names to screen (or --file)")
    sc.add_argument("--file", type=Path, help="a CSV or XLSX file with a name column (and country, identifiers, type)")
    sc.add_argument("--country", help="country of every name that gives none (ISO code or name)")
    sc.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    sc.add_argument("--limit", type=_count, default=5, help="most matches per name (default 5)")
    sc.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _store_args(sc)
    su = sub.add_parser("supply", help="supply-chain dependence per input: providers, countries, chokepoints")
    su.add_argument("entity", nargs="?", help="a company or country: who it depends on for what (default: every input)")
    su.add_argument(
        "--controlling", help="ISO3 codes of controlling jurisdictions (default: every country imposing a control)"
    )
    su.add_argument(
        "--chokepoints", action="store_true", help="only inputs where one provider or country holds >= 50%%"
    )
    su.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    su.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(su)
    li = sub.add_parser("licensing", help="licensees of listed licensors, by country, with Belt and Road membership")
    li.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    li.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(li)
    ce = sub.add_parser("centrality", help="PageRank and betweenness, as a way to see influence")
    ce.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    ce.add_argument("--types", help="comma-separated relationship types (default: all)")
    ce.add_argument("--top", type=_count, default=25)
    ce.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(ce)
    r = sub.add_parser("render", help="a picture of an entity's neighbourhood as .html, .png or .pdf")
    r.add_argument("entity")
    r.add_argument("--hops", type=_count, default=1)
    r.add_argument("--types", help="comma-separated relationship types (default: all)")
    r.add_argument("--labels", help="comma-separated node labels (default: all)")
    r.add_argument("--limit", type=_count, default=150, help="most neighbours to draw (default 150)")
    r.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (default: today)")
    r.add_argument("--title", help="the picture's title (default: the entity's name)")
    r.add_argument("--note", default="", help="a note shown under the title")
    r.add_argument("--out", type=Path, required=True, help="FILE.html, FILE.png or FILE.pdf")
    _store_args(r)
    f = sub.add_parser("fetch", help="download the official current files of sources into data/raw/")
    f.add_argument("sources", nargs="*", metavar="SOURCE", help="source ids (default: every source that can fetch)")
    f.add_argument("--list", action="store_true", help="show each source's files: present or absent, size and age")
    f.add_argument("--from", dest="mirror", metavar="URL", help="a mirror holding the same relative paths")
    f.add_argument("--timeout", type=float, default=300.0, help="seconds per file (default 300)")
    m = sub.add_parser("match", help="score pairs of names from a CSV file (name1,name2[,schema,country1,country2])")
    m.add_argument("--pairs", type=Path, required=True, metavar="FILE.csv")
    m.add_argument(
        "--threshold",
        type=_fraction,
        default=None,
        help="match at this score (default: $TECHGEO_MATCH_THRESHOLD or 0.7)",
    )
    rs = sub.add_parser("resolve", help="the entity-resolution review queue of the last build, and judgements on it")
    act = rs.add_mutually_exclusive_group(required=True)
    act.add_argument("--review", action="store_true", help="list the pairs waiting for a judgement")
    act.add_argument(
        "--accept", metavar="ID", help="judge the pair ID the same party (written to data/resolutions.yaml)"
    )
    act.add_argument("--reject", metavar="ID", help="judge the pair ID two parties (written to data/resolutions.yaml)")
    rs.add_argument("--by", help="who judges (default: the login name)")
    rs.add_argument("--why", help="why (default: the matcher's reason and the score)")
    rs.add_argument("--format", choices=("table", "json"), default="table")
    rs.add_argument("--limit", type=_count, default=None, help="show at most this many pairs")
    _store_args(rs)
    s = sub.add_parser("stats", help="counts per label and type, and the sources loaded")
    s.add_argument("--format", choices=("table", "json"), default="table")
    _store_args(s)
    return p


def _argument(parse: Any) -> Any:
    """An argparse ``type`` from a settings parser: its ValueError becomes argparse's one-line usage error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__  # argparse names the type in some messages
    return convert


_seconds = _argument(settings_mod.positive_seconds)
_count = _argument(settings_mod.positive_int)
_fraction = _argument(settings_mod.fraction)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from exc


def _open(settings: settings_mod.Settings, create: bool = False) -> GraphStore:
    store = open_store(settings)
    if not create and not store.exists():
        raise GraphError(f"no graph at {store.describe()}; run `python -m graph build` first")
    return store


def _params(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.isidentifier():
            raise GraphError(f"--param {pair!r}: expected NAME=JSON, e.g. --param id='\"huawei\"'")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise GraphError(f"--param {name}: {raw!r} is not JSON ({exc.msg}); quote text as '\"text\"'") from exc
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [min(max([len(c)] + [len(r[i]) for r in cells]), 60) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in cells:
        out.append("  ".join((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(r, widths)))
    return "\n".join(out)


def cmd_build(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.build import build

    with _open(settings, create=True) as store:
        batch, _result, reports = build(store, settings, progress=lambda m: print(m, file=sys.stderr))
    for r in reports:
        for w in r.warnings:
            print(f"warning: {r.source}: {w}", file=sys.stderr)
    print(f"built {batch.counts()['nodes']} nodes and {batch.counts()['edges']} relationships into {store.describe()}")
    return 0


def cmd_import(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.importer import import_dir

    with _open(settings, create=True) as store:
        batch, result = import_dir(store, args.dir)
    counts = batch.counts()
    print(
        f"imported {counts['nodes']} nodes ({result.nodes_created} new) and {counts['edges']} relationships "
        f"({result.edges_created} new) into {store.describe()}"
    )
    return 0


def cmd_query(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    limit = args.limit if args.limit is not None else settings.row_cap
    timeout = args.timeout if args.timeout is not None else settings.query_timeout
    with _open(settings) as store:
        res = store.query(args.cypher, _params(args.param), timeout=timeout, limit=limit)
    if args.format == "json":
        print(json.dumps(res.records(), default=_json_default, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(csv_text(res.columns, [[_cell(v) for v in row] for row in res.rows]))
    else:
        print(_table(res.columns, res.rows))
        print(f"({len(res.rows)} rows, {res.elapsed * 1000:.0f} ms)")
    for caveat in res.caveats(settings.cell_chars):
        advice = "raise --limit to see more" if res.truncated_by == "rows" else "narrow the query"
        print(f"{caveat} ({advice})", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    with _open(settings) as store:
        stats = store.stats()
    if args.format == "json":
        print(json.dumps(stats, default=_json_default, ensure_ascii=False, indent=1))
        return 0
    print(f"store: {stats['store']}")
    print(f"{stats['total_nodes']} nodes, {stats['total_relationships']} relationships\n")
    print(_table(["label", "nodes"], [[k, v] for k, v in stats["nodes"].items()]) + "\n")
    print(_table(["type", "relationships"], [[k, v] for k, v in stats["relationships"].items()]) + "\n")
    print(
        _table(
            ["source", "publisher", "date", "license", "cited by nodes", "cited by relationships"],
            [
                [s["id"], s["publisher"], s["date"], s["license"], s["nodes_citing"], s["relationships_citing"]]
                for s in stats["sources"]
            ],
        )
    )
    return 0


def cmd_paths(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.analytics.paths import path_page

    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        types = _names(args.types, store.schema.relationships, "relationship type(s)")
        a, b = store.resolve(args.source), store.resolve(args.target)
        top = store.topology(as_of=as_of)
    page = path_page(
        top, a, b, k=args.k, types=types, max_hops=args.max_hops, directed=not args.undirected, rank=args.rank
    )
    paths = page.paths
    if args.format == "json":
        print(json.dumps([p.as_dict() for p in paths], default=_json_default, ensure_ascii=False, indent=1))
        return 0
    print(f"{page.caption()}, from {top.name(top.index(a))} to {top.name(top.index(b))} as of {as_of}:")
    for i, p in enumerate(paths, 1):
        print(f"\n{i}. {p.length} hop(s), {p.cost:.1f} bits")
        for h in p.hops:
            note = "" if h.confidence == "high" else f" [confidence {h.confidence}]"
            print(f"   {h.sentence}{note} (sources: {', '.join(h.sources)})")
    return 0


def cmd_exposure(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.analytics.exposure import sanction_exposure
    from graph.analytics.supply import dependence_summary, supply_facts
    from graph.views import control_rules

    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        entity = store.resolve(args.entity) if args.entity else None
        g = store.projection(as_of=as_of)
        rules = control_rules(store)
        supply = supply_facts(store)
    if args.scenario:
        return _what_if(args, g, as_of, rules, entity, supply)
    # An entity asked about is kept at score 0, so that --format json always answers with its object.
    results = sanction_exposure(g, as_of, rules, supply=supply, keep=[entity] if entity else ())
    if entity:
        results = [r for r in results if r.id == entity]
        if args.format != "json" and not any(r.score for r in results):
            print(f"{g.nodes[entity]['name'] if entity in g else entity}: no exposure found as of {as_of}")
            return 0
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in results], default=_json_default, ensure_ascii=False, indent=1))
        return 0
    rows = []
    for r in results:
        c = r.components
        lists = "; ".join(f"{x['list_name']} since {x['since'] or 'date not in source'}" for x in c["direct"])
        rows.append(
            [
                r.id,
                r.name,
                f"{r.score:g}",
                lists,
                c["ofac_50"].get("explanation", ""),
                c["bis_affiliates"].get("explanation", ""),
                dependence_summary(c["supply_chain"]),
            ]
        )
    print(f"exposure as of {as_of}")
    print(_table(["id", "name", "score", "lists", "ofac_50", "bis_affiliates", "supply_chain"], rows))
    return 0


def _what_if(
    args: argparse.Namespace, g: Any, as_of: dt.date, rules: list[Any], entity: str | None, supply: Any
) -> int:
    from graph.analytics.scenario import compare, later_than, load_scenario

    scenario = load_scenario(args.scenario)
    _, _, changes = compare(g, scenario, as_of, rules, supply)
    late = later_than(scenario, as_of)
    if entity:
        changes = [c for c in changes if c.id == entity]
    if args.format == "json":
        print(
            json.dumps(
                {
                    "scenario": scenario.name,
                    "as_of": as_of,
                    "dated_after_as_of": late,
                    "changes": [c.as_dict() for c in changes],
                },
                default=_json_default,
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    print(f"what-if '{scenario.name}' as of {as_of}: {len(changes)} entit{'y' if len(changes) == 1 else 'ies'} change")
    for fact in late:
        print(f"note: {fact}, so it does not count on the as-of date; use --as-of on or after it")
    rows = []
    for c in changes:
        o, a = c.why.get("ofac_50", {}), c.why.get("bis_affiliates", {})
        lists = "; ".join(x["list_name"] for x in c.why.get("direct", []))
        rows.append(
            [
                c.id,
                c.name,
                f"{c.baseline:g}",
                f"{c.scenario:g}",
                c.summary(),
                lists,
                o.get("explanation", ""),
                a.get("explanation", ""),
            ]
        )
    print(_table(["id", "name", "baseline", "scenario", "change", "lists", "ofac_50", "bis_affiliates"], rows))
    return 0


def cmd_supply(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.analytics.supply import dependence_of, supply_chain, supply_facts

    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        entity = store.resolve(args.entity) if args.entity else None
        g = store.projection(as_of=as_of)
        roles, stages = supply_facts(store)
    controlling = [c.strip().upper() for c in args.controlling.split(",")] if args.controlling else None
    if entity:
        return _dependence(args, g, dependence_of(g, entity, roles, stages, controlling), as_of)
    deps = [d for d in supply_chain(g, controlling) if d.chokepoint or not args.chokepoints]
    if args.format == "json":
        print(json.dumps([d.as_dict() for d in deps], ensure_ascii=False, indent=1))
        return 0

    def named(pair: tuple[str, float] | None) -> str:
        return f"{g.nodes[pair[0]].get('name', pair[0])} {pair[1]:g}%" if pair else ""

    rows = [
        [d.name, "yes" if d.chokepoint else "", named(d.top_provider), named(d.top_country), f"{d.controlled_share:g}%"]
        for d in deps
    ]
    print(f"supply-chain dependence as of {as_of} (CSET market shares)")
    print(_table(["input", "chokepoint", "top provider", "top country", "from controlling jurisdictions"], rows))
    return 0


def _dependence(args: argparse.Namespace, g: Any, dep: dict[str, Any], as_of: dt.date) -> int:
    if args.format == "json":
        print(json.dumps(dep, ensure_ascii=False, indent=1))
        return 0
    name = g.nodes[dep["entity"]].get("name", dep["entity"])
    print(f"{name}: supply-chain dependence as of {as_of} (controlling: {', '.join(dep['controlling']) or 'none'})")
    if dep["providers"]:
        print(
            _table(
                ["provider", "country", "for", "relation", "controlled"],
                [
                    [
                        p["name"],
                        p["country"] or "",
                        g.nodes[p["for"]].get("name", p["for"]),
                        p["relation"],
                        "yes" if p["controlled"] else "",
                    ]
                    for p in dep["providers"]
                ],
            )
        )
    rows = [
        [
            d["name"],
            f"{d['controlled_share']:g}%",
            f"{d['own_share']:g}%",
            g.nodes[d["top_provider"][0]].get("name", "") if d["top_provider"] else "",
            "yes" if d["chokepoint"] else "",
            "; ".join(d["needed"]),
        ]
        for d in dep["inputs"]
        if d["chokepoint"] or not args.chokepoints
    ]
    if not rows:
        print("no inputs found: no role, provider, product or input of it is in the data")
        return 0
    print(_table(["input", "from controlling", "own country", "top provider", "chokepoint", "needed for"], rows))
    return 0


def cmd_licensing(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.analytics.licensing import licensing_by_country

    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        g = store.projection(as_of=as_of)
    groups = licensing_by_country(g)
    if args.format == "json":
        print(json.dumps([c.as_dict() for c in groups], default=_json_default, ensure_ascii=False, indent=1))
        return 0
    rows = []
    for c in groups:
        for t in c.ties:
            lists = ", ".join(g.nodes[x].get("name", x) for x in t.licensor_lists) or "(licensee listed)"
            rows.append(
                [
                    c.name,
                    ("yes (low confidence)" if c.bri_confidence == "low" else "yes") if c.bri_member else "",
                    g.nodes[t.licensee]["name"],
                    g.nodes[t.licensor]["name"],
                    lists,
                    t.confidence,
                    ", ".join(t.sources),
                ]
            )
    print(f"licensing ties to listed parties as of {as_of}")
    print(
        _table(
            ["licensee country", "BRI member", "licensee", "licensor", "licensor listed on", "confidence", "sources"],
            rows,
        )
    )
    return 0


def cmd_centrality(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.analytics.centrality import centrality

    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        types = _names(args.types, store.schema.relationships, "relationship type(s)")
        g = store.projection(types=types, as_of=as_of)
    ranked = centrality(g, cache_dir=settings_mod.CACHE_DIR)[: args.top]
    if args.format == "json":
        print(json.dumps(ranked, ensure_ascii=False, indent=1))
        return 0
    print(f"centrality as of {as_of} (Source nodes left out)")
    print(
        _table(
            ["id", "name", "label", "pagerank", "betweenness", "community"],
            [
                [r["id"], r["name"], r["label"], f"{r['pagerank']:.4f}", f"{r['betweenness']:.4f}", r["community"]]
                for r in ranked
            ],
        )
    )
    return 0


def _names(text: str | None, known: Any, what: str) -> list[str] | None:
    """Comma-separated names checked against the schema's ``known`` ones."""
    if not text:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in known]
    if unknown:
        raise GraphError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def cmd_render(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.export import export
    from graph.views import exposure_scores, neighbourhood_view

    as_of = args.as_of or dt.date.today()
    if args.hops < 1 or args.limit < 1:
        raise GraphError("--hops and --limit must be at least 1")
    with _open(settings) as store:
        types = _names(args.types, store.schema.relationships, "relationship type(s)")
        labels = _names(args.labels, store.schema.labels, "label(s)")
        view = neighbourhood_view(
            store, args.entity, args.hops, labels, types, as_of, args.limit, heat=exposure_scores(store, as_of)
        )
    view.title = args.title or view.title
    view.note = args.note
    out = export(view, args.out)
    print(f"wrote {out} ({len(view.nodes)} nodes, {len(view.edges)} relationships, {view.caption}, as of {as_of})")
    return 0


def cmd_screen(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.screen import COLUMNS, Screener, flat_rows
    from graph.screen_input import from_text, read_path

    if bool(args.names) == bool(args.file):
        raise GraphError("give names to screen, or --file FILE.csv, not both or neither")
    batch = read_path(args.file, args.country) if args.file else from_text("\n".join(args.names), args.country)
    for note in batch.notes:
        print(f"note: {note}", file=sys.stderr)
    as_of = args.as_of or dt.date.today()
    with _open(settings) as store:
        screener = Screener(store, as_of, settings.match_threshold, args.limit)
        size = len(screener.index)

    def progress(done: int, total: int) -> None:
        if total >= 100:
            print(f"screened {done:,} of {total:,}", file=sys.stderr)

    results = screener.screen(batch.queries, progress)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in results], default=_json_default, ensure_ascii=False, indent=1))
        return 0
    rows = flat_rows(results)
    if args.format == "csv":
        sys.stdout.write(csv_text(COLUMNS, ([row[c] for c in COLUMNS] for row in rows)))
        return 0
    found = sum(1 for r in results if r.matches)
    print(
        f"screened {len(results):,} name(s) against {size:,} parties as of {as_of} "
        f"(match at score >= {settings.match_threshold:g}): {found:,} matched, {len(results) - found:,} not"
    )
    shown = ["query", "status", "match", "id", "score", "reason", "exposure", "lists", "ofac_50", "bis_affiliates"]
    print(_table([*shown, "nearest"], [[row[c] for c in [*shown, "nearest"]] for row in rows]))
    return 0


def cmd_fetch(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.fetch import fetch, inventory, print_inventory
    from loaders import LOADERS

    if args.list:
        print_inventory(inventory(LOADERS, settings.raw_dirs))
        return 0
    raw_dir = settings.raw_dirs[0]  # data/raw unless TECHGEO_RAW_DIRS says otherwise
    results = fetch(
        LOADERS,
        args.sources,
        raw_dir,
        settings.raw_dirs,
        mirror=args.mirror,
        timeout=args.timeout,
        progress=lambda m: print(m, file=sys.stderr),
    )
    for r in results:
        print(f"{'fetched' if r.ok else 'failed '} {r.source}: {r.file}: {r.message}")
    if not results:
        print("no source to fetch: `python -m graph fetch --list` shows what each source reads")
    return 0 if all(r.ok for r in results) else 1


def cmd_match(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    from graph.resolve.pairs import read_pairs, score_rows

    header, rows = read_pairs(args.pairs)
    threshold = args.threshold if args.threshold is not None else settings.match_threshold
    out = score_rows(rows, threshold)
    columns = [*header, "score", "match"]
    sys.stdout.write(csv_text(columns, [[r.get(c, "") for c in columns] for r in out]))
    return 0


def cmd_resolve(args: argparse.Namespace, settings: settings_mod.Settings) -> int:
    import getpass

    from graph.build import resolution_path
    from graph.resolve import ResolutionReport, add_judgement, load_judgements

    path = resolution_path(settings)
    if not path.exists():
        raise GraphError(f"no resolution report at {path}; run `python -m graph build` first")
    try:
        report = ResolutionReport.load(path)
    except (ValueError, TypeError, KeyError) as exc:
        raise GraphError(f"{path}: not a resolution report ({exc}); run `python -m graph build` again") from None
    judged = {j.pair for j in load_judgements(settings.resolutions_path)}
    queue = [r for r in report.review if tuple(sorted((r.a["id"], r.b["id"]))) not in judged]
    if args.review:
        shown = queue[: args.limit] if args.limit else queue
        if args.format == "json":
            print(json.dumps([r.__dict__ for r in shown], ensure_ascii=False, indent=1, default=_json_default))
            return 0
        print(f"{len(queue)} pair(s) to review (from the build of {path.name}; thresholds {report.thresholds})")
        rows = [
            [
                r.id,
                f"{r.score:.2f}",
                f"{r.a['name']} [{','.join(r.a['countries'])}] {r.a['dataset']}",
                f"{r.b['name']} [{','.join(r.b['countries'])}] {r.b['dataset']}",
                r.why_queued,
            ]
            for r in shown
        ]
        print(_table(["id", "score", "a", "b", "why"], rows))
        return 0
    pair_id = args.accept or args.reject
    item = next((r for r in report.review if r.id == pair_id), None)
    if item is None:
        raise GraphError(
            f"no pair {pair_id!r} in the review queue of the last build; see `python -m graph resolve --review`"
        )
    verdict = "same" if args.accept else "different"
    by = args.by or getpass.getuser()
    why = args.why or f"{'accepted' if args.accept else 'rejected'} in review: {item.reason} (score {item.score:.2f})"
    j = add_judgement(settings.resolutions_path, item.a["id"], item.b["id"], verdict, by, why)
    print(
        f"recorded at {settings.resolutions_path}:{j.line}: {item.a['name']!r} and {item.b['name']!r} are "
        f"{'the same party' if verdict == 'same' else 'two parties'}; the next build applies it"
    )
    return 0


COMMANDS = {
    "build": cmd_build,
    "import": cmd_import,
    "query": cmd_query,
    "stats": cmd_stats,
    "fetch": cmd_fetch,
    "paths": cmd_paths,
    "exposure": cmd_exposure,
    "screen": cmd_screen,
    "supply": cmd_supply,
    "licensing": cmd_licensing,
    "centrality": cmd_centrality,
    "render": cmd_render,
    "match": cmd_match,
    "resolve": cmd_resolve,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        # --store picks the embedded file even when NEO4J_URI is set in the environment.
        store_path, uri = getattr(args, "store", None), getattr(args, "neo4j", None)
        settings = settings_mod.load(store_path=store_path, neo4j_uri="" if store_path else uri)
        return COMMANDS[args.command](args, settings)
    except ValidationError as exc:
        for problem in exc.problems[1:]:
            print(f"  {problem}", file=sys.stderr)
        print(f"error: {exc} — nothing was written", file=sys.stderr)
        return 1
    except GraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # A file or folder the command was pointed at cannot be read (an unreadable import DIR, say):
        # the OS's own words name it. Stores turn their own write failures into GraphErrors.
        where = exc.filename if exc.filename is not None else "a file"
        print(f"error: cannot access {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
