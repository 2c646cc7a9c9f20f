/* The violation form (accounts/violation_form.html): the amount only for a fine, the days only for a suspension. */
(function () {
  "use strict";
  const penalty = document.getElementById("id_penalty");
  if (!penalty) return;
  const show = () => {
    document.getElementById("div_id_fine_yuan").hidden = penalty.value !== "fine";
    document.getElementById("div_id_suspension_days").hidden = penalty.value !== "suspension";
  };
  penalty.addEventListener("change", show);
  show();
})();
