"""Export views to standalone HTML, PNG and PDF files, for briefings and scripts.

HTML is written directly (:func:`graph.render.to_html`). PNG and PDF are that
same page printed by headless Chromium through Playwright, with every request
that is not the page itself refused, so an export cannot depend on the
network. Chromium is the system's (Debian's ``chromium``), found on the PATH
or named by ``TECHGEO_CHROMIUM``; nothing is downloaded.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.errors import GraphError
from graph.render import View, to_html

FORMATS = (".html", ".png", ".pdf")
SCREEN = {"width": 1920, "height": 1080}


def chromium_path() -> str:
    """The Chromium to drive: ``$TECHGEO_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH."""
    named = os.environ.get("TECHGEO_CHROMIUM")
    if named:
        if not Path(named).exists():
            raise GraphError(f"TECHGEO_CHROMIUM={named} does not exist")
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise GraphError(
        "PNG and PDF export needs Chromium: install it (Debian: `apt-get install chromium`) "
        "or set TECHGEO_CHROMIUM to its path; HTML export works without it"
    )


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def offline_page(b: Any, viewport: dict[str, int] | None = None) -> tuple[Any, list[str]]:
    """A page that refuses every request other than file:// and localhost, and lists what it refused."""
    page = b.new_page(viewport=viewport or SCREEN)
    refused: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", "blob:", "about:", "http://localhost", "http://127.0.0.1")):
            r.continue_()
        else:
            refused.append(url)
            r.abort()

    page.route("**/*", route)
    return page, refused


def wait_drawn(page: Any, view: int = 0, timeout_ms: float = 30_000) -> float:
    """Wait until the page has drawn view ``view``; return the milliseconds it took to draw."""
    page.wait_for_function("v => window.techgeoDrawn && window.techgeoDrawn.view === v", arg=view, timeout=timeout_ms)
    return float(page.evaluate("window.techgeoDrawn.ms"))


def export(views: View | Sequence[View], out: Path, present: bool = True) -> Path:
    """Write a view or a storyboard to ``out``; its suffix (.html, .png or .pdf) chooses the format.

    A PNG of a storyboard is its first view; a PDF has one page per view.
    The file is written whole or not at all.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise GraphError(f"{out}: unknown format {suffix or '(none)'}; use one of {', '.join(FORMATS)}")
    if not out.parent.exists():
        raise GraphError(f"{out.parent} does not exist; create the folder first")
    views = [views] if isinstance(views, View) else list(views)
    page_html = to_html(views, present=present)
    tmp = out.with_name(f".{out.name}.part")
    try:
        if suffix == ".html":
            tmp.write_text(page_html, encoding="utf-8")
        else:
            _print(page_html, len(views), suffix, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _print(page_html: str, n_views: int, suffix: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "view.html"
        src.write_text(page_html, encoding="utf-8")
        with browser() as b:
            page, refused = offline_page(b)
            page.goto(src.as_uri())
            wait_drawn(page)
            # Buttons (previous, next, full screen) are for screens, not for printed pictures.
            page.add_style_tag(content=".techgeo [data-part=nav]{display:none}")
            if suffix == ".png":
                target.write_bytes(page.screenshot(type="png"))
            else:
                _pdf(page, n_views, target)
            if refused:
                raise GraphError(f"the page asked for network resources, refused: {', '.join(refused[:3])}")


def _pdf(page: Any, n_views: int, target: Path) -> None:
    """One landscape page per view: each view is drawn, captured and the captures bound together."""
    shots = []
    for i in range(n_views):
        if i:
            page.evaluate(f"window.techgeoShow({i})")
            wait_drawn(page, i)
        shots.append(page.screenshot(type="png"))
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(s).decode()}" style="width:100%;page-break-after:always;display:block">'
        for s in shots
    )
    page.set_content(f"<html><body style='margin:0'>{images}</body></html>")
    page.pdf(path=str(target), landscape=True, format="A4", print_background=True, margin={"top": "0", "bottom": "0"})
