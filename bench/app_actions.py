"""The app's actions as a person feels them: from the action to the settled page, in headless Chromium.

    python bench/app_actions.py [--store var/graph.lbdb] [--repeat 3]

Serves the app with `streamlit run` on the store (`make build` first), and for
each action measures, with Playwright, the time from the action to the page
being settled: Streamlit's script no longer running (the ``stApp`` element's
``data-test-script-state``) and the network picture drawn again (vis-network's
``afterDrawing``, which the page records in ``window.techgeoDrawn``). The
actions are those of issue 13 §7:

- the cold first page: the server's first run of Explore, caches empty;
- the first page again, in a new browser session (caches warm);
- selecting a node (a click on HiSilicon in Huawei's story);
- a hops change (1 to 2, keyboard on the slider);
- opening the Exposure page from the navigation;
- a search: a name typed and Enter pressed, to the new entity's picture.

Each figure is the median of ``--repeat`` runs (the cold page is one run per server start).
Targets: each action at most 1 s, the cold first page at most 3 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.export import browser  # noqa: E402

IDLE = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return !app || app.getAttribute('data-test-script-state') !== 'running'; }"""
SETTLED = """since => {
  const app = document.querySelector('[data-testid="stApp"]');
  const d = window.techgeoDrawn;
  return app && app.getAttribute('data-test-script-state') === 'notRunning' && d && d.at !== since;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_URI"} | {"TECHGEO_STORE": str(store)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://localhost:{port}/"
        time.sleep(0.2)
    proc.kill()
    sys.exit("streamlit did not start")


def drawn_at(page: Any) -> Any:
    return page.evaluate("window.techgeoDrawn ? window.techgeoDrawn.at : null")


def timed(page: Any, action: Callable[[], None], timeout_ms: float = 120_000) -> float:
    """Seconds from ``action`` to the settled page with a picture drawn after it."""
    # Act only on a page at rest: an action during Streamlit's own rerun is dropped, and would time out.
    page.wait_for_function(IDLE, timeout=timeout_ms, polling=20)
    since = drawn_at(page)
    started = time.perf_counter()
    action()
    page.wait_for_function(SETTLED, arg=since, timeout=timeout_ms, polling=20)
    return time.perf_counter() - started


def node_point(page: Any, node_id: str) -> tuple[float, float]:
    p = page.evaluate(
        """id => { const n = window.techgeoNetwork; const d = n.canvasToDOM(n.getPositions([id])[id]);
        const r = n.body.container.getBoundingClientRect(); return [r.left + d.x, r.top + d.y]; }""",
        node_id,
    )
    return p[0], p[1]


def session(b: Any, url: str) -> dict[str, float]:
    """One person's session: the first page, then each action once."""
    page = b.new_page(viewport={"width": 1600, "height": 1000})
    out = {"first page": timed(page, lambda: page.goto(url))}
    out["select a node"] = timed(page, lambda: page.mouse.click(*node_point(page, "hisilicon")))
    slider = page.get_by_role("slider").first
    out["hops 1 → 2"] = timed(page, lambda: (slider.focus(), page.keyboard.press("ArrowRight")))
    box = page.get_by_label("Entity (search by name or alias)")
    box.fill("tsmc")
    out["search: Enter to picture"] = timed(page, lambda: box.press("Enter"))
    link = page.get_by_role("link", name="Sanction exposure", exact=True)
    out["open Exposure"] = timed(page, link.click)
    page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, default=ROOT / "var" / "graph.lbdb")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.store.exists():
        sys.exit(f"{args.store} does not exist: run `make build` first")
    proc, url = serve(args.store)
    try:
        with browser() as b:
            cold = session(b, url)
            runs = [session(b, url) for _ in range(args.repeat)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{'action':<28} {'median s':>9} {'runs':>24}  target")
    print(f"{'cold first page':<28} {cold['first page']:>9.2f} {'(one server start)':>24}  ≤ 3 s")
    for action in cold:
        times = [r[action] for r in runs]
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"{action:<28} {statistics.median(times):>9.2f} {shown:>24}  ≤ 1 s", flush=True)


if __name__ == "__main__":
    main()
