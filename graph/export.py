"""Export views to standalone HTML, PNG, ZIP and PDF files, for briefings and scripts.

HTML is written directly (:func:`graph.render.to_html`). PNG, ZIP (a PNG per
view) and PDF are that same page printed by headless Chromium through Playwright, with every request
that is not the page itself refused, so an export cannot depend on the
network. Chromium is the system's (Debian's ``chromium``), found on the PATH
or named by ``TECHGEO_CHROMIUM``; nothing is downloaded.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.errors import GraphError
from graph.render import View, page_views, to_html

FORMATS = (".html", ".png", ".pdf", ".zip")
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


def export(views: View | Sequence[View], out: Path, present: bool = True, title: str | None = None) -> Path:
    """Write a view or a storyboard to ``out``; its suffix chooses the format.

    ``.html``: one offline page that steps through the views. ``.png``: one
    view's picture (a storyboard of several views is a ``.zip`` of a PNG per
    view, which ``.png`` refuses to truncate to its first). ``.pdf``: a page
    per view, whose title, note, caption, legend and citations are real text
    (they can be selected and copied) beside the picture; its title metadata
    is ``title`` (the storyboard's name) or the first view's title. The file is
    written whole or not at all.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise GraphError(f"{out}: unknown format {suffix or '(none)'}; use one of {', '.join(FORMATS)}")
    if not out.parent.exists():
        raise GraphError(f"{out.parent} does not exist; create the folder first")
    views = [views] if isinstance(views, View) else list(views)
    if suffix == ".png" and len(views) > 1:
        raise GraphError(
            f"{out}: a PNG holds one picture and this storyboard has {len(views)} views; "
            "export it as .zip (a PNG per view) or .pdf (a page per view)"
        )
    page_html = to_html(views, present=present)
    tmp = out.with_name(f".{out.name}.part")
    try:
        if suffix == ".html":
            tmp.write_text(page_html, encoding="utf-8")
        else:
            _print(page_html, views, suffix, tmp, title or views[0].title, present)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _print(page_html: str, views: list[View], suffix: str, target: Path, title: str, present: bool) -> None:
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
            elif suffix == ".zip":
                _zip(page, views, target)
            else:
                _pdf(page, views, target, title, present)
            if refused:
                raise GraphError(f"the page asked for network resources, refused: {', '.join(refused[:3])}")


def _shots(page: Any, n_views: int, selector: str | None = None) -> Iterator[bytes]:
    """Each view drawn in turn and captured: the whole page, or the element ``selector`` picks."""
    for i in range(n_views):
        if i:
            page.evaluate(f"window.techgeoShow({i})")
            wait_drawn(page, i)
        yield page.locator(selector).screenshot(type="png") if selector else page.screenshot(type="png")


def _zip(page: Any, views: list[View], target: Path) -> None:
    """A PNG per view, numbered in the storyboard's order and named by title."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (v, shot) in enumerate(zip(views, _shots(page, len(views))), start=1):
            slug = re.sub(r"[^A-Za-z0-9]+", "-", v.title).strip("-")[:60] or "view"
            z.writestr(f"{i:02d}-{slug}.png", shot)


def _pdf(page: Any, views: list[View], target: Path, title: str, present: bool) -> None:
    """A landscape page per view: the picture as an image, and everything written about it as text."""
    payload = page_views(views, big_fonts=present)
    pages = []
    for v, shot in zip(payload, _shots(page, len(views), ".techgeo [data-part=net]")):
        pages.append(_pdf_page(v, base64.b64encode(shot).decode(), len(pages) + 1, len(views)))
    page.set_content(
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PDF_CSS}</style></head><body>{''.join(pages)}</body></html>"
    )
    page.pdf(path=str(target), landscape=True, format="A4", print_background=True, margin={"top": "0", "bottom": "0"})


PDF_CSS = """
body{margin:0;font-family:"DejaVu Sans",Arial,sans-serif;color:#111}
section{width:297mm;height:209mm;box-sizing:border-box;padding:8mm 10mm;display:grid;gap:3mm;
 grid-template-columns:1fr 52mm;grid-template-rows:auto 1fr auto;page-break-after:always;overflow:hidden}
header{grid-column:1/3} h1{font-size:17pt;margin:0 0 1mm} header p{margin:0 0 1mm;font-size:9.5pt;color:#333}
.pic{grid-column:1;grid-row:2;min-height:0} .pic img{width:100%;height:100%;object-fit:contain;object-position:left top}
aside{grid-column:2;grid-row:2;font-size:8.5pt;overflow:hidden} aside b{display:block;margin:2mm 0 1mm}
aside div{display:flex;align-items:center;gap:2mm;margin:0.6mm 0}
aside i{display:inline-block;width:3.2mm;height:3.2mm;border-radius:50%;flex:none}
aside i.line{width:6mm;height:0;border-radius:0;border-top:0.6mm solid #8A94A6} aside i.dashed{border-top-style:dashed}
footer{grid-column:1/3;font-size:7pt;color:#222;column-count:2;column-gap:6mm}
footer p{margin:0 0 0.6mm;break-inside:avoid} footer p:first-child{column-span:all}
"""


def _pdf_page(v: dict[str, Any], png_b64: str, n: int, of: int) -> str:
    """One view as a PDF page: every text is escaped text of the page, not pixels of the picture."""
    e = html.escape
    legend = "".join(f"<div><i style='background:{e(x['color'])}'></i>{e(x['label'])}</div>" for x in v["legend"])
    lines = v.get("lines") or []
    styles = [x for x in lines if x["kind"] == "style"]
    types = [x for x in lines if x["kind"] == "type"]
    if styles:
        legend += "<b>Lines</b>" + "".join(
            f"<div><i class='line{' dashed' if x['dashed'] else ''}'></i>{e(x['label'])}</div>" for x in styles
        )
    if types:
        legend += "<b>Relationships</b>" + "".join(f"<div>{e(x['label'])}</div>" for x in types)
    if v.get("heat"):
        legend += "<b>Exposure score</b>" + "".join(
            f"<div><i style='border:1mm solid {e(h['color'])};box-sizing:border-box'></i>{e(h['range'])}</div>"
            for h in v["heat"]
        )
    sources = "".join(
        f"<p>{e(', '.join(str(s[k]) for k in ('publisher', 'title', 'date', 'url') if s.get(k)))}</p>"
        for s in v["sources"]
    )
    where = f"As of {e(v['as_of'])}" + (f" · view {n} of {of}" if of > 1 else "")
    return (
        f"<section><header><h1>{e(v['title'])}</h1>"
        + (f"<p>{e(v['note'])}</p>" if v.get("note") else "")
        + (f"<p>{e(v['caption'])}</p>" if v.get("caption") else "")
        + f"</header><div class='pic'><img alt='{e(v['title'])}' src='data:image/png;base64,{png_b64}'></div>"
        f"<aside><b>Legend</b>{legend}</aside>"
        f"<footer><p><b>{where}</b> · Sources: {'' if v['sources'] else 'none cited'}</p>{sources}</footer></section>"
    )
