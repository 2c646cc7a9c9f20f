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

  /* The texts come translated from the template (data-label-* on the counter); {name} marks a value */
  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }
  /* "about 1 message" / "about 3 messages": the page's language picks the form */
  var pluralRules = null;
  try { pluralRules = new Intl.PluralRules(document.documentElement.lang || undefined); } catch (e) { pluralRules = null; }
  function pluralLabel(k) {
    var one = pluralRules ? pluralRules.select(k) === "one" : k === 1;
    var labels = counter.dataset;
    return (one ? labels.labelPartsOne : labels.labelPartsOther) || labels.labelPartsOther || "{n}";
  }

  function count() {
    if (!counter || !body) { return; }
    var labels = counter.dataset;
    var text = body.value.trim();
    var n = units(text);
    var k = segments(n);
    var parts = [fill(labels.labelChars || "{n}", { n: n }), fill(pluralLabel(k), { n: k })];
    var sig = labels.signature;
    var optOut = labels.optOut;
    if (sig && text.indexOf(sig) !== 0) { parts.push(fill(labels.labelNoSignature || "{signature}", { signature: sig })); }
    if (optOut && text.indexOf(optOut) === -1) { parts.push(fill(labels.labelNoOptOut || "{text}", { text: optOut })); }
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
