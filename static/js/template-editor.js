/* Template editor: insert variables at the cursor, show/hide the fields of the chosen channel, and count SMS
   characters and billable messages as the author types (70 for one message, 67 per part when split; characters
   outside the BMP count two, as the carriers count UTF-16 units). The server preview gives the exact count for
   a real retailer. */
(function () {
  "use strict";
  var body = document.getElementById("id_body");
  var channel = document.getElementById("id_channel");
  var counter = document.getElementById("sms-counter");
  var lastFocused = body;

  /* JavaScript strings are UTF-16: length counts code units, as the carriers do */
  function units(text) { return text.length; }
  function segments(n) { return n === 0 ? 0 : (n <= 70 ? 1 : Math.ceil(n / 67)); }

  function count() {
    if (!counter || !body) { return; }
    var text = body.value.trim();
    var n = units(text);
    var parts = [n + " 字（含变量名）", "约 " + segments(n) + " 条"];
    var sig = counter.getAttribute("data-signature");
    var optOut = counter.getAttribute("data-opt-out");
    if (sig && text.indexOf(sig) !== 0) { parts.push("缺少开头签名 " + sig); }
    if (optOut && text.indexOf(optOut) === -1) { parts.push("缺少“" + optOut + "”"); }
    counter.textContent = parts.join(" · ");
    counter.classList.toggle("text-danger", parts.length > 2);
  }

  function syncChannel() {
    if (!channel) { return; }
    document.querySelectorAll("[data-channel]").forEach(function (el) {
      el.hidden = el.getAttribute("data-channel") !== channel.value;
    });
  }

  document.querySelectorAll("#template-form textarea, #template-form input[type=text]").forEach(function (el) {
    el.addEventListener("focus", function () { lastFocused = el; });
  });
  document.querySelectorAll("[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = lastFocused || body;
      var text = button.getAttribute("data-insert");
      var start = target.selectionStart || target.value.length;
      var end = target.selectionEnd || start;
      target.value = target.value.slice(0, start) + text + target.value.slice(end);
      target.focus();
      target.selectionStart = target.selectionEnd = start + text.length;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
  if (body) { body.addEventListener("input", count); }
  if (channel) { channel.addEventListener("change", function () { syncChannel(); count(); }); }
  syncChannel();
  count();
})();
