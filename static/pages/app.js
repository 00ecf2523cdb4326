"use strict";
// Behaviour shared by every page, kept out of the markup so the Content-Security-Policy allows
// no inline script (ADR 31): a <select data-autosubmit> submits its form when it changes.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

// A <button data-print> prints the page (the driver sheet).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) window.print();
});

// The light/dark toggle in the header; the choice is kept in the browser (theme.js applies it
// before the page paints).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("theme-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", () => {
    const root = document.documentElement;
    const dark = root.dataset.theme ? root.dataset.theme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    try { localStorage.setItem("theme", root.dataset.theme); } catch (e) { /* private mode */ }
    // Charts take their theme when drawn: redraw them by reloading the page.
    if (document.querySelector("[_echarts_instance_]")) location.reload();
  });
});

// Forms marked data-show-errors show a refusal's sentence (4xx: nothing started, a file the
// server would not take) in their target instead of dropping it as htmx does by default.
document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  const status = detail.xhr ? detail.xhr.status : 0;
  const source = detail.requestConfig ? detail.requestConfig.elt : null;
  if (status >= 400 && status < 500 && source instanceof Element
      && source.closest("[data-show-errors]")) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});
