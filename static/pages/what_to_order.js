"use strict";
// The what to order page's charts and controls: a static file, so the Content-Security-Policy
// needs no inline script (ADR 31).
(() => {
  // Column choice, remembered in this browser (localStorage).
  const KEY = "what-to-order:hidden-columns";
  const style = document.getElementById("column-visibility");
  const hidden = new Set(JSON.parse(localStorage.getItem(KEY) || "[]"));
  const apply = () => {
    style.textContent = [...hidden].map((c) => `.col-${c}{display:none}`).join("\n");
    document.querySelectorAll("input[data-column]").forEach((box) => { box.checked = !hidden.has(box.dataset.column); });
  };
  document.querySelectorAll("input[data-column]").forEach((box) => box.addEventListener("change", (event) => {
    event.stopPropagation();
    if (box.checked) hidden.delete(box.dataset.column); else hidden.add(box.dataset.column);
    localStorage.setItem(KEY, JSON.stringify([...hidden]));
    apply();
  }));
  apply();
  // The search box already filters as one types (its "input" trigger); the "change" it fires
  // again on blur must not reach the form, or clicking a sort or tab link would race a second,
  // stale filter request (the links share the form's request queue: hx-sync on #results).
  const search = document.getElementById("q");
  if (search) search.addEventListener("change", (event) => event.stopPropagation());
  // Select every row of the page; keep the bulk form's query in step with the filters.
  document.addEventListener("change", (event) => {
    if (event.target.id === "select-all") {
      document.querySelectorAll("input[name=rows]").forEach((box) => { box.checked = event.target.checked; });
    }
  });
  // A row's "Exclude…" menu closes once its request is answered (the answer shows in the row).
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const menu = event.target.closest && event.target.closest("details.row-exclude");
    if (menu) menu.open = false;
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    const bulk = document.querySelector("#bulk input[name=query]");
    if (bulk) bulk.value = location.search.replace(/^\?/, "");
  });
})();
