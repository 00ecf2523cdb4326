"use strict";
// The dashboard page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  // Probabilities are 0–1 in the API; percentages only here in the UI.
  const pct = (v) => v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%";
  document.getElementById("estimated").textContent = pct(data.estimated_service_level);
  document.getElementById("realised").textContent = pct(data.realised_service_level.in_stock_rate);
  document.querySelectorAll("#at-risk td[data-risk]").forEach((td) => { td.textContent = pct(Number(td.dataset.risk)); });
  if (!data.rows) return;
  const t = data.trend;
  const valueChart = document.getElementById("value-chart");
  Charts.line("value-chart", {x: t.periods, series: [{name: `Stock value (${valueChart.dataset.currency})`, values: t.inventory_value}]});
  Charts.line("sales-chart", {x: t.periods, series: [
    {name: "Units sold", values: t.sales_quantity},
    {name: "Revenue", values: t.sales_revenue},
  ]});
  const statuses = Object.keys(data.status_counts);
  const colours = {critical: "#dc2626", reorder_now: "#d97706", ok: "#16a34a", overstock: "#7c3aed",
                   dead_stock: "#475569", no_data: "#9aa5b1", excluded: "#9aa5b1"};
  const tabs = {critical: "critical", reorder_now: "action", overstock: "overstock", dead_stock: "dead_stock"};
  Charts.bars("status-chart", {labels: statuses, horizontal: true,
    colors: statuses.map((s) => colours[s] || "#2563eb"),
    series: [{name: "Rows", values: statuses.map((s) => data.status_counts[s])}],
    onClick: (i) => { location.href = document.getElementById("status-chart").dataset.href + "?tab=" + (tabs[statuses[i]] || "all"); }});
  const buckets = Object.keys(data.stockout_risk_buckets);
  Charts.bars("risk-chart", {labels: buckets.map((b) => b === "unknown" ? b : b.split("-").map(pct).join("–")),
    series: [{name: "Rows", values: buckets.map((b) => data.stockout_risk_buckets[b])}]});
})();
