"use strict";
// The product forecast page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const data = document.getElementById("forecast-data");
  if (data) {
    const d = JSON.parse(data.textContent);
    Charts.line("forecast-chart", {
      x: d.x, markX: d.markX, zoom: true,
      series: [{name: "sales", values: d.sales}, {name: "forecast", values: d.forecast},
               {name: "p50", values: d.p50, dash: "4 3"}],
      bands: [{name: "90% interval", lower: d.lower_90, upper: d.upper_90, color: "#dc2626", opacity: 0.08},
              {name: "p10–p90", lower: d.p10, upper: d.p90, color: "#dc2626"}],
      points: [{name: "out of stock", color: "#dc2626", data: d.stockouts},
               {name: "promotion", color: "#d97706", symbol: "diamond", data: d.promotions},
               {name: "campaign", color: "#7c3aed", symbol: "triangle", data: d.campaigns || []}],
    });
  }
  const board = document.getElementById("leaderboard-data");
  if (board) {
    const b = JSON.parse(board.textContent);
    Charts.bars("leaderboard-chart", {labels: b.labels, series: [{name: "RMSSE", values: b.values}], horizontal: true});
  }
})();
