"""Pictures of the graph: standalone, offline vis-network HTML for the app, exports and briefings.

A :class:`View` is what one picture shows: nodes, edges, frozen positions, the
as-of date, a title, a note and the sources it cites. It is plain data, saved
in storyboards as JSON, so the same picture appears tomorrow.

:func:`to_html` writes one self-contained file. The vis-network JavaScript and
CSS are the copies pyvis ships, inlined, so nothing is fetched: no CDN, no
Bootstrap, no fonts. We write our own page rather than pyvis's template
because that template links Bootstrap and vis from CDNs, adds nodes one by one
(quadratic: 164 s for 20,000 nodes) and turns physics on (86 s to settle
1,000 nodes). Here nodes arrive with positions and physics off, so the first
frame is the final one.

Data never reaches the page as markup. The graph travels as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped,
and the page builds tooltips, the legend and the footer with ``textContent``.
A company named ``<script>alert(1)</script>`` is drawn as that text.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyvis

from graph.layout import layout
from graph.schema import Schema, load_schema

VIS_DIR = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"
HEAT = ("#FFF3B0", "#FFB347", "#F0602A", "#B00020")  # exposure 1-25, 26-50, 51-75, 76-100
EDGE_LABELS_UP_TO = 40  # edges carry their type as text only in views small enough to read it
# Views up to this size are briefing-sized: their layout makes room for every label, and the browser
# grows fonts (up to LABEL_GROW times) as the fit zooms out, so labels keep their size on screen.
LABELLED_UP_TO = 150
MIN_LABEL_PX = 12  # the smallest label drawn on screen, in CSS pixels
LABEL_FIRST = 30  # labels a dense picture keeps readable (MIN_LABEL_PX) at its fit, most important first
LABEL_GROW = 1.8
EDGE_FONT = 18  # pixels: relationship types written on edges, in a briefing
FONT = "DejaVu Sans"  # the labels' face, so their measured widths hold (Debian's fonts-dejavu-core)
# DejaVu Sans advance widths in em of the printable ASCII characters, from the font's own metrics;
# other characters count as 1 em.
_ADVANCE = (
    0.32, 0.4, 0.46, 0.84, 0.64, 0.95, 0.78, 0.27, 0.39, 0.39, 0.5, 0.84, 0.32, 0.36, 0.32, 0.34,
    0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.34, 0.34, 0.84, 0.84, 0.84, 0.53,
    1.0, 0.68, 0.69, 0.7, 0.77, 0.63, 0.58, 0.77, 0.75, 0.29, 0.29, 0.66, 0.56, 0.86, 0.75, 0.79,
    0.6, 0.79, 0.69, 0.63, 0.61, 0.73, 0.68, 0.99, 0.69, 0.61, 0.69, 0.39, 0.34, 0.39, 0.84, 0.5,
    0.5, 0.61, 0.63, 0.55, 0.63, 0.62, 0.35, 0.63, 0.63, 0.28, 0.28, 0.58, 0.28, 0.97, 0.63, 0.61,
    0.63, 0.63, 0.41, 0.52, 0.39, 0.63, 0.59, 0.82, 0.59, 0.59, 0.52, 0.64, 0.34, 0.64, 0.84,
)  # fmt: skip


@dataclass
class View:
    """One picture: what it shows, where each node sits, and what it cites."""

    title: str
    nodes: list[dict[str, Any]]  # id, label, name, and optionally heat (0-100) and props
    edges: list[dict[str, Any]]  # id, from, to, type, sources, and optionally props
    as_of: str
    note: str = ""
    focus: str | None = None
    caption: str = ""  # e.g. "showing 150 of 2,340 neighbours"
    sources: list[dict[str, Any]] = field(default_factory=list)  # id, publisher, title, date, url
    positions: dict[str, list[float]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # how the view was made, to remake or share it

    def __post_init__(self) -> None:
        if not self.positions:
            self.freeze()

    def freeze(self) -> View:
        """Compute and fix every node's position (kept positions are not moved)."""
        missing = [n["id"] for n in self.nodes if n["id"] not in self.positions]
        if missing:
            order = {n["id"]: f"{n.get('label', '')}:{str(n.get('name', '')).lower()}" for n in self.nodes}
            pos = layout(
                [n["id"] for n in self.nodes],
                ((e["from"], e["to"]) for e in self.edges),
                self.focus,
                order,
                boxes=layout_boxes(self.nodes, self.focus),
            )
            for node_id in missing:
                self.positions[node_id] = list(pos[node_id])
        return self

    def boxes(self) -> dict[str, tuple[float, float]]:
        """Each node's footprint in layout pixels, label included (see :func:`node_boxes`)."""
        return node_boxes(self.nodes, self.focus)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> View:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def node_boxes(nodes: Iterable[Mapping[str, Any]], focus: str | None) -> dict[str, tuple[float, float]]:
    """Each node's footprint (width, height) in layout pixels: its shape with its label under it.

    Sized for the largest the label can be drawn: the briefing's font, grown as far as
    :data:`LABEL_GROW`, so that it fits on the wall and, smaller, in the app.
    """
    out = {}
    for n in nodes:
        size, font = _sizes(n["id"] == focus, big_fonts=True)
        font *= LABEL_GROW
        out[n["id"]] = (round(max(label_width(caption(n), font), 2 * size), 1), round(2 * size + 1.3 * font, 1))
    return out


def layout_boxes(nodes: Sequence[Mapping[str, Any]], focus: str | None) -> dict[str, tuple[float, float]] | None:
    """The boxes to lay a view out by: those of :func:`node_boxes` for a briefing-sized view, else None
    (too many labels to read; fixed spacing keeps large views compact)."""
    return node_boxes(nodes, focus) if len(nodes) <= LABELLED_UP_TO else None


HEAT_RING_PX = 3
HEAT_HALO_PX = 14


def heat_colour(score: float | None) -> str | None:
    """The heat-scale colour of an exposure score (0-100), or None for no exposure."""
    if not score:
        return None
    return HEAT[min(int((score - 1) // 25), 3)]


def _tip(node: Mapping[str, Any]) -> str:
    lines = [f"{node.get('name', node['id'])}  ({node.get('label', '')})", f"id: {node['id']}"]
    if node.get("heat"):
        lines.append(f"exposure score: {node['heat']:g}")
    for k, v in (node.get("props") or {}).items():
        if k not in ("id", "name", "_label") and v not in (None, "", []):
            lines.append(f"{k}: {_text(v)}")
    return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def vis_data(view: View, schema: Schema | None = None, big_fonts: bool = False) -> dict[str, Any]:
    """The vis-network nodes, edges and options of a view: fixed positions, no physics, straight edges."""
    schema = schema or load_schema()
    # Rings round a focus in a briefing-sized view left room for the briefing's fonts: the app uses it too.
    big_fonts = big_fonts or (view.focus is not None and len(view.nodes) <= LABELLED_UP_TO)
    nodes = []
    rank = _importance(view)
    for n in view.nodes:
        style = schema.style(n["label"]) if n.get("label") in schema.labels else {"color": "#7F8C8D", "shape": "dot"}
        x, y = view.positions.get(n["id"], (0.0, 0.0))
        size, font = _sizes(n["id"] == view.focus, big_fonts)
        item: dict[str, Any] = {
            "id": n["id"],
            "label": caption(n),
            "tip": _tip(n),
            "x": x,
            "y": y,
            "shape": style["shape"],
            "color": {"background": style["color"], "border": style["color"]},
            "size": size,
            "font": {"size": font, "face": FONT, "strokeWidth": 4, "strokeColor": "#ffffff"},
            "rank": rank[n["id"]],  # techgeo.js keeps the first LABEL_FIRST readable in a dense picture
        }
        heat = heat_colour(n.get("heat"))
        if heat:
            # A halo round the shape and a thin ring: the fill keeps the colour of the node's label (a
            # 6 px border filled a small star or triangle, and the kind of node could not be read).
            item["color"]["border"] = heat
            item["borderWidth"] = HEAT_RING_PX
            item["shadow"] = {"enabled": True, "color": heat, "size": HEAT_HALO_PX, "x": 0, "y": 0}
        nodes.append(item)
    show_labels = len(view.edges) <= EDGE_LABELS_UP_TO
    edges = [
        {
            "id": e["id"],
            "from": e["from"],
            "to": e["to"],
            "label": e["type"] if show_labels else None,
            "tip": f"{e['type']}"
            + (f"\n{e['sentence']}" if e.get("sentence") else "")
            + ("\ndate unknown: no start date in the source" if e.get("dating") == "unknown" else "")
            + (f"\nsources: {', '.join(e.get('sources') or [])}" if e.get("sources") else ""),
            "arrows": "to",
            "dashes": _dashed(e),
            "dating": e.get("dating", "exact"),
        }
        for e in view.edges
    ]
    if show_labels:
        _bend_overlapping(edges, view.positions)
    options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "edges": {
            "smooth": False,
            "color": {"color": "#8A94A6", "highlight": "#1B2631"},
            # Above its line: node labels sit below their nodes, so a label on a line that meets a node stays clear.
            "font": {"size": EDGE_FONT if big_fonts else 10, "face": FONT, "align": "top", "strokeWidth": 3},
            "width": 1.5,
        },
        # A label smaller than MIN_LABEL_PX on screen is not drawn (it shows on zoom, and in the tooltip).
        "nodes": {"borderWidth": 2, "scaling": {"label": {"drawThreshold": MIN_LABEL_PX + 1}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": len(edges) > 2000},
    }
    data: dict[str, Any] = {
        "nodes": nodes,
        "edges": edges,
        "options": options,
        "minLabel": MIN_LABEL_PX,
        "labelFirst": LABEL_FIRST,
    }
    if len(nodes) <= LABELLED_UP_TO:
        data["labelGrow"] = LABEL_GROW  # read by techgeo.js, which is what vis-network is not told
    return data


def _importance(view: View) -> dict[str, int]:
    """Each node's rank in the view, 0 the most important: the focus, then its patent portfolios (each
    stands for thousands of patents and carries the count in its label), then the most exposed and the
    most connected. A dense picture labels its first :data:`LABEL_FIRST` nodes and the rest on zoom or hover.

    >>> v = View("t", [{"id": "a"}, {"id": "b"}, {"id": "c", "heat": 90}],
    ...          [{"id": "e", "from": "a", "to": "b", "type": "OWNS"}], "2026-01-01", focus="b")
    >>> _importance(v)
    {'b': 0, 'c': 1, 'a': 2}
    """
    degree: dict[str, int] = {}
    for e in view.edges:
        for end in (e["from"], e["to"]):
            degree[end] = degree.get(end, 0) + 1
    order = sorted(
        view.nodes,
        key=lambda n: (
            n["id"] != view.focus,
            n.get("label") != "Portfolio",
            -(n.get("heat") or 0),
            -degree.get(n["id"], 0),
            str(n.get("name", "")),
        ),
    )
    return {n["id"]: i for i, n in enumerate(order)}


def _sizes(focus: bool, big_fonts: bool) -> tuple[int, int]:
    """A node's shape size and label font size, in pixels: the focus larger, briefings larger still."""
    font = 22 if big_fonts else 14
    return (26, font + 6) if focus else (16, font)


def label_width(text: str, font: float) -> float:
    """The width in pixels of ``text`` drawn in DejaVu Sans at ``font`` pixels."""
    return font * sum(_ADVANCE[ord(c) - 32] if 32 <= ord(c) < 127 else 1.0 for c in text)


SHORT_NAME = 12  # characters: a longer name is drawn as its first alias, if shorter ("Qualcomm", "AMAT")


def caption(node: Mapping[str, Any], width: int = 22) -> str:
    """A node's label in a picture: its name, or when that is long its first alias in Latin script
    (curated aliases lead with the name analysts use: "SMIC", "Huawei FDPR"), cut to ``width``.

    The tooltip always carries the full name.
    """
    name = str(node.get("name") or node["id"])
    if len(name) > SHORT_NAME:
        aliases = (node.get("props") or {}).get("aliases") or []
        latin = [a for a in aliases if isinstance(a, str) and a.strip() and all(ord(c) < 0x250 for c in a)]
        if latin and len(latin[0]) < len(name):
            name = latin[0]
    return name if len(name) <= width else name[: width - 1] + "…"


BEND = 0.22  # roundness of a bent edge: enough to part two labels at a briefing's font
NEAR_LINE = 24.0  # layout units (pixels at zoom 1): a node this close to an edge's line would sit on its label


def _bend_overlapping(edges: list[dict[str, Any]], positions: Mapping[str, Sequence[float]]) -> None:
    """Bend the edges whose labels would fall on another's: the second and later edges between one pair
    of nodes (each further out, alternately to either side), and an edge that runs through a third node
    (HiSilicon → ASML drawn across the foundry between them), so that every label sits on its own line.

    >>> es = [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}, {"from": "a", "to": "c"}]
    >>> _bend_overlapping(es, {"a": (0, 0), "b": (100, 0), "c": (200, 0)})
    >>> [e.get("smooth", {}).get("roundness") for e in es]
    [None, 0.22, 0.22]
    """
    seen: dict[frozenset[str], int] = {}
    for e in edges:
        pair = frozenset((e["from"], e["to"]))
        k = seen.get(pair, 0)
        seen[pair] = k + 1
        if k:
            # curvedCW follows the edge's direction, so a reversed edge bends to the other side by itself.
            kind = "curvedCW" if k % 2 else "curvedCCW"
            e["smooth"] = {"enabled": True, "type": kind, "roundness": round(BEND * ((k + 1) // 2), 3)}
        elif _through_another(e, positions):
            e["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": BEND}


def _through_another(edge: Mapping[str, Any], positions: Mapping[str, Sequence[float]]) -> bool:
    """Whether a node other than its ends lies on the straight line of ``edge``, inside its middle."""
    if edge["from"] not in positions or edge["to"] not in positions:
        return False
    (ax, ay), (bx, by) = positions[edge["from"]][:2], positions[edge["to"]][:2]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return False
    for node, xy in positions.items():
        if node in (edge["from"], edge["to"]):
            continue
        t = ((xy[0] - ax) * dx + (xy[1] - ay) * dy) / length2
        if 0.15 < t < 0.85:
            off = abs((xy[0] - ax) * dy - (xy[1] - ay) * dx) / math.sqrt(length2)
            if off < NEAR_LINE:
                return True
    return False


def _dashed(edge: Mapping[str, Any]) -> bool:
    """Drawn dashed: a fact whose date nobody recorded, or one known only at low confidence."""
    return edge.get("confidence") == "low" or edge.get("dating") == "unknown"


def line_legend(view: View) -> list[dict[str, Any]]:
    """Legend entries for the lines of a view: the styles drawn, then each relationship type with its count.

    >>> v = View("t", [], [{"id": "e1", "from": "a", "to": "b", "type": "OWNS"},
    ...                    {"id": "e2", "from": "a", "to": "c", "type": "OWNS", "dating": "unknown"}], "2026-01-01")
    >>> [(x["label"], x["dashed"]) for x in line_legend(v)]
    [('fact with a date', False), ('date unknown, or low confidence', True), ('OWNS (2)', False)]
    """
    dashed = [_dashed(e) for e in view.edges]
    out = []
    if not all(dashed):
        out.append({"label": "fact with a date", "dashed": False, "kind": "style"})
    if any(dashed):
        out.append({"label": "date unknown, or low confidence", "dashed": True, "kind": "style"})
    counts: dict[str, int] = {}
    for e in view.edges:
        counts[e["type"]] = counts.get(e["type"], 0) + 1
    out += [
        {"label": f"{t} ({n:,})", "dashed": False, "kind": "type"}
        for t, n in sorted(counts.items(), key=lambda tn: (-tn[1], tn[0]))
    ]
    return out


def legend(view: View, schema: Schema | None = None) -> list[dict[str, str]]:
    """Legend entries for the labels present in a view, from the schema."""
    schema = schema or load_schema()
    present = {n.get("label") for n in view.nodes}
    return [entry for entry in schema.legend() if entry["label"] in present]


def safe_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` block: no ``<``, ``>`` or ``&`` can close it."""
    text = json.dumps(value, ensure_ascii=False, default=_text, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


@cache
def vis_assets() -> tuple[str, str]:
    """pyvis's bundled vis-network JavaScript and CSS, to inline."""
    return (VIS_DIR / "vis-network.min.js").read_text(), (VIS_DIR / "vis-network.css").read_text()


UI_DIR = Path(__file__).parent / "ui"

# Positions are relative to the .techgeo root, which is the whole window in an
# exported page and a fixed-height box in the app.
PAGE_CSS = """
.techgeo{position:relative;background:#fff;color:#111;font-family:"DejaVu Sans",Arial,sans-serif;
 --top:74px;--bottom:64px;--side:210px;overflow:hidden}
.techgeo.present{font-size:22px;--top:110px;--bottom:90px;--side:260px}
.techgeo:fullscreen{height:100vh!important;width:100vw}
.techgeo header{position:absolute;top:0;left:0;right:0;height:var(--top);padding:8px 16px;box-sizing:border-box}
.techgeo [data-part=head]{height:100%;overflow:hidden;margin-right:var(--navw,0px)}
.techgeo header h1{font-size:1.5em;margin:0;line-height:1.2}
.techgeo header p{margin:2px 0;color:#333;font-size:.9em}
.techgeo [data-part=net]{position:absolute;top:var(--top);bottom:var(--bottom);left:0;right:var(--side);
 border-top:1px solid #ddd}
.techgeo [data-part=legend]{position:absolute;top:var(--top);right:0;width:var(--side);bottom:var(--bottom);
 overflow:auto;padding:8px 10px;box-sizing:border-box;border-left:1px solid #ddd;font-size:.9em}
.techgeo [data-part=legend] div{margin:4px 0;display:flex;align-items:center;gap:8px}
.techgeo [data-part=legend] i{display:inline-block;width:16px;height:16px;border-radius:50%}
.techgeo footer{position:absolute;bottom:0;left:0;right:0;height:var(--bottom);overflow:auto;padding:6px 16px;
 box-sizing:border-box;border-top:1px solid #ddd;font-size:.75em;color:#222}
.techgeo [data-part=sources]{position:absolute;top:var(--top);bottom:var(--bottom);left:0;right:var(--side);
 overflow:auto;background:#fff;padding:10px 16px;box-sizing:border-box;font-size:.8em;z-index:5}
.techgeo [data-part=sources][hidden]{display:none}
.techgeo [data-part=sources] p{margin:3px 0}
.techgeo footer button{font-size:1em;padding:1px 8px}
.techgeo [data-part=nav]{position:absolute;top:8px;right:16px}
.techgeo [data-part=nav] button{font-size:1em;padding:4px 12px;margin-left:6px}
.techgeo header:empty,.techgeo h1:empty{display:none}
div.vis-tooltip{white-space:pre-wrap;max-width:480px;font-family:"DejaVu Sans",Arial,sans-serif}
"""

SKELETON = (
    '<header><div data-part="head"><h1 data-part="title"></h1><p data-part="note"></p><p data-part="caption"></p>'
    '</div><div data-part="nav"></div></header><div data-part="net"></div><aside data-part="legend"></aside>'
    '<div data-part="sources" hidden></div><footer data-part="footer"></footer>'
)


@cache
def renderer_js() -> str:
    """The drawing code shared by exported pages and the app's component."""
    return (UI_DIR / "techgeo.js").read_text()


def page_views(views: Sequence[View], schema: Schema | None = None, big_fonts: bool = False) -> list[dict[str, Any]]:
    """The per-view payload of a page: picture data, legend, heat scale, footer facts."""
    schema = schema or load_schema()
    out = []
    for v in views:
        heated = any(n.get("heat") for n in v.nodes)
        out.append(
            {
                "title": v.title,
                "note": v.note,
                "caption": v.caption,
                "as_of": v.as_of,
                "sources": v.sources,
                "legend": legend(v, schema),
                "lines": line_legend(v),
                "heat": [{"color": c, "range": r} for c, r in zip(HEAT, ("1-25", "26-50", "51-75", "76-100"))]
                if heated
                else None,
                "data": vis_data(v, schema, big_fonts),
            }
        )
    return out


def to_html(views: View | Sequence[View], present: bool = False, schema: Schema | None = None) -> str:
    """One standalone HTML page for a view or a storyboard; it opens offline and draws at once.

    ``present`` is the briefing mode: large fonts and high contrast. A
    storyboard steps with the arrow keys or the buttons.
    """
    views = [views] if isinstance(views, View) else list(views)
    if not views:
        raise ValueError("nothing to render: the storyboard has no views")
    js, css = vis_assets()
    payload = safe_json(page_views(views, schema, present))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(views[0].title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{css}</style><style>html,body{{margin:0;height:100%}}{PAGE_CSS}"
        ".techgeo{position:absolute;inset:0}</style></head><body>"
        f'<div class="techgeo{" present" if present else ""}">{SKELETON}</div>'
        f'<script type="application/json" id="views">{payload}</script>'
        f"<script>{js}</script><script>{renderer_js()}</script>"
        "<script>techgeoMount(document.querySelector('.techgeo'),"
        "JSON.parse(document.getElementById('views').textContent),"
        f"{{present: {'true' if present else 'false'}}});</script></body></html>\n"
    )


def cited_sources(source_ids: Iterable[str], known: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The citation records of the given source ids, in id order; unknown ids are kept as bare ids."""
    out = []
    for sid in sorted(set(source_ids)):
        s = known.get(sid) or {"id": sid}
        out.append({k: _text(s[k]) for k in ("id", "publisher", "title", "date", "url") if s.get(k) is not None})
    return out
