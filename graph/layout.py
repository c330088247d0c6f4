"""Node positions, computed on the server so the browser draws at once.

The browser gets fixed coordinates and no physics: a 1,000-node view draws in
a single frame instead of settling for a minute. Two engines, chosen by size:

* around a focus (an entity's neighbourhood), rings: the focus at the centre,
  each hop on a wider ring, grouped by label and then by the node they hang
  from, so the picture reads outwards and every label sits in its own sector.
  Given each node's box (its label's width and height), the rings are sized
  and spaced so that no two boxes overlap, which is what a briefing-sized
  picture needs to stay readable on a wall;
* otherwise, up to ``SFDP_FROM`` nodes, rustworkx's Fruchterman-Reingold (Apache-2.0,
  in Rust, about 0.5 s for 1,000 nodes);
* above that, Graphviz's multilevel ``sfdp`` (EPL-1.0, run as a separate
  program; about 2 s for 5,000 nodes against 11 s for rustworkx) when it is
  installed, else rustworkx with fewer iterations.

Results are cached by the view's structure, so a rerun or a saved view never
moves a node.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate

import rustworkx as rx

Position = tuple[float, float]
SFDP_FROM = 1500
_CACHE: OrderedDict[str, dict[str, Position]] = OrderedDict()
_CACHE_SIZE = 64


def layout(
    nodes: Sequence[str],
    edges: Iterable[tuple[str, str]],
    focus: str | None = None,
    order: Mapping[str, str] | None = None,
    seed: int = 7,
    boxes: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Position]:
    """Pixel positions for ``nodes``: rings around ``focus`` when given, else force-directed.

    ``order`` gives each node a sort key within its ring (its label and name,
    say). ``boxes`` gives, for rings, each node's footprint (width, height) in
    pixels, label included: no two footprints then overlap. Deterministic for
    a given input.
    """
    ids = list(dict.fromkeys(nodes))
    index = {n: i for i, n in enumerate(ids)}
    pairs = sorted({(index[a], index[b]) for a, b in edges if a in index and b in index and a != b})
    key = hashlib.sha1(
        repr((ids, pairs, focus, sorted((order or {}).items()), seed, sorted((boxes or {}).items()))).encode()
    ).hexdigest()
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    if focus in index:
        out = _radial(ids, pairs, index[focus], order or {}, boxes)
    else:
        unit = _unit_layout(ids, pairs, seed)
        scale = 60.0 * math.sqrt(len(ids)) + 150.0
        out = {n: (round(unit[i][0] * scale, 1), round(unit[i][1] * scale, 1)) for i, n in enumerate(ids)}
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _radial(
    ids: list[str],
    pairs: list[tuple[int, int]],
    focus: int,
    order: Mapping[str, str],
    boxes: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Position]:
    """Rings around the focus; a ring's radius grows with its hop and with how many nodes it holds."""
    g = _graph(len(ids), pairs)
    dist = rx.dijkstra_shortest_path_lengths(g, focus, lambda _: 1.0)
    hop = {i: (0 if i == focus else int(dist[i]) if i in dist else -1) for i in range(len(ids))}
    unreachable = max(hop.values()) + 1
    hop = {i: (unreachable if h < 0 else h) for i, h in hop.items()}
    angle: dict[int, float] = {focus: 0.0}
    out: dict[str, Position] = {ids[focus]: (0.0, 0.0)}
    radius = 0.0
    spacing = 120.0  # pixels between neighbours on a ring: room for a label
    placed = [((0.0, 0.0), boxes[ids[focus]])] if boxes else []  # every box so far, to keep clear of
    for ring in range(1, unreachable + 1):
        members = [i for i in range(len(ids)) if hop[i] == ring]
        if not members:
            continue

        parent = {i: _parent_angle(g, i, angle) for i in members}
        members.sort(key=lambda i: (parent[i], order.get(ids[i], ""), ids[i]))
        if boxes:
            sizes = [boxes[ids[i]] for i in members]
            desired = [parent[i] for i in members]  # ascending, as sorted
            # The smallest ring outside the last one on which no box touches a box already placed.
            r = radius + 150.0
            for _ in range(200):  # widening by 4% each time: a bound, never reached in practice
                r, angles = _ring_angles(sizes, desired, r)
                points = [_on_ellipse(r, a) for a in angles]
                # Steps clear each box of the next where they are taken, but room shared out afterwards
                # moves boxes round the ellipse, and boxes further apart are not compared: check every pair.
                mine = list(zip(points, sizes))
                if not any(_overlap(p, b, q, c) for k, (p, b) in enumerate(mine) for q, c in [*placed, *mine[k + 1 :]]):
                    break
                r *= 1.04
            radius = r
            placed += mine
            for i, a, point in zip(members, angles, points):
                angle[i] = a
                out[ids[i]] = point
            continue
        # A crowded ring is staggered over two radii, which halves the room each node needs.
        stagger = len(members) > 40
        radius = max(radius + 300.0, len(members) * spacing / (2 if stagger else 1) / (2 * math.pi))
        for j, i in enumerate(members):
            a = 2 * math.pi * j / len(members)
            angle[i] = a
            out[ids[i]] = _on_ellipse(radius + (160.0 if stagger and j % 2 else 0.0), a)
        radius += 160.0 if stagger else 0.0
    return out


_STRETCH = 1.5  # rings are ellipses this much wider than high, to fill a wide screen
_GAP = 24.0  # pixels kept clear between two nodes' boxes


def _on_ellipse(radius: float, a: float) -> Position:
    return (round(_STRETCH * radius * math.cos(a), 1), round(radius * math.sin(a), 1))


def _overlap(p: Position, box: tuple[float, float], q: Position, other: tuple[float, float]) -> bool:
    return abs(p[0] - q[0]) < (box[0] + other[0]) / 2 + _GAP and abs(p[1] - q[1]) < (box[1] + other[1]) / 2 + _GAP


def _ring_angles(sizes: list[tuple[float, float]], desired: list[float], radius: float) -> tuple[float, list[float]]:
    """Angles on a ring for boxes in this order: each as near its parent's angle (``desired``, ascending) as
    its neighbours allow; failing that, spread round the whole ring (widened if need be). Also the radius."""
    angles = [desired[0]]
    for j in range(1, len(sizes)):
        angles.append(max(desired[j], angles[-1] + _step(sizes[j - 1], sizes[j], radius, angles[-1])))
    if len(sizes) == 1 or angles[-1] + _step(sizes[-1], sizes[0], radius, angles[-1]) <= angles[0] + 2 * math.pi:
        return radius, angles
    return _ring_without_overlap(sizes, radius)


def _ring_without_overlap(sizes: list[tuple[float, float]], radius: float) -> tuple[float, list[float]]:
    """The smallest radius from ``radius`` up, and each member's angle, at which neighbouring boxes in this
    order do not overlap; room to spare is shared out evenly.

    Two boxes are clear when they are apart by half their widths side by side or half their heights one
    above the other. Going round the ring, each step is the smallest angle that clears the next box (found by
    doubling, then halving the interval); if the steps add up to more than a full turn, the ring is widened
    in proportion and placed again.
    """
    n = len(sizes)
    if n == 1:
        return radius, [0.0]
    for _ in range(30):
        steps, a = [], 0.0
        for j in range(n):  # the last step goes from the last member back round to the first
            steps.append(_step(sizes[j], sizes[(j + 1) % n], radius, a))
            a += steps[-1]
        total = sum(steps)
        if total <= 2 * math.pi:
            break
        radius *= total / (2 * math.pi) * 1.01
    spare = (2 * math.pi - total) / n
    return radius, [a + j * spare for j, a in enumerate(accumulate(steps[:-1], initial=0.0))]


def _step(box: tuple[float, float], nxt: tuple[float, float], radius: float, a: float) -> float:
    """The smallest angle after ``a`` at which ``nxt`` clears ``box`` on the ring of this radius."""
    need_x, need_y = (box[0] + nxt[0]) / 2 + _GAP, (box[1] + nxt[1]) / 2 + _GAP
    x0, y0 = _on_ellipse(radius, a)

    def clear(step: float) -> bool:
        x, y = _on_ellipse(radius, a + step)
        return abs(x - x0) >= need_x or abs(y - y0) >= need_y

    hi = 1e-3
    while not clear(hi) and hi < math.pi:
        hi *= 2
    lo = hi / 2 if hi > 1e-3 else 0.0
    for _ in range(20):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if clear(mid) else (mid, hi)
    return hi


def _graph(n: int, pairs: list[tuple[int, int]]) -> rx.PyGraph:
    g = rx.PyGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from_no_data(pairs)
    return g


def _parent_angle(g: rx.PyGraph, node: int, angle: Mapping[int, float]) -> float:
    """The mean direction, in [0, 2π), of a node's already placed neighbours (its parents on the inner rings)."""
    placed = [angle[j] for j in g.neighbors(node) if j in angle]
    if not placed:
        return 0.0
    mean = math.atan2(sum(math.sin(a) for a in placed), sum(math.cos(a) for a in placed))
    return round(mean % (2 * math.pi), 9)


def _unit_layout(ids: list[str], pairs: list[tuple[int, int]], seed: int) -> list[Position]:
    n = len(ids)
    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    if n > SFDP_FROM and shutil.which("sfdp"):
        return _sfdp(n, pairs)
    g = _graph(n, pairs)
    pos = rx.spring_layout(g, num_iter=50 if n <= SFDP_FROM else 20, seed=seed)
    return _normalise([tuple(pos[i]) for i in range(n)])


def _sfdp(n: int, pairs: list[tuple[int, int]]) -> list[Position]:
    dot = "graph{node[shape=point];" + "".join(f"{i};" for i in range(n)) + "".join(f"{a}--{b};" for a, b in pairs)
    out = subprocess.run(
        ["sfdp", "-Gstart=7", "-Goverlap=prism", "-Tplain"], input=dot + "}", capture_output=True, text=True, check=True
    ).stdout
    pos: list[Position] = [(0.0, 0.0)] * n
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            pos[int(parts[1])] = (float(parts[2]), float(parts[3]))
    return _normalise(pos)


def _normalise(pos: list[Position]) -> list[Position]:
    """Fit into [-1, 1] on the longer side, keeping the aspect."""
    xs, ys = [p[0] for p in pos], [p[1] for p in pos]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    mx, my = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [((x - mx) * 2 / span, (y - my) * 2 / span) for x, y in pos]


def layered(
    columns: Sequence[Sequence[str]],
    spacing: float = 260.0,
    boxes: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Position]:
    """Left-to-right columns, for paths: members of a column spread vertically, columns ``spacing`` apart.

    With ``boxes`` (each node's width and height, label included), neighbouring columns and the members
    of a column are spaced so that no two boxes overlap.
    """
    out: dict[str, Position] = {}
    x, last_width = 0.0, 0.0
    for column in columns:
        fresh = [node for node in dict.fromkeys(column) if node not in out]
        width = max((boxes[n][0] for n in fresh), default=0.0) if boxes else 0.0
        step_y = max(spacing * 0.6, max((boxes[n][1] for n in fresh), default=0.0) + _GAP if boxes else 0.0)
        if out:
            x += max(spacing, (last_width + width) / 2 + _GAP)
        for j, node in enumerate(column):
            if node not in out:
                out[node] = (round(x, 1), round((j - (len(column) - 1) / 2) * step_y, 1))
        last_width = width
    return out
