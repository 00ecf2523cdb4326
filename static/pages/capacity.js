"use strict";
// The capacity page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  for (const c of JSON.parse(document.getElementById("capacity-data").textContent)) {
    Charts.line(c.id, {x: c.x, series: [
      {name: "Load (h)", values: c.load},
      {name: "Capacity (h)", values: c.capacity, dash: "4 3"},
    ]});
  }
})();
