"""The picture component of the app: vis-network drawn from a View, with clicks sent back to Python.

A Streamlit custom component (v2, no build step). Its JavaScript is pyvis's
bundled vis-network followed by the same renderer the exported pages use
(``techgeo.js``), so the app and the briefing files draw identically and
nothing is fetched from the network. A click on a node comes back as the
trigger value ``clicked`` (the node id) for one rerun.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import streamlit as st

from graph.render import PAGE_CSS, SKELETON, View, page_views, renderer_js, safe_json, vis_assets

_MOUNT = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".techgeo");
  root.style.height = data.height + "px";
  root.classList.toggle("present", !!data.present);
  if (root.dataset.key === data.key) return;
  root.dataset.key = data.key;
  delete root.dataset.drawn;
  techgeoMount(root, JSON.parse(data.views), {
    title: data.title, selected: data.selected, present: data.present, start: data.start,
    highlight: data.highlight,
    onClick: function (id) { setTriggerValue("clicked", id); },
  });
}
"""


@cache
def _component() -> Any:
    js, css = vis_assets()
    return st.components.v2.component(
        "techgeo_network",
        html=f'<div class="techgeo">{SKELETON}</div>',
        css=css + PAGE_CSS,
        js=js + "\n" + renderer_js() + "\n" + _MOUNT,
    )


def network(
    views: View | Sequence[View],
    key: str,
    height: int = 640,
    selected: str | None = None,
    present: bool = False,
    title: bool = True,
    on_click: Callable[[], None] | None = None,
    start: int = 0,
    highlight: dict[str, list[str]] | None = None,
) -> str | None:
    """Draw a view (or step through a storyboard from view ``start``); return the id of a node clicked in this run.

    ``highlight`` (``{"nodes": [...], "edges": [...]}``) draws one path of the picture over the rest faded.
    """
    views = [views] if isinstance(views, View) else list(views)
    payload = safe_json(page_views(views, big_fonts=present))
    data = {
        "views": payload,
        "key": hashlib.sha1(
            (payload + str(selected) + str(present) + str(start) + str(highlight)).encode()
        ).hexdigest(),
        "height": height,
        "selected": selected,
        "present": present,
        "title": title,
        "start": start,
        "highlight": highlight,
    }
    result = _component()(key=key, data=data, height=height, on_clicked_change=on_click or (lambda: None))
    return getattr(result, "clicked", None)
