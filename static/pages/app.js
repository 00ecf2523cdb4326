"use strict";
// Behaviour shared by every page, kept out of the markup so the Content-Security-Policy allows
// no inline script (ADR 31): a <select data-autosubmit> submits its form when it changes.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
