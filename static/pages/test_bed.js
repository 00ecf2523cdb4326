"use strict";
// The test bed page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const m = JSON.parse(document.getElementById("methods-data").textContent);
  Charts.bars("methods-chart", {labels: m.labels, series: [{name: "mean RMSSE", values: m.rmsse}], horizontal: true});
})();
