"""Truth as a test: curated facts against the loaded lists, citations against their sources.

These run on the records the loaders emit, merged as the build merges them
(``graph.build.merge``), with no store: they test the data, not the stores.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analytics.licensing import licensing_by_country
from graph.build import merge, run_loaders
from graph.maps import licensing_table
from graph.model import EdgeRecord, NodeRecord
from graph.settings import DATA_DIR
from loaders import bri_gfdc, countries, curated, us_lists
from tests.conftest import SHARED_DATA, need


def _raw_dirs() -> list[Path]:
    return [d for d in (DATA_DIR / "raw", SHARED_DATA) if d.is_dir()]


@pytest.fixture(scope="module")
def core() -> tuple[dict[str, NodeRecord], list[EdgeRecord]]:
    """Curated facts, countries and the Belt and Road list, merged."""
    nodes, edges, _ = run_loaders(_raw_dirs(), loaders=(curated, countries, bri_gfdc))
    nodes, edges = merge(nodes, edges)
    return {n.id: n for n in nodes}, edges


def _date(v: Any) -> dt.date | None:
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


def projection(nodes: dict[str, NodeRecord], edges: list[EdgeRecord], as_of: dt.date) -> nx.MultiDiGraph:
    """What ``GraphStore.projection`` gives, from records."""
    g = nx.MultiDiGraph()
    for n in nodes.values():
        g.add_node(n.id, label=n.label, name=n.props.get("name"))
    for e in edges:
        vf, vt = _date(e.props.get("valid_from")), _date(e.props.get("valid_to"))
        if (vf is None or vf <= as_of) and (vt is None or vt >= as_of):
            g.add_edge(e.start, e.end, key=e.props["id"], type=e.type, **e.props)
    return g


# --- The Belt and Road as analysts read it -------------------------------------------------------------


def test_china_is_the_initiator_not_a_member(core) -> None:
    nodes, edges = core
    members = {e.start for e in edges if e.type == "MEMBER_OF"}
    assert "CHN" not in members and len(members) == 150
    assert "CHN" in nodes and "Initiated by China" in nodes["bri"].props["note"]


def test_curated_corrections_must_name_gfdc_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A correction for a row GFDC does not have, or with another join date, stops the load."""
    from graph.errors import LoaderError
    from loaders.base import Context

    bad = tmp_path / "bri-gfdc.yaml"
    bad.write_text("corrections:\n  - {country: KOR, valid_from: 2019-01-01, set: {confidence: low}}\n")
    monkeypatch.setattr(bri_gfdc, "CORRECTIONS", bad)
    with pytest.raises(LoaderError, match="KOR: the curated correction is for a row joined 2019-01-01"):
        bri_gfdc.load(Context(bri_gfdc.SOURCE, _raw_dirs()))
    bad.write_text("corrections:\n  - {country: XKX, valid_from: 2019-01-01, set: {confidence: low}}\n")
    with pytest.raises(LoaderError, match="rows GFDC does not have: \\['XKX'\\]"):
        bri_gfdc.load(Context(bri_gfdc.SOURCE, _raw_dirs()))


def test_italy_left_in_december_2023_and_korea_is_low_confidence(core) -> None:
    _, edges = core
    by = {e.start: e.props for e in edges if e.type == "MEMBER_OF"}
    assert str(by["ITA"]["valid_to"]) == "2023-12-06" and "ap-2023-12-06-italy-bri" in by["ITA"]["sources"]
    assert bri_gfdc.SOURCE.id in by["ITA"]["sources"]  # GFDC's row is still cited
    assert by["KOR"]["confidence"] == "low" and "memorandum" in by["KOR"]["confidence_note"]


def test_licensing_by_country_leaves_china_out_and_flags_korea(core) -> None:
    nodes, edges = core
    g = projection(nodes, edges, dt.date(2025, 1, 1))
    by = {c.country: c for c in licensing_by_country(g)}
    # Huawei's Chinese licensees (OPPO, Xiaomi, vivo) are not "in Belt and Road countries".
    assert by["CHN"].bri_member is False and by["CHN"].bri_confidence is None
    assert {"oppo", "vivo"} <= set(by["CHN"].licensees)
    assert by["KOR"].bri_member and by["KOR"].bri_confidence == "low" and "samsung" in by["KOR"].licensees
    table = licensing_table(g).set_index("iso3")
    assert not table.loc["CHN", "bri_member"]
    assert table.loc["KOR", "bri_confidence"] == "low" and not table.loc["ITA", "bri_member"]


# --- Curated listings against the loaded lists --------------------------------------------------------

# Lists the curated core shares with loaders/us_lists.py.
SHARED_LISTS = ("us-bis-entity-list", "us-ofac-ns-cmic", "us-dod-1260h", "us-fcc-covered-list")
_FR = re.compile(r"\b(\d{2,3}) FR (\d{3,6})\b")


@pytest.fixture(scope="module")
def lists() -> tuple[dict[str, NodeRecord], list[EdgeRecord], list[EdgeRecord]]:
    """Curated records (unmerged) and the loaded US lists' LISTED_ON edges."""
    need(any((d / "us-restricted-lists-2026").is_dir() for d in _raw_dirs()), "the shipped US lists are absent")
    nodes, edges, _ = run_loaders(_raw_dirs(), loaders=(curated,))
    _, loaded, _ = run_loaders(_raw_dirs(), loaders=(us_lists,))
    return {n.id: n for n in nodes}, edges, [e for e in loaded if e.type == "LISTED_ON"]


def _fr(text: str | None) -> list[tuple[int, int]]:
    return [(int(v), int(p)) for v, p in _FR.findall(text or "")]


def _segments(edges: list[EdgeRecord]) -> dict[tuple[str, str], list[EdgeRecord]]:
    out: dict[tuple[str, str], list[EdgeRecord]] = {}
    for e in edges:
        if e.type == "LISTED_ON" and e.end in SHARED_LISTS:
            out.setdefault((e.start, e.end), []).append(e)
    for segs in out.values():
        segs.sort(key=lambda e: str(e.props.get("valid_from") or ""))
    return out


def _rule_windows(nodes: dict[str, NodeRecord], vol: int, page: int, published: str) -> list[tuple[str, str, str]]:
    """(source id, first day, last day) of every curated FR rule that can hold this entry: same volume, same
    publication date, first page at or before the entry's; the window runs from its effective date to its publication."""
    out = []
    for s in nodes.values():
        if s.label != "Source" or s.props.get("kind") != "federal_register" or str(s.props.get("date")) != published:
            continue
        for v, p in _fr(s.props.get("title")):
            if v == vol and p <= page:
                effective = [
                    str(n.props["effective"])
                    for n in nodes.values()
                    if n.label == "ExportControl" and s.id in n.props.get("sources", []) and n.props.get("effective")
                ]
                out.append((s.id, min([published, *effective]), published))
    return out


def test_every_curated_listing_agrees_with_the_loaded_list(lists) -> None:
    """Date within the rule's effective-to-publication window, citation, footnotes; or a note that says why not."""
    nodes, edges, loaded = lists
    by_entry: dict[tuple[str, str], list[EdgeRecord]] = {}
    for e in loaded:
        by_entry.setdefault((e.end, us_lists._norm(e.props.get("entry") or "")), []).append(e)
    problems = []
    for (start, list_id), segs in _segments(edges).items():
        node = nodes[start]
        names = [s.props.get("entry") for s in segs if s.props.get("entry")] or [
            node.props["name"],
            *(node.props.get("aliases") or []),
        ]
        hits = [h for n in names for h in by_entry.get((list_id, us_lists._norm(n)), [])]
        where = f"{start} on {list_id}"
        notes = " ".join(str(s.props.get(k) or "") for s in segs for k in ("note", "confidence_note"))
        if not hits:
            if "loaded list" not in notes:
                problems.append(f"{where}: no entry of that name in the loaded list, and no note says why")
            continue
        hit = hits[0].props
        first = segs[0].props
        # Segments of one listing must follow each other without a gap.
        for a, b in itertools.pairwise(segs):
            if a.props.get("valid_to") is None or (
                _date(str(a.props["valid_to"])) + dt.timedelta(days=1) != _date(str(b.props["valid_from"]))
            ):
                problems.append(
                    f"{where}: segments {a.props.get('valid_from')} and {b.props.get('valid_from')} leave a gap"
                )
        cited = _fr(hit.get("citation"))
        if list_id == "us-bis-entity-list" and cited:
            vol, page = cited[0]
            windows = _rule_windows(nodes, vol, page, str(hit.get("valid_from")))
            if not windows:
                problems.append(
                    f"{where}: no curated rule holds the entry's {vol} FR {page} of {hit.get('valid_from')}"
                )
                continue
            since = str(first.get("valid_from"))
            if not any(lo <= since <= hi for _, lo, hi in windows):
                problems.append(f"{where}: valid_from {since} is outside {windows}")
            rule_cites = {c for sid, _, _ in windows for c in _fr(nodes[sid].props["title"])}
            if not rule_cites & set(_fr(first.get("citation"))):
                problems.append(f"{where}: citation {first.get('citation')!r} is not the rule's {rule_cites}")
            theirs = set((hit.get("footnote") or "").split(", ")) - {""}
            ours = {str(s.props["footnote"]) for s in segs if s.props.get("footnote")}
            if ours - theirs:
                problems.append(f"{where}: footnote {ours - theirs} is not on the loaded entry ({theirs or 'none'})")
            for f in sorted(theirs - ours):
                if f"footnote {f}" not in notes:
                    problems.append(f"{where}: the loaded entry has footnote {f}; no segment has it or notes it")
        elif list_id == "us-ofac-ns-cmic":
            if str(first.get("valid_from")) != str(hit.get("valid_from")):
                problems.append(
                    f"{where}: valid_from {first.get('valid_from')} but OFAC's list says {hit.get('valid_from')}"
                )
        elif first.get("valid_from") and str(first["valid_from"]) > str(hit.get("valid_from")):
            # The 1260H and FCC files are later snapshots: a curated listing may only be earlier.
            problems.append(f"{where}: valid_from {first['valid_from']} is after the loaded {hit.get('valid_from')}")
    assert problems == []


# --- Citations against their sources ---------------------------------------------------------------------


def _sources(nodes: dict[str, NodeRecord]) -> dict[str, NodeRecord]:
    return {n.id: n for n in nodes.values() if n.label == "Source"}


def test_federal_register_sources_agree_with_their_document_numbers(lists) -> None:
    """A federalregister.gov URL names the publication day and the document number: both must be the source's own."""
    nodes, _, _ = lists
    problems = []
    for s in _sources(nodes).values():
        if s.props.get("kind") != "federal_register":
            continue
        url, title, date = s.props["url"], s.props["title"], str(s.props.get("date"))
        m = re.match(r"https://www\.federalregister\.gov/documents/(\d{4})/(\d{2})/(\d{2})/([\d-]+)/", url)
        if not m:
            problems.append(f"{s.id}: {url} is not a federalregister.gov document URL")
            continue
        if "-".join(m.groups()[:3]) != date:
            problems.append(f"{s.id}: dated {date}, its URL says {'-'.join(m.groups()[:3])}")
        if s.id.startswith("fr-") and not s.id.startswith("fr-eo-") and s.id[3:] != m[4]:
            problems.append(f"{s.id}: the id does not match document {m[4]}")
        cites = _fr(title)
        if len(cites) != 1 or cites[0][0] != int(date[:4]) - 1935:
            problems.append(f"{s.id}: title {title!r} should carry one citation of volume {int(date[:4]) - 1935}")
    assert problems == []


def test_fr_citations_of_facts_name_a_cited_source(lists) -> None:
    """Every "84 FR 22961" a control or listing gives is the citation of one of the sources it cites."""
    nodes, edges, _ = lists
    sources = _sources(nodes)
    problems = []
    facts = [(n.id, n.props) for n in nodes.values() if n.label == "ExportControl"]
    facts += [(f"{e.type} {e.start}->{e.end}", e.props) for e in edges if e.type == "LISTED_ON"]
    for where, props in facts:
        theirs = {c for sid in props.get("sources", []) if sid in sources for c in _fr(sources[sid].props["title"])}
        for c in _fr(props.get("citation")):
            if c not in theirs:
                problems.append(f"{where}: cites {c[0]} FR {c[1]}, which none of its sources is")
        if props.get("published") and _fr(props.get("citation")):
            first = _fr(props["citation"])[0]
            dates = {
                str(sources[s].props.get("date")) for s in props["sources"] if first in _fr(sources[s].props["title"])
            }
            if dates and str(props["published"]) not in dates:
                problems.append(f"{where}: published {props['published']}, its FR source is dated {dates}")
    assert problems == []


def test_no_fact_cites_a_source_dated_before_the_fact(lists) -> None:
    """A document cannot report what had not happened when it was published. A later source is fine
    (a rule is published after it takes effect), but a fact none of whose dated sources is on or after
    its start must say why in a note. A control's own edges are left out: a rule announces the later day
    it takes effect (88 FR 73424, published 2023-10-25, effective 2023-11-17)."""
    nodes, edges, _ = lists
    sources = _sources(nodes)
    problems = []
    for e in edges:
        if nodes.get(e.start) and nodes[e.start].label == "ExportControl":
            continue
        since = e.props.get("valid_from") or (dt.date(e.props["year"], 1, 1) if e.props.get("year") else None)
        dated = [
            _date(str(sources[s].props["date"]))
            for s in e.props.get("sources", [])
            if sources.get(s) and sources[s].props.get("date")
        ]
        undated = [s for s in e.props.get("sources", []) if not (sources.get(s) and sources[s].props.get("date"))]
        if since is None or not dated or undated:
            continue
        if max(dated) < _date(str(since)) and not (e.props.get("note") or e.props.get("confidence_note")):
            problems.append(f"{e.type} {e.start}->{e.end} from {since} cites only sources dated up to {max(dated)}")
    assert problems == []


INDEX_PAGE = re.compile(
    r"^https?://[^/]+/?(?:[a-z-]+/)?(?:en/)?(?:news|newsroom|press-releases|english/press|News/Releases)?/?$", re.I
)


def index_page_sources(nodes: dict[str, NodeRecord]) -> list[str]:
    """Sources whose URL is a publisher's home or index page, not the document: a known weakness.

    A company website cited for a headquarters or a role is the document itself, so it is not counted."""
    return sorted(
        s.id
        for s in _sources(nodes).values()
        if s.props.get("kind") != "company_website"
        and (INDEX_PAGE.match(s.props["url"]) or "browse-edgar" in s.props["url"])
    )


def test_index_page_sources_are_listed_in_the_data_readme(lists) -> None:
    nodes, _, _ = lists
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Index pages cited", 1)[1]
    paragraph = next(p for p in section.split("\n\n") if p.strip())  # the one paragraph that lists them
    listed = sorted(set(re.findall(r"`([a-z0-9-]+)`", paragraph)))
    assert listed == index_page_sources(nodes)


def test_the_readme_counts_the_low_confidence_facts(lists) -> None:
    nodes, edges, _ = lists
    import yaml

    fixes = yaml.safe_load(bri_gfdc.CORRECTIONS.read_text(encoding="utf-8"))["corrections"]
    low = (
        sum(1 for n in nodes.values() if n.props.get("confidence") == "low")
        + sum(1 for e in edges if e.props.get("confidence") == "low")
        + sum(1 for c in fixes if c["set"].get("confidence") == "low")
    )
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert f"{low} curated facts carry `confidence: low`" in readme
