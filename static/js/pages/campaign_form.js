/* The campaign form (campaigns/campaign_form.html): only the fields of the chosen schedule kind are shown. */
(function () {
  "use strict";
  var kind = document.getElementById("id_schedule_kind");
  function sync() {
    document.querySelectorAll("[data-schedule]").forEach(function (el) {
      el.hidden = el.getAttribute("data-schedule") !== kind.value;
    });
  }
  if (kind) { kind.addEventListener("change", sync); sync(); }
})();
