"use strict";
// The route plan page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const host = document.getElementById("route-map");
  if (!host) return;
  const drawing = JSON.parse(document.getElementById("route-plan-drawing").textContent);
  Charts.scatter(host, {points: drawing.points, paths: drawing.paths, height: 560});
})();
