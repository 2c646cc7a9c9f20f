/* Behaviour the templates ask for with data attributes, instead of inline on*= handlers (the Content-Security-Policy
   runs no inline script). Delegated from the document, so content swapped in by htmx behaves the same.

   data-autosubmit            on a select or checkbox: submit its form when it changes
   data-confirm="question"    on a form (submit) or a button (click): go on only if the user confirms
   data-disable-on-submit     on a form: disable its submit buttons once it is sent (no double submission) */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-confirm], a[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-disable-on-submit")) {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
        button.disabled = true;
      });
    }
  });
})();
