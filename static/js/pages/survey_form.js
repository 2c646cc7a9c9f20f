/* The survey form (feedback/survey_form.html): only the fields of the chosen allocation are shown. */
(function () {
  "use strict";
  function sync() {
    const picked = document.querySelector("input[name=allocation]:checked");
    document.querySelectorAll("[data-allocation]").forEach(function (el) {
      el.hidden = picked && el.dataset.allocation !== picked.value;
    });
  }
  document.querySelectorAll("input[name=allocation]").forEach(function (el) { el.addEventListener("change", sync); });
  sync();
})();
