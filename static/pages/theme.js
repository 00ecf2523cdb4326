"use strict";
// Loaded in <head> before the page paints: the theme chosen with the header's toggle, if any,
// overrides the system's light/dark preference (a static file: no inline script, ADR 31).
try {
  const theme = localStorage.getItem("theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch (e) { /* storage unavailable: the system preference applies */ }
