"""What every page of the app shares: the open store, cached analyses, and small widgets.

The store, projections and exposure results are cached per graph version
(store, the identity of its file, build time and counts), so a rebuild or an
import is picked up on the next run and a filter change reruns in
milliseconds. Text from data reaches markdown only through :func:`md`, which
escapes markup.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from graph import settings as settings_mod
from graph import views as gv
from graph.briefing import Storyboard
from graph.build import manifest_path
from graph.errors import GraphError
from graph.render import View
from graph.search import EntityFinder
from graph.store import EmbeddedStore, GraphStore, open_store
from graph.tabular import csv_text, xlsx_bytes


@dataclass
class Context:
    """What a run of the app works on: the settings, the open store, its build manifest and version."""

    settings: settings_mod.Settings
    store: GraphStore
    manifest: dict[str, Any]
    version: str  # store, file identity, build time and counts: the key of every cached analysis


_CURRENT: Context | None = None


@dataclass
class _Shared:
    """The store shared by every session, and the identity of the file it reads (embedded only)."""

    store: GraphStore
    identity: tuple[int, int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> tuple[int, int] | None:
        """Reopen the store if a build or import swapped in a new file since it was opened; the file's identity.

        A write replaces the file by a rename, and an open read-only handle goes
        on reading the deleted one: the old data under the new build's manifest.
        """
        if not isinstance(self.store, EmbeddedStore):
            return None
        with self.lock:
            now = self.store.identity()
            if now != self.identity:
                # Read before the next read opens the file: a swap in between only costs one more reopen.
                self.store.reopen()
                self.identity = now
        return now


@st.cache_resource(on_release=lambda shared: shared.store.close())
def _store(store_path: str, neo4j_uri: str | None) -> _Shared:
    """One store per target, shared by every session of the app."""
    return _Shared(open_store(settings_mod.load(store_path=store_path, neo4j_uri=neo4j_uri or "")))


def open_context() -> Context:
    """Read the settings and open the store, once per run (app.py calls it first).

    Stops the page with what to run when there is no graph or Neo4j is unreachable.
    """
    global _CURRENT
    settings = settings_mod.load()
    try:
        shared = _store(str(settings.store_path), settings.neo4j_uri)
        store, identity = shared.store, shared.current()
        if not store.exists():
            raise GraphError(f"no graph at {store.describe()}; run `python -m graph build` first")
        nodes, rels = store.counts()
    except GraphError as exc:
        _store.clear()
        st.error(md(exc))
        if settings.neo4j_uri:
            st.info("Start Neo4j (`make neo4j-start`) or unset NEO4J_URI to use the embedded store.")
        st.stop()
        raise SystemExit(1) from exc  # st.stop() returns only outside a Streamlit run
    path = manifest_path(store, settings)
    manifest = json.loads(path.read_text()) if path.exists() else {}
    version = "|".join(
        map(str, (store.describe(), identity, manifest.get("built_at", ""), sum(nodes.values()), sum(rels.values())))
    )
    _CURRENT = Context(settings, store, manifest, version)
    return _CURRENT


@st.cache_resource(max_entries=4)
def stats(version: str) -> dict[str, Any]:
    """:meth:`GraphStore.stats` of this graph version: it walks every relationship, so once per build."""
    return ctx().store.stats()


@st.cache_resource(max_entries=8)
def topology(version: str, as_of: dt.date, undated: bool = True) -> Any:
    """:func:`projection` as arrays, for the path engine; shared like the projection."""
    from graph.analytics.topology import Topology

    return Topology.from_networkx(projection(version, as_of, undated))


def query_int(name: str, default: int, low: int, high: int) -> int:
    """An integer from the page's link, clamped to the widget's range; the default when absent or not a number."""
    try:
        return min(high, max(low, int(st.query_params.get(name, default))))
    except ValueError:
        return default


def ctx() -> Context:
    """The context of the current run."""
    return _CURRENT or open_context()


@st.cache_resource(max_entries=8)
def projection(version: str, as_of: dt.date, undated: bool = True) -> Any:
    """The whole graph as of a date, shared read-only by every page and session.

    Analyses keep undated facts (``undated``); pictures leave them out unless the reader includes them.
    """
    return ctx().store.projection(as_of=as_of, undated=undated)


@st.cache_resource(max_entries=4)
def exposure_facts(version: str) -> tuple[list[dict[str, Any]], Any]:
    """The control rules and the supply facts (roles, stages) that exposure reads: read once per build."""
    from graph.analytics.supply import supply_facts

    return gv.control_rules(ctx().store), supply_facts(ctx().store)


# Shared read-only objects (cache_resource), not copies: cache_data unpickles its value on every call, and
# for every entity's exposure that cost more than a second per rerun. Callers never change what they get.
@st.cache_resource(max_entries=16)
def exposure_results(version: str, as_of: dt.date) -> list[dict[str, Any]]:
    """Every exposed entity's exposure on ``as_of``, highest score first (shared: read, never change)."""
    from graph.analytics.exposure import sanction_exposure

    rules, supply = exposure_facts(version)
    return [r.as_dict() for r in sanction_exposure(projection(version, as_of), as_of, rules, supply=supply)]


def heat(as_of: dt.date) -> dict[str, float]:
    """Each exposed entity's score on ``as_of``, for the pictures' exposure rings."""
    return _heat(ctx().version, as_of)


@st.cache_resource(max_entries=16)
def _heat(version: str, as_of: dt.date) -> dict[str, float]:
    return {r["id"]: r["score"] for r in exposure_results(version, as_of)}


def exposure_of(node_id: str, as_of: dt.date) -> dict[str, Any] | None:
    """One entity's exposure on ``as_of`` (None when nothing applies), found by id, not by a scan."""
    return _exposure_by_id(ctx().version, as_of).get(node_id)


@st.cache_resource(max_entries=16)
def _exposure_by_id(version: str, as_of: dt.date) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in exposure_results(version, as_of)}


@st.cache_resource(max_entries=4)
def entities(version: str) -> dict[str, str]:
    """Search suggestions: id to "Name (Label) · aliases", for every entity except sources."""
    out = {  # from the search index's copy: the store's names are read once per graph version
        node_id: f"{name} ({label})" + (f" · {', '.join(aliases)}" if aliases else "")
        for node_id, label, name, aliases in finder(version).entries()
    }
    return dict(sorted(out.items(), key=lambda kv: kv[1].lower()))


@st.cache_resource(max_entries=2, show_spinner="Indexing the graph's names…")
def finder(version: str) -> EntityFinder:
    """Every entity's names, for the search boxes: built once per graph version, shared by every session."""
    return EntityFinder(ctx().store.entities())


def names_of(version: str) -> Callable[[str], str | None]:
    """An entity's name from its id (None for an unknown id), for sentences that name entities."""
    fnd = finder(version)
    return lambda node_id: fnd.name(node_id) if node_id in fnd else None


def entity_box(label: str, key: str, default: str) -> str:
    """A search box for one entity; returns the id of the entity it has open.

    Enter opens only an entity whose id, name or alias is what was typed (see :mod:`graph.search`). Anything
    else opens nothing: the box says the name is not in the graph, lists the nearest names with their label
    and match quality to choose from, and offers to screen the name. "Not found" never reads as "no neighbours".
    The open entity is ``st.session_state[key]``; the text is ``{key}_find``.
    """
    fnd, state = finder(ctx().version), st.session_state
    current = state.get(key, default)
    if default != state.get(f"{key}_default", default) and default in fnd:
        current = default  # a link (a briefing's "open it live") names another entity: it wins
    state[f"{key}_default"] = default
    if current not in fnd:
        current = default if default in fnd else next(iter(fnd.ids()), default)
    typed = st.text_input(
        label, key=f"{key}_find", placeholder=f"{fnd.name(current)}: type a name, alias or id, then Enter"
    )
    if typed != state.get(f"{key}_typed", ""):
        state[f"{key}_typed"] = typed
        found = fnd.find(typed) if typed.strip() else None
        state[f"{key}_found"] = None if found is None or found.opened else found
        if found and found.opened:
            current = found.opened
    found = state.get(f"{key}_found")
    if found and state.get(f"{key}_pick"):  # a name chosen from the list opens, and the list goes
        current, found = state[f"{key}_pick"], None
        state[f"{key}_found"] = None
    if found:
        _not_found(found, key)
    state[key] = current
    st.caption(f"Open: **{md(fnd.name(current))}** ({md(fnd.label(current))}) · id {md(current)}")
    return current


def _not_found(found: Any, key: str) -> None:
    """Why the typed text opened nothing, the names near it to choose from, and a link to screen it."""
    st.warning(md(found.message))
    if found.suggestions:
        by_id = {s.id: s for s in found.suggestions}
        st.selectbox(
            "Nearest names (label · match quality · how)",
            list(by_id),
            index=None,
            format_func=lambda i: by_id[i].text(),
            placeholder="Choose one to open it",
            key=f"{key}_pick",
        )
    st.page_link(
        "graph/ui/pages/screen.py",
        label=f"Screen “{md(found.text)}” against the lists",
        query_params={"names": found.text},
    )


_DAY_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%Y%m%d")


def parse_day(text: str) -> dt.date | None:
    """A date as analysts type it: 2020-09-15, 2020/09/15, 2020.09.15, 15 Sep 2020, September 15, 2020.

    >>> [parse_day(t) for t in ("2020-09-15", "2020/9/15", "15 Sep 2020", "Sep 15, 2020", "15/09/2020", "")]
    [datetime.date(2020, 9, 15), datetime.date(2020, 9, 15), datetime.date(2020, 9, 15), datetime.date(2020, 9, 15), None, None]
    """
    cleaned = re.sub(r"[/.]", "-", text.strip().replace(",", " "))
    cleaned = re.sub(r"\s+", " ", cleaned)
    for fmt in _DAY_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def date_box(label: str, key: str, default: dt.date, where: Any = None) -> dt.date:
    """A date field that commits when Enter is pressed (Streamlit's date picker keeps a typed date until
    the picker closes); a text that is not a date says so and keeps the last good date."""
    where = where if where is not None else st
    good = f"{key}_day"
    if key not in st.session_state:
        st.session_state[key] = default.isoformat()
        st.session_state[good] = default
    text = where.text_input(
        label, key=key, max_chars=24, help="YYYY-MM-DD, then Enter (2020/09/15 and 15 Sep 2020 work too)"
    )
    day = parse_day(text)
    if day is None:
        where.warning(f"{md(repr(text))} is not a date (YYYY-MM-DD): showing {st.session_state.get(good, default)}")
        return st.session_state.get(good, default)
    st.session_state[good] = day
    return day


def parse_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        st.warning(f"{md(repr(value))} in the link is not a date (YYYY-MM-DD); showing today")
        return dt.date.today()


# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it leaves no markup live: no
# emphasis, link, image, HTML, heading, list or table, no Streamlit directive (:red[x], :material/home:) and no $x$.
_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")
# GFM links bare URLs and e-mail addresses after escapes are resolved; an invisible word joiner breaks them.
_AUTOLINK = re.compile(r"(?i)(https?(?=\\:)|www(?=\\\.)|\\@)")


def md(text: Any) -> str:
    """Text from data or from a link, for any Streamlit element that renders markdown (body, label, toast).

    It shows as written and nothing in it is live: ``![x](http://…)`` loads no image, ``[x](javascript:…)`` is no
    link, ``<img …>`` is no HTML, ``:red[x]`` and ``$x$`` stay as typed. Line breaks stay soft breaks.
    """
    escaped = _MARKUP.sub(r"\\\1", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return _AUTOLINK.sub("\\1\u2060", escaped)


def web_url(url: Any) -> str | None:
    """``url`` when it is an http(s) address, the only kind the app shows as a link; None otherwise."""
    text = "" if url is None else str(url)
    parts = urllib.parse.urlsplit(text)
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc and text == text.strip() else None


def source_table(rows: list[dict[str, Any]], **kwargs: Any) -> None:
    """Sources as a table of text in which only an http(s) ``url`` is a link; any other address is shown as text."""
    frame = pd.DataFrame(rows)
    config: dict[str, Any] = {}
    if "url" in frame.columns:
        urls = frame["url"]
        frame["url"] = urls.map(web_url)
        other = urls.where(frame["url"].isna() & urls.notna())
        if other.notna().any():
            frame.insert(frame.columns.get_loc("url") + 1, "address (not a web link)", other)
        # The host stands for the address, so that every other column fits beside it; the link is the whole URL.
        config["url"] = st.column_config.LinkColumn("url", display_text=r"https?://(?:www\.)?([^/?#]+)", width="small")
    for wide in ("title", "name"):
        if wide in frame.columns:
            config[wide] = st.column_config.TextColumn(wide, width="large")
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)


def download_csv(frame: pd.DataFrame, name: str, key: str) -> None:
    """A download of a table as CSV whose cells cannot run as spreadsheet formulas (Streamlit's own
    table export, which writes cells raw, is turned off in .streamlit/config.toml)."""
    data = csv_text(list(frame.columns), frame.itertuples(index=False, name=None))
    st.download_button("Download CSV", data, f"{name}.csv", "text/csv", key=key)


def download_xlsx(frame: pd.DataFrame, name: str, key: str) -> None:
    """The same table as an XLSX workbook, with the same protection against formulas."""
    data = xlsx_bytes(list(frame.columns), frame.itertuples(index=False, name=None), sheet=name)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    st.download_button("Download XLSX", data, f"{name}.xlsx", mime, key=key)


@st.cache_resource(max_entries=4)
def source_titles(version: str) -> dict[str, str]:
    """Each source's title by id (one query; :func:`stats` walks the whole graph)."""
    return {i: t or i for i, t in ctx().store.read("MATCH (s:Source) RETURN s.id, s.title")}


def resolved_from(node: dict[str, Any]) -> None:
    """ "Resolved from N source records": each record the resolver merged into this entity, with its sources."""
    from graph.resolve.resolver import source_records

    records = source_records(node)
    if len(records) < 2:
        return
    titles = source_titles(ctx().version)
    with st.expander(f"Resolved from {len(records)} source records"):
        st.dataframe(
            pd.DataFrame(
                [
                    {"source record": record, "cites": "; ".join(f"{titles.get(s, s)} ({s})" for s in cited)}
                    for record, cited in records
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def citations(view: View) -> None:
    with st.expander(f"Sources cited ({len(view.sources)})"):
        source_table(view.sources)


def save_button(view: View, key: str) -> None:
    board = current_board()
    if st.button("Save view to briefing", key=key, help="Positions are frozen now: the picture stays the same"):
        board.add(view)
        board.save()
        st.toast(f"Saved '{md(view.title)}' to the briefing '{md(board.name)}' ({len(board.views)} views)")


def current_board() -> Storyboard:
    name = st.session_state.get("board", "briefing")
    return Storyboard.load_or_new(ctx().settings.store_path.parent / "briefings", name)


def header(title: str) -> None:
    st.title(title)
    built = ctx().manifest.get("built_at", "unknown")
    loaders = len(ctx().manifest.get("loaders", []))
    st.caption(f"Store: {md(ctx().store.describe())} · built {md(built)} · {loaders} loaders")
