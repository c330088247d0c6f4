// Draws one or more views (the payload of graph.render.page_views) into a root element.
// Shared by the standalone export pages and the app's Streamlit component, so the
// picture on the wall is the picture in the app. Data is only ever set as text.
// Fitting a picture to its box zooms it out, and vis-network shrinks labels with the zoom. For
// pictures of a briefing's size (those whose data carries labelGrow, whose layout left room for labels
// that much larger), grow the fonts by the zoom the fit will apply, up to labelGrow times, so that
// labels keep their intended size on screen and stay readable across a room.
function keepLabelsReadable(data, box) {
  if (!data.labelGrow || data.nodes.length < 2 || data.nodes[0].x === undefined) return;
  const xs = data.nodes.map(function (n) { return n.x; }), ys = data.nodes.map(function (n) { return n.y; });
  const w = Math.max.apply(null, xs) - Math.min.apply(null, xs) + 240;
  const h = Math.max.apply(null, ys) - Math.min.apply(null, ys) + 120;
  const zoom = Math.min(box.clientWidth / w, box.clientHeight / h);
  if (!(zoom > 0 && zoom < 1)) return;
  const grow = Math.min(data.labelGrow, 1 / zoom);
  [data.nodes, data.edges].forEach(function (items) {
    items.forEach(function (item) {
      if (item.font && item.font.size && !item.font.grown) {
        item.font = Object.assign({}, item.font, {size: item.font.size * grow, grown: true});
      }
    });
  });
}

// vis-network fits node positions; a label hanging past the outermost node would be cut at the edge.
// Fit again to the boxes of the nodes with their labels, as drawn (so only after a first draw).
function fitWithLabels(network, fitted) {
  if (!fitted) network.fit({animation: false});
  const ids = network.body.nodeIndices;
  if (!ids.length) return;
  let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
  ids.forEach(function (id) {
    const b = network.getBoundingBox(id);
    left = Math.min(left, b.left); right = Math.max(right, b.right);
    top = Math.min(top, b.top); bottom = Math.max(bottom, b.bottom);
  });
  const canvas = network.canvas.frame.canvas;
  const scale = 0.97 * Math.min(canvas.clientWidth / (right - left), canvas.clientHeight / (bottom - top));
  if (scale < network.getScale()) {
    network.moveTo({position: {x: (left + right) / 2, y: (top + bottom) / 2}, scale: scale, animation: false});
  }
}

// Text that must never be cut (a title, the citations) is made smaller until its box holds it, down to
// minEm of its normal size; the box's CSS says how much room it has.
function fitText(el, minEm) {
  el.style.fontSize = "";
  let size = 1;
  while (el.scrollHeight > el.clientHeight + 1 && size > minEm) {
    size = Math.max(minEm, size - 0.05);
    el.style.fontSize = size + "em";
  }
}

// In a dense picture the fit makes every label small, and vis-network does not draw one below
// data.minLabel pixels (it shows on zoom, and in the tooltip). The data.labelFirst most important nodes
// (data rank) keep a readable label: grown to minLabel at the picture's zoom, refitted, a few rounds.
function keepTopLabels(network, data) {
  // Past the draw threshold (minLabel + 1) with room to spare: vis-network fades a label near it.
  const min = (data.minLabel || 12) + 1.5, first = data.labelFirst || 30;
  for (let round = 0; round < 3; round++) {
    const scale = network.getScale(), grow = [];
    data.nodes.forEach(function (n) {
      const node = network.body.nodes[n.id];
      if (node && n.rank < first && node.options.font.size * scale < min) {
        grow.push({id: n.id, font: {size: min / scale}});
      }
    });
    if (!grow.length) return;
    network.body.data.nodes.update(grow);
    network.redraw();
    fitWithLabels(network, true);
  }
}

function techgeoMount(root, views, opts) {
  opts = opts || {};
  const part = function (name) { return root.querySelector("[data-part=" + name + "]"); };
  let current = 0, network = null;
  function text(tag, value, parent) {
    const el = document.createElement(tag); el.textContent = value; parent.appendChild(el); return el;
  }
  function tip(value) { const el = document.createElement("div"); el.className = "tg-tip"; el.textContent = value; return el; }
  function swatch(parent, label, style) {
    const row = document.createElement("div"); const dot = document.createElement("i");
    Object.assign(dot.style, style); row.appendChild(dot); text("span", label, row); parent.appendChild(row);
  }
  // The citations fit the footer, smaller if need be; when even that cannot hold them all, the footer
  // says how many there are and a button opens the full list over the picture: none is ever cut.
  function fitSources(v) {
    const foot = part("footer"), panel = part("sources");
    panel.hidden = true;
    fitText(foot, 0.55);
    if (foot.scrollHeight <= foot.clientHeight + 1) return;
    foot.replaceChildren();
    foot.style.fontSize = "";
    text("strong", "As of " + v.as_of + (views.length > 1 ? "  ·  view " + (current + 1) + " of " + views.length : ""), foot);
    text("span", "  ·  " + v.sources.length + " sources cited  ", foot);
    text("button", "List the sources", foot).onclick = function () { panel.hidden = !panel.hidden; };
    panel.replaceChildren();
    text("strong", "Sources of this view", panel);
    v.sources.forEach(function (s) { text("p", [s.publisher, s.title, s.date, s.url].filter(Boolean).join(", "), panel); });
  }
  function show(i) {
    current = Math.max(0, Math.min(views.length - 1, i));
    const v = views[current];
    part("title").textContent = opts.title === false ? "" : v.title;
    part("note").textContent = v.note || "";
    part("caption").textContent = opts.title === false ? "" : v.caption || "";  // the page prints both
    const legend = part("legend"); legend.replaceChildren();
    text("strong", "Legend", legend);
    v.legend.forEach(function (e) { swatch(legend, e.label, {background: e.color}); });
    const lines = v.lines || [];
    if (lines.length) {
      text("strong", "Lines", legend);
      lines.filter(function (l) { return l.kind === "style"; }).forEach(function (l) {
        swatch(legend, l.label, {width: "24px", height: "0", borderRadius: "0",
          borderTop: "3px " + (l.dashed ? "dashed" : "solid") + " #8A94A6"});
      });
      const types = lines.filter(function (l) { return l.kind === "type"; });
      if (types.length) {
        text("strong", "Relationships", legend);
        types.forEach(function (l) { text("div", l.label, legend); });
      }
    }
    if (v.heat) {
      text("strong", "Exposure score", legend);
      v.heat.forEach(function (h) {
        swatch(legend, h.range, {border: "3px solid " + h.color, boxShadow: "0 0 6px 2px " + h.color, boxSizing: "border-box"});
      });
    }
    const foot = part("footer"); foot.replaceChildren();
    text("strong", "As of " + v.as_of + (views.length > 1 ? "  ·  view " + (current + 1) + " of " + views.length : ""), foot);
    text("span", "  ·  Sources: " + (v.sources.length ? "" : "none cited"), foot);
    v.sources.forEach(function (s, j) {
      text("span", (j ? "; " : "") + [s.publisher, s.title, s.date, s.url].filter(Boolean).join(", "), foot);
    });
    // A picture whose page prints its title and caption gives the header's room to the picture.
    const bare = !part("title").textContent && !part("note").textContent && !part("caption").textContent;
    root.style.setProperty("--top", bare && !part("nav").childElementCount ? "0px" : "");
    fitText(part("head"), 0.6);  // the title, note and caption stay clear of the buttons and whole
    fitSources(v);
    const data = v.data;
    // A highlighted path: its edges drawn thick and dark, the rest faded, so the route reads at a glance.
    const hl = opts.highlight && opts.highlight.edges && opts.highlight.edges.length ? opts.highlight : null;
    if (hl) {
      const on = new Set(hl.edges), at = new Set(hl.nodes);
      data.edges.forEach(function (e) {
        e.width = on.has(e.id) ? 5 : 1; e.color = {color: on.has(e.id) ? "#C0392B" : "#D5D8DC", highlight: "#C0392B"};
      });
      data.nodes.forEach(function (n) { if (!at.has(n.id)) n.opacity = 0.35; });
    }
    data.nodes.forEach(function (n) { n.title = tip(n.tip); });
    data.edges.forEach(function (e) { e.title = tip(e.tip); });
    keepLabelsReadable(data, part("net"));
    if (network) network.destroy();
    const t0 = performance.now();
    network = new vis.Network(part("net"),
      {nodes: new vis.DataSet(data.nodes), edges: new vis.DataSet(data.edges)}, data.options);
    const drawn = network;
    network.once("afterDrawing", function () {
      const ms = performance.now() - t0;
      fitWithLabels(drawn, true);  // labels are measured by the first draw
      keepTopLabels(drawn, data);
      window.techgeoDrawn = {view: current, ms: ms, at: performance.now(), nodes: data.nodes.length,
        highlight: hl ? hl.edges.slice() : []};
      root.dataset.drawn = String(current);
    });
    if (opts.onClick) {
      network.on("click", function (p) { if (p.nodes.length) opts.onClick(p.nodes[0]); });
    }
    if (opts.selected && data.nodes.some(function (n) { return n.id === opts.selected; })) {
      network.selectNodes([opts.selected]);
    }
    if (hl) network.setSelection({nodes: hl.nodes, edges: hl.edges}, {unselectAll: true, highlightEdges: false});
    network.fit({animation: false});
    window.techgeoNetwork = network;
  }
  const nav = part("nav"); nav.replaceChildren();
  if (views.length > 1) {
    text("button", "◀ Previous", nav).onclick = function () { show(current - 1); };
    text("button", "Next ▶", nav).onclick = function () { show(current + 1); };
    root.ownerDocument.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight" || e.key === "PageDown") show(current + 1);
      if (e.key === "ArrowLeft" || e.key === "PageUp") show(current - 1);
    });
  }
  if (opts.present && root.requestFullscreen) {
    // Full screen for the briefing room: the picture, legend and footer fill the display.
    text("button", "Full screen", nav).onclick = function () {
      if (root.ownerDocument.fullscreenElement) root.ownerDocument.exitFullscreen();
      else root.requestFullscreen();
    };
    // Entering or leaving full screen resizes the box: once the canvas has its new size, fit the picture
    // to it (zooming in as well as out) and let the title and footer fit their new room.
    root.addEventListener("fullscreenchange", function () {
      requestAnimationFrame(function () { requestAnimationFrame(function () {
        if (!network) return;
        network.setSize("100%", "100%");
        network.redraw();
        fitWithLabels(network);
        fitText(part("head"), 0.6);
        fitSources(views[current]);
        window.techgeoFitted = {view: current, at: performance.now(), full: !!root.ownerDocument.fullscreenElement};
      }); });
    });
  }
  root.style.setProperty("--navw", nav.childElementCount ? (nav.offsetWidth + 24) + "px" : "0px");
  window.techgeoShow = show;
  show(opts.start || 0);
}
