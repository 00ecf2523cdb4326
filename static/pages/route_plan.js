"use strict";
// The route plan page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  const host = document.getElementById("route-map");
  if (!host || !window.L) return;
  const drawing = JSON.parse(document.getElementById("route-plan-drawing").textContent);
  const tiles = JSON.parse(document.getElementById("route-plan-tiles").textContent);
  const map = L.map(host, {zoomSnap: 0.25, attributionControl: !!tiles.url});
  if (tiles.url) {
    const layer = L.tileLayer(tiles.url, {maxZoom: 19, attribution: tiles.attribution || ""});
    // A configured tile server that does not answer (down, blocked, a wrong MAP_TILE_URL):
    // once a tile fails before any loaded, drop the layer for the plain background with its
    // grid, as without tiles, rather than a map of broken images.
    let loaded = false;
    layer.on("tileload", () => { loaded = true; });
    layer.on("tileerror", () => {
      if (loaded || !map.hasLayer(layer)) return;
      map.removeLayer(layer);
      if (map.attributionControl) map.attributionControl.remove();
      host.classList.add("plain");
    });
    layer.addTo(map);
  }
  const bounds = [];
  drawing.paths.forEach((p) => {
    L.polyline(p.points, {color: p.color, weight: 3, opacity: 0.8}).bindTooltip(p.vehicle).addTo(map);
    bounds.push(...p.points);
  });
  drawing.unserved.forEach((u) => {
    L.circleMarker(u.at, {radius: 5, color: "#9aa5b1", fillOpacity: 0.8}).bindTooltip(u.label).addTo(map);
    bounds.push(u.at);
  });
  drawing.depots.forEach((d) => {
    L.circleMarker(d.at, {radius: 8, color: "#0f172a", fillColor: "#0f172a", fillOpacity: 1}).bindTooltip(d.label).addTo(map);
  });
  drawing.stops.forEach((s) => {
    const icon = L.divIcon({className: "", iconSize: [20, 20],
      html: `<div class="stop-icon" style="background:${s.color}">${s.number}</div>`});
    L.marker(s.at, {icon, title: s.label, keyboard: false}).bindTooltip(s.label).addTo(map);
  });
  if (bounds.length) map.fitBounds(bounds, {padding: [20, 20]});
  else map.setView([0, 0], 2);
  if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(host);
})();
