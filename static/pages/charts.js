/* The pages' chart specs drawn with Apache ECharts (static/vendor/echarts.min.js, ADR 22).
 *
 *   Charts.line(el, {x: [labels], series: [{name, values, color, dash, area}],
 *                    bands: [{name, lower, upper, color, opacity}], markX: label, zoom: bool,
 *                    markers: [{x, name, color}],
 *                    points: [{name, color, symbol, data: [{x, y, label}]}]})
 *     (points: event markers such as stockouts or promotions, drawn on the x category at y with
 *     their label in the tooltip)
 *   Charts.bars(el, {labels: [...], series: [{name, values, color}], horizontal: bool,
 *                    stack: bool, colors: [per-bar colour], onClick: (index) => …})
 *     (stack: the series stacked, negative parts below zero)
 *   Charts.scatter(el, {points: [{x, y, color, label, r}], paths: [{points: [[x, y]…], color}]})
 *
 * Values may be null (a gap). The palette is fixed, so a series index keeps its colour across
 * charts. Hover shows values; wide line charts get a zoom slider. Charts follow the element's
 * width (resize observer) and the page's dark mode.
 */
const Charts = (() => {
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2",
                   "#db2777", "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#9333ea"];
  // The page's theme: the toggle's choice (data-theme on <html>, base.html), else the system's.
  const chosen = document.documentElement.dataset.theme;
  const dark = chosen ? chosen === "dark"
    : !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  const narrow = () => window.innerWidth < 700;
  const fmt = (v) => v === null || v === undefined || Number.isNaN(v) ? "–"
    : Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + "M"
    : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(1) + "k" : (+(+v).toFixed(2)).toString();

  function mount(target) {
    const host = typeof target === "string" ? document.getElementById(target) : target;
    if (!host) return null;
    if (!host.classList.contains("chart")) host.classList.add("chart");
    const chart = echarts.init(host, dark ? "dark" : null, {renderer: "canvas"});
    if (window.ResizeObserver) new ResizeObserver(() => chart.resize()).observe(host);
    return chart;
  }
  const base = () => ({
    backgroundColor: "transparent",
    color: PALETTE,
    textStyle: {fontSize: narrow() ? 11 : 12},
    grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
    legend: {top: 0, type: "scroll"},
  });

  function line(target, spec) {
    const chart = mount(target);
    if (!chart) return null;
    const series = spec.series.map((s, i) => ({
      name: s.name, type: "line", data: s.values, showSymbol: false, connectNulls: false,
      lineStyle: {width: s.width || 1.8, type: s.dash ? "dashed" : "solid",
                  color: s.color || PALETTE[i % PALETTE.length]},
      itemStyle: {color: s.color || PALETTE[i % PALETTE.length]},
      areaStyle: s.area ? {opacity: 0.12} : undefined,
    }));
    // A band is drawn as a transparent lower line plus a stacked (upper − lower) area.
    (spec.bands || []).forEach((b, j) => {
      const stack = "band" + j, colour = b.color || PALETTE[j % PALETTE.length];
      series.push({id: "band" + j + "lo", name: b.name, type: "line", stack, data: b.lower, showSymbol: false,
                   lineStyle: {opacity: 0}, itemStyle: {color: colour}, tooltip: {show: false}});
      series.push({id: "band" + j + "hi", name: b.name, type: "line", stack, showSymbol: false, lineStyle: {opacity: 0},
                   itemStyle: {color: colour}, areaStyle: {color: colour, opacity: b.opacity || 0.18},
                   data: b.upper.map((u, i) => u === null || b.lower[i] === null ? null : u - b.lower[i]),
                   tooltip: {show: false}});
    });
    const marks = [];
    if (spec.markX) marks.push({xAxis: spec.markX, name: "today", lineStyle: {color: "#94a3b8"}});
    (spec.markers || []).forEach((m) => marks.push({xAxis: m.x, name: m.name,
      lineStyle: {color: m.color || "#d97706", type: "dotted"}}));
    if (marks.length && series.length) {
      series[0].markLine = {symbol: "none", silent: true, label: {show: false}, data: marks};
    }
    (spec.points || []).forEach((p) => series.push({
      name: p.name, type: "scatter", symbol: p.symbol || "circle", symbolSize: narrow() ? 8 : 10,
      z: 5, itemStyle: {color: p.color || "#d97706", borderColor: "#fff", borderWidth: 1},
      data: p.data.map((d) => ({value: [d.x, d.y === null || d.y === undefined ? 0 : d.y],
                                label: d.label})),
    }));
    const encode = (text) => echarts.format.encodeHTML(String(text));
    const tooltip = {trigger: "axis", valueFormatter: fmt};
    if ((spec.points || []).length) {
      tooltip.formatter = (params) => {
        const list = Array.isArray(params) ? params : [params];
        let out = list.length ? encode(list[0].axisValueLabel) : "";
        list.forEach((p) => {
          if (p.seriesType === "scatter") out += `<br>${p.marker}${encode(p.data.label)}`;
          else if (!String(p.seriesId).startsWith("band") && p.value !== null
                   && p.value !== undefined) {
            out += `<br>${p.marker}${encode(p.seriesName)}: <b>${fmt(p.value)}</b>`;
          }
        });
        return out;
      };
    }
    const option = Object.assign(base(), {
      tooltip,
      xAxis: {type: "category", data: spec.x, boundaryGap: false},
      yAxis: {type: "value", min: spec.zero === false ? "dataMin" : 0, axisLabel: {formatter: fmt}},
      series,
    });
    option.legend.data = spec.series.map((s) => s.name)
      .concat((spec.bands || []).filter((b) => b.name).map((b) => b.name))
      .concat((spec.points || []).map((p) => p.name));
    if (spec.zoom === true || (spec.zoom !== false && spec.x.length > 40)) {
      option.dataZoom = [{type: "inside"}, {type: "slider", height: 18, bottom: 4}];
      option.grid.bottom = 36;
    }
    chart.setOption(option);
    return chart;
  }

  function bars(target, spec) {
    const chart = mount(target);
    if (!chart) return null;
    const horizontal = !!spec.horizontal;
    if (horizontal && spec.labels.length > 8) {
      chart.getDom().style.height = Math.max(300, 26 * spec.labels.length * spec.series.length + 60) + "px";
      chart.resize();
    }
    const category = {type: "category", data: spec.labels, inverse: horizontal,
                      axisLabel: {interval: 0, width: narrow() ? 90 : 160, overflow: "truncate"}};
    const value = {type: "value", axisLabel: {formatter: fmt}};
    const option = Object.assign(base(), {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, valueFormatter: fmt},
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map((s, i) => ({
        name: s.name, type: "bar", stack: spec.stack ? "total" : undefined, data: s.values.map((v, k) => spec.colors && spec.series.length === 1
          ? {value: v, itemStyle: {color: spec.colors[k]}} : v),
        itemStyle: {color: s.color || PALETTE[i % PALETTE.length]},
        label: {show: horizontal && !spec.stack && !narrow(), position: "right",
                formatter: (p) => fmt(p.value)},
      })),
    });
    if (spec.series.length < 2 && !spec.legend) option.legend.show = false;
    chart.setOption(option);
    if (spec.onClick) chart.on("click", (p) => spec.onClick(p.dataIndex));
    return chart;
  }

  function scatter(target, spec) {
    const chart = mount(target);
    if (!chart) return null;
    const option = Object.assign(base(), {
      tooltip: {trigger: "item", formatter: (p) => p.data.label || ""},
      xAxis: {type: "value", scale: true, show: false},
      yAxis: {type: "value", scale: true, show: false},
      dataZoom: [{type: "inside", xAxisIndex: 0}, {type: "inside", yAxisIndex: 0}],
      series: (spec.paths || []).map((p, j) => ({
        type: "line", data: p.points, showSymbol: false, silent: true, tooltip: {show: false},
        lineStyle: {color: p.color || PALETTE[j % PALETTE.length], width: 2},
      })).concat([{
        type: "scatter",
        data: spec.points.map((p) => ({value: [p.x, p.y], label: p.label,
          symbolSize: 2 * (p.r || 3) + 2, itemStyle: {color: p.color || "#334155"}})),
      }]),
    });
    option.legend.show = false;
    option.grid = {left: 8, right: 8, top: 8, bottom: 8};
    chart.setOption(option);
    return chart;
  }

  return {line, bars, scatter, PALETTE, fmt};
})();
