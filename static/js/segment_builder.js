// Segment builder and page: small behaviours on top of htmx (the server draws everything).
(function () {
  "use strict";
  var next = null; // where the keyboard goes once the builder is redrawn

  // Enter in a rule's input refreshes the preview instead of saving the half-built segment.
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || input.tagName !== "INPUT" || !input.closest("#segment-builder")) return;
    event.preventDefault();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("change", function (event) {
    var rule = event.target.closest && event.target.closest(".seg-rule");
    if (!rule) return;
    var selector = event.target.classList.contains("seg-field") ? ".seg-operator" : ".seg-num, .seg-text, .seg-bool, .seg-choices";
    next = { path: rule.dataset.path, selector: selector };
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#segment-builder button[name=action]");
    if (!button) return;
    var parts = button.value.split(":");
    next = parts[0] === "remove" ? null : { group: parts[1], selector: ".seg-field" };
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    if (!next || !xhr || xhr.getResponseHeader("HX-Retarget") !== "#segment-builder") return;
    var scope = null;
    if (next.path) {
      scope = document.querySelector('.seg-rule[data-path="' + next.path + '"]');
    } else if (next.group) {
      var group = document.querySelector('.seg-group[data-path="' + next.group + '"] > .seg-children');
      var rules = group ? group.querySelectorAll(".seg-rule") : [];
      scope = rules.length ? rules[rules.length - 1] : null;
    }
    var target = scope && scope.querySelector(next.selector);
    next = null;
    if (target) target.focus();
  });

  // Archiving asks first.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset ? event.target.dataset.confirm : null;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
