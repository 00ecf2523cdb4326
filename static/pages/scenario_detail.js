"use strict";
// The what-if page's comparison chart (ADR 46): the base forecast, the what-if and the
// what-if's p10–p90 band for one SKU. Its parts chart is the product page's
// (forecast_explanation.js reads #explanation-data the same way).
(() => {
  const data = document.getElementById("scenario-data");
  if (!data) return;
  const d = JSON.parse(data.textContent);
  Charts.line("scenario-chart", {
    x: d.x, zoom: false,
    series: [{name: "base", values: d.base, color: "#64748b", dash: true},
             {name: "what-if", values: d.forecast, color: "#7c3aed", width: 2.2}],
    bands: d.p10.some((v) => v !== null)
      ? [{name: "what-if p10–p90", lower: d.p10, upper: d.p90, color: "#7c3aed", opacity: 0.14}] : [],
  });
})();
