/* Small SVG chart helpers for the server-rendered pages (no libraries, works offline).
 *
 *   Charts.line(element, {x: [labels], series: [{name, values, color, dash}],
 *                         bands: [{lower, upper, color}], markX: label})
 *   Charts.bars(element, {labels: [...], series: [{name, values, color}], horizontal: bool})
 *   Charts.scatter(element, {points: [{x, y, color, label}], paths: [{points: [[x, y]…], color}]})
 *
 * Values may be null (a gap). Colours default to a fixed palette, so the same series index
 * keeps its colour across charts.
 */
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2",
                   "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#9333ea"];
  const el = (name, attrs, parent) => {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  };
  const svgIn = (target, width, height) => {
    const host = typeof target === "string" ? document.getElementById(target) : target;
    host.innerHTML = "";
    return el("svg", {viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img"}, host);
  };
  const extent = (arrays) => {
    let lo = Infinity, hi = -Infinity;
    for (const values of arrays) for (const v of values || []) {
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      lo = Math.min(lo, v); hi = Math.max(hi, v);
    }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo === hi) { hi = lo + 1; }
    return [lo, hi];
  };
  const fmt = (v) => Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + "M"
    : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(1) + "k" : (+v.toFixed(2)).toString();
  const axes = (svg, box, yLo, yHi, y) => {
    for (let i = 0; i <= 4; i++) {
      const v = yLo + (yHi - yLo) * i / 4, py = y(v);
      el("line", {x1: box.l, x2: box.r, y1: py, y2: py, stroke: "#e4e7eb"}, svg);
      el("text", {x: box.l - 6, y: py + 4, "text-anchor": "end"}, svg).textContent = fmt(v);
    }
  };
  const legend = (target, series) => {
    const host = typeof target === "string" ? document.getElementById(target) : target;
    const div = document.createElement("div");
    div.className = "legend";
    series.forEach((s, i) => {
      const span = document.createElement("span");
      span.innerHTML = `<i style="background:${s.color || PALETTE[i % PALETTE.length]}"></i>`;
      span.appendChild(document.createTextNode(s.name || ""));
      div.appendChild(span);
    });
    host.appendChild(div);
  };

  function line(target, spec) {
    const W = 900, H = spec.height || 300, box = {l: 52, r: W - 12, t: 12, b: H - 28};
    const svg = svgIn(target, W, H);
    const n = spec.x.length;
    const all = spec.series.map((s) => s.values)
      .concat((spec.bands || []).flatMap((b) => [b.lower, b.upper]));
    let [lo, hi] = extent(all);
    if (spec.zero !== false) lo = Math.min(0, lo);
    const x = (i) => box.l + (n <= 1 ? 0 : (box.r - box.l) * i / (n - 1));
    const y = (v) => box.b - (box.b - box.t) * (v - lo) / (hi - lo);
    axes(svg, box, lo, hi, y);
    const ticks = Math.min(8, n);
    for (let k = 0; k < ticks; k++) {
      const i = Math.round(k * (n - 1) / Math.max(1, ticks - 1));
      el("text", {x: x(i), y: H - 8, "text-anchor": "middle"}, svg).textContent = spec.x[i];
    }
    (spec.bands || []).forEach((b, j) => {
      const top = [], bottom = [];
      for (let i = 0; i < n; i++) {
        if (b.lower[i] === null || b.upper[i] === null) continue;
        top.push(`${x(i)},${y(b.upper[i])}`); bottom.unshift(`${x(i)},${y(b.lower[i])}`);
      }
      if (top.length) el("polygon", {points: top.concat(bottom).join(" "),
        fill: b.color || PALETTE[j % PALETTE.length], "fill-opacity": b.opacity || 0.18}, svg);
    });
    if (spec.markX !== undefined) {
      const i = spec.x.indexOf(spec.markX);
      if (i >= 0) el("line", {x1: x(i), x2: x(i), y1: box.t, y2: box.b, stroke: "#94a3b8",
                               "stroke-dasharray": "4 3"}, svg);
    }
    spec.series.forEach((s, j) => {
      let d = "", pen = false;
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) { pen = false; return; }
        d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`; pen = true;
      });
      el("path", {d, fill: "none", stroke: s.color || PALETTE[j % PALETTE.length],
                  "stroke-width": s.width || 1.6, "stroke-dasharray": s.dash || ""}, svg);
    });
    legend(svg.parentNode, spec.series.concat((spec.bands || []).filter((b) => b.name)));
    return svg;
  }

  function bars(target, spec) {
    const horizontal = !!spec.horizontal, n = spec.labels.length, k = spec.series.length;
    const W = 900, H = spec.height || (horizontal ? 28 + n * (12 * k + 10) : 300);
    const box = horizontal ? {l: 160, r: W - 40, t: 8, b: H - 20} : {l: 52, r: W - 12, t: 12, b: H - 40};
    const svg = svgIn(target, W, H);
    let [lo, hi] = extent(spec.series.map((s) => s.values));
    lo = Math.min(0, lo);
    const scale = (v) => (v - lo) / (hi - lo);
    const slot = ((horizontal ? box.b - box.t : box.r - box.l) / Math.max(1, n));
    const bar = Math.max(2, (slot - 8) / k);
    if (!horizontal) axes(svg, box, lo, hi, (v) => box.b - (box.b - box.t) * scale(v));
    spec.labels.forEach((label, i) => {
      const start = (horizontal ? box.t : box.l) + i * slot + 4;
      spec.series.forEach((s, j) => {
        const v = s.values[i]; if (v === null || v === undefined) return;
        const colour = s.color || PALETTE[j % PALETTE.length];
        if (horizontal) {
          const w = (box.r - box.l) * scale(v);
          el("rect", {x: box.l, y: start + j * bar, width: Math.max(0, w), height: bar - 1, fill: colour}, svg);
          el("text", {x: box.l + w + 4, y: start + j * bar + bar - 3}, svg).textContent = fmt(v);
        } else {
          const h = (box.b - box.t) * scale(v);
          el("rect", {x: start + j * bar, y: box.b - h, width: bar - 1, height: Math.max(0, h), fill: colour}, svg);
        }
      });
      const t = horizontal
        ? el("text", {x: box.l - 6, y: start + (bar * k) / 2 + 4, "text-anchor": "end"}, svg)
        : el("text", {x: start + (bar * k) / 2, y: box.b + 14, "text-anchor": "middle"}, svg);
      t.textContent = label;
    });
    if (k > 1 || spec.legend) legend(svg.parentNode, spec.series);
    return svg;
  }

  function scatter(target, spec) {
    const W = 900, H = spec.height || 600, pad = 16;
    const svg = svgIn(target, W, H);
    const pts = spec.points.concat((spec.paths || []).flatMap((p) => p.points.map(([x, y]) => ({x, y}))));
    const [xlo, xhi] = extent([pts.map((p) => p.x)]), [ylo, yhi] = extent([pts.map((p) => p.y)]);
    const s = Math.min((W - 2 * pad) / (xhi - xlo), (H - 2 * pad) / (yhi - ylo));
    const X = (v) => pad + (v - xlo) * s, Y = (v) => H - pad - (v - ylo) * s;
    (spec.paths || []).forEach((p, j) => el("polyline", {
      points: p.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" "),
      fill: "none", stroke: p.color || PALETTE[j % PALETTE.length], "stroke-width": 1.8}, svg));
    spec.points.forEach((p) => {
      const c = el("circle", {cx: X(p.x), cy: Y(p.y), r: p.r || 3, fill: p.color || "#334155"}, svg);
      if (p.label) el("title", {}, c).textContent = p.label;
    });
    return svg;
  }

  return {line, bars, scatter, PALETTE};
})();
