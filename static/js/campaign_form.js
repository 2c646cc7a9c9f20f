// The campaign editor: the chosen segment's audience size and the chosen template's message as sent, updated as
// the user picks them; the send-time fields that apply to the schedule kind.
(function () {
  "use strict";
  const form = document.getElementById("campaign-form");
  if (!form) return;
  const kind = document.getElementById("id_schedule_kind");
  function sync() {
    document.querySelectorAll("[data-schedule]").forEach(function (el) {
      el.hidden = el.getAttribute("data-schedule") !== kind.value;
    });
  }
  if (kind) { kind.addEventListener("change", sync); sync(); }

  const segment = document.getElementById("id_segment");
  const audience = document.getElementById("audience-count");
  function count() {
    if (!segment || !audience) return;
    if (!segment.value) { audience.textContent = ""; return; }
    audience.textContent = audience.dataset.loading;
    fetch(audience.dataset.url.replace("/0/", "/" + segment.value + "/"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (text) { audience.textContent = text ? audience.dataset.prefix + text : ""; });
  }
  if (segment) { segment.addEventListener("change", count); count(); }

  const template = document.getElementById("id_template");
  const preview = document.getElementById("message-preview");
  const textsNode = document.getElementById("template-texts");
  const texts = textsNode ? JSON.parse(textsNode.textContent) : {};
  function show() {
    if (!template || !preview) return;
    const t = texts[template.value];
    if (!t) { preview.innerHTML = ""; return; }
    const query = new URLSearchParams({channel: t.channel, subject: t.subject, body: t.body, html_body: t.html_body});
    fetch(preview.dataset.url + "?" + query.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { preview.innerHTML = html; });
  }
  if (template) { template.addEventListener("change", show); show(); }
})();
