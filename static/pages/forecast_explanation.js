"use strict";
// The product page's "Why this forecast" section (ADR 39): the daily forecast's parts stacked,
// the served forecast as a line over them, and the gradient-boosting model's input importance.
(() => {
  const data = document.getElementById("explanation-data");
  if (!data) return;
  const d = JSON.parse(data.textContent);
  const colours = {level: "#2563eb", trend: "#16a34a", weekly: "#0891b2", yearly: "#d97706",
                   promotion: "#7c3aed", other: "#94a3b8"};
  const chart = Charts.bars("explanation-chart", {
    labels: d.x, stack: true, legend: true,
    series: d.parts.map((p) => ({name: p.name, values: p.values, color: colours[p.name]})),
  });
  if (chart) {
    // Day labels as "Fri 05-01", as many as fit (28 full dates would overlap).
    const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const label = (v) => `${days[new Date(v + "T00:00:00Z").getUTCDay()]} ${v.slice(5)}`;
    chart.setOption({xAxis: {axisLabel: {interval: "auto", formatter: label}}});
    chart.setOption({series: chart.getOption().series.concat([{
      name: "forecast", type: "line", data: d.forecast, showSymbol: false,
      lineStyle: {color: "#111827", width: 2}, itemStyle: {color: "#111827"}}])});
  }
  if (d.importance && d.importance.length) {
    Charts.bars("importance-chart", {labels: d.importance.map((i) => i.feature.replace(/_/g, " ")),
      series: [{name: "share", values: d.importance.map((i) => i.share)}], horizontal: true});
  }
})();
