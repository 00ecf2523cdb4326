"use strict";
// The simulation detail page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const data = JSON.parse(document.getElementById("simulation-data").textContent);
  const daily = data.daily || {};
  if (daily.dates && document.getElementById("inventory-chart")) {
    const value = [{name: "Policy", values: daily.proposed_inventory_value},
                   {name: "Baseline (min/max)", values: daily.baseline_inventory_value}];
    if (daily.actual_inventory_value) value.push({name: "Actual", values: daily.actual_inventory_value});
    Charts.line("inventory-chart", {x: daily.dates, series: value});
    const out = [{name: "Policy", values: daily.proposed_stockouts},
                 {name: "Baseline (min/max)", values: daily.baseline_stockouts}];
    if (daily.actual_stockouts) out.push({name: "Actual", values: daily.actual_stockouts});
    Charts.line("stockout-chart", {x: daily.dates, series: out});
    Charts.bars("cost-chart", {labels: data.costs.labels, horizontal: true, series: [
      {name: "Policy", values: data.costs.proposed},
      {name: "Baseline (min/max)", values: data.costs.baseline}]});
  }
})();
