/* The retailer's survey form (feedback/public/survey.html): progress count and bar, the first error in view. */
(function () {
  "use strict";
  const form = document.getElementById("survey-form");
  if (!form) return;
  const items = Array.from(form.querySelectorAll(".survey-item"));
  function answered(item) {
    const checked = item.querySelector("input:checked");
    const text = item.querySelector("textarea");
    return Boolean(checked || (text && text.value.trim()));
  }
  function update() {
    const done = items.filter(answered).length;
    document.getElementById("answered-count").textContent = done;
    document.getElementById("progress-bar").style.width = (items.length ? done * 100 / items.length : 0) + "%";
    items.forEach(function (item) { if (answered(item)) item.classList.remove("has-error"); });
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  const firstError = form.querySelector(".survey-item.has-error");
  if (firstError) firstError.scrollIntoView({block: "start"});
})();
