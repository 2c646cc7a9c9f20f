// The visit form on a phone with a weak connection: every change is kept in localStorage (restored on reload), the
// submission carries one idempotency key per visit (a retried POST records one visit), and a failed send is
// retried by itself with a growing delay and when the phone comes back online.
(function () {
  "use strict";
  const form = document.getElementById("visit-form");
  if (!form) return;
  const T = JSON.parse(document.getElementById("visit-i18n").textContent);
  const key = form.dataset.draftKey;
  const stateBox = document.getElementById("visit-state");
  const errorsBox = document.getElementById("visit-errors");
  const submitBtn = document.getElementById("visit-submit");
  const geoStatus = document.getElementById("checkin-status");
  const noLocationBox = document.getElementById("no-location-box");
  const RETRY_DELAYS = [5, 10, 20, 40, 60];
  let retries = 0;
  let retryTimer = null;
  let sending = false;

  function state(text, kind) {
    stateBox.className = "alert py-1 px-2 small text-truncate alert-" + (kind || "secondary");
    stateBox.title = text;
    stateBox.textContent = text;
    stateBox.dataset.state = kind || "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function collect() {
    const data = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") continue;
      if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else {
        data[el.name] = el.value;
      }
    }
    return data;
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function save(extra) {
    const draft = Object.assign(load() || {}, { fields: collect(), savedAt: new Date().toISOString() }, extra || {});
    try { localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage full: the form still works */ }
    return draft;
  }

  function restore(draft) {
    const f = draft.fields || {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken" || !(el.name in f)) continue;
      if (el.type === "radio") el.checked = f[el.name] === el.value;
      else el.value = f[el.name];
    }
  }

  function showLocated() {
    const acc = form.elements.accuracy_m.value;
    if (form.elements.latitude.value) {
      geoStatus.textContent = T.located.replace("%s", acc || "?");
      geoStatus.className = "small flex-grow-1 text-success";
      noLocationBox.classList.add("d-none");
    }
  }

  // ---- start: restore a draft or begin a new one --------------------------------------------------------------
  const draft = load();
  if (draft && draft.fields && draft.fields.idempotency_key) {
    restore(draft);
    showLocated();
    state(T.draft_restored, "warning");
  } else {
    form.elements.idempotency_key.value = newKey();
    save();
  }

  form.addEventListener("input", () => { if (queuedKey) return; save(); if (!sending) state(T.draft_saved, "secondary"); });
  form.addEventListener("change", () => { if (!queuedKey) save(); });

  // ---- check-in ------------------------------------------------------------------------------------------------
  document.getElementById("checkin-btn").addEventListener("click", () => {
    if (!navigator.geolocation) {
      geoStatus.textContent = T.geo_failed.replace("%s", T.geo_unsupported);
      return;
    }
    geoStatus.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        form.elements.latitude.value = pos.coords.latitude.toFixed(6);
        form.elements.longitude.value = pos.coords.longitude.toFixed(6);
        form.elements.accuracy_m.value = Math.round(pos.coords.accuracy || 0);
        form.elements.checked_in_at.value = new Date().toISOString();
        form.elements.no_location_reason.value = "";
        showLocated();
        save();
      },
      (err) => {
        geoStatus.textContent = T.geo_failed.replace("%s", err.message || err.code);
        geoStatus.className = "small flex-grow-1 text-danger";
        noLocationBox.classList.remove("d-none");
        if (!form.elements.checked_in_at.value) form.elements.checked_in_at.value = new Date().toISOString();
        save();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  // ---- sending -------------------------------------------------------------------------------------------------
  function scheduleRetry() {
    const delay = RETRY_DELAYS[Math.min(retries, RETRY_DELAYS.length - 1)];
    retries += 1;
    state(navigator.onLine === false ? T.offline : T.retry_in.replace("%s", delay), "warning");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(send, delay * 1000);
  }

  function showErrors(body) {
    const lines = [];
    const errors = (body && body.errors) || {};
    for (const name in errors) {
      for (const e of errors[name]) lines.push(typeof e === "string" ? e : e.message);
    }
    errorsBox.textContent = lines.join(" ");
    state(T.rejected + " " + ((body && body.message) || ""), "danger");
  }

  async function send() {
    if (sending) return;
    sending = true;
    clearTimeout(retryTimer);
    errorsBox.textContent = "";
    submitBtn.disabled = true;
    save({ pending: true });
    state(T.sending, "info");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        // the phone's clock at this send (the server compares it with its own on arrival)
        headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json", "X-Device-Time": new Date().toISOString() },
      });
    } catch (e) {
      sending = false;
      submitBtn.disabled = false;
      scheduleRetry();
      return;
    }
    sending = false;
    submitBtn.disabled = false;
    const isJson = (response.headers.get("content-type") || "").includes("application/json");
    const body = isJson ? await response.json().catch(() => null) : null;
    if (response.ok && body && body.id) {
      localStorage.removeItem(key);
      state(T.saved + " · " + body.message + (body.distance_m != null ? " · " + body.location + " " + body.distance_m + " m" : " · " + body.location), "success");
      stateBox.dataset.visitId = body.id;
      setTimeout(() => { window.location.href = body.url; }, 900);
      return;
    }
    if (!isJson && response.status < 500) {
      // redirected to the login page (the session ended): keep the draft, say what to do
      save({ pending: false });
      state(T.session, "danger");
      return;
    }
    if (response.status >= 500 || response.status === 429 || response.status === 0) {
      scheduleRetry();
      return;
    }
    save({ pending: false });
    showErrors(body || { message: response.status });
  }

  // ---- the offline queue (static/js/pwa.js): a submission is queued with its photos and sent by the queue, now
  // or when the network returns; this page follows its item and falls back to sending directly without IndexedDB
  let queuedKey = null;
  async function enqueue() {
    const fields = [];
    for (const [name, value] of new FormData(form).entries()) if (typeof value === "string") fields.push([name, value]);
    const photos = Array.from((form.elements.photos && form.elements.photos.files) || []).map((f) => ({ name: f.name, type: f.type, blob: f }));
    const item = { key: form.elements.idempotency_key.value, url: form.dataset.syncUrl, shop: form.dataset.shop, fields, photos };
    errorsBox.textContent = "";
    queuedKey = item.key;
    await window.FieldQueue.add(item);
    // said only once the queue holds it: a manager who leaves the page on "not sent" must not lose the visit
    // (leaving while IndexedDB was still writing dropped it)
    state(navigator.onLine === false ? T.offline : T.sending, navigator.onLine === false ? "warning" : "info");
    localStorage.removeItem(key);
  }
  window.addEventListener("fieldqueue:sent", (event) => {
    if (event.detail.key !== queuedKey) return;
    const body = event.detail.answer;
    state(T.saved + " · " + body.message + (body.distance_m != null ? " · " + body.location + " " + body.distance_m + " m" : " · " + body.location), "success");
    stateBox.dataset.visitId = body.id;
    setTimeout(() => { window.location.href = body.url; }, 900);
  });
  window.addEventListener("fieldqueue:item", (event) => {
    const item = event.detail;
    if (item.key !== queuedKey) return;
    if (item.state === "rejected") {
      // the server wants changes: the submission goes back to being this page's draft
      window.FieldQueue.remove(item.key);
      queuedKey = null;
      save({ pending: false });
      showErrors({ errors: item.errors, message: item.message });
    } else if (item.state === "refused") {
      state(item.message, "danger");
    } else {
      state(navigator.onLine === false ? T.offline : item.message || T.offline, "warning");
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    retries = 0;
    if (window.FieldQueue && window.indexedDB && form.dataset.syncUrl) {
      enqueue().catch(() => send());
    } else {
      send();
    }
  });
  window.addEventListener("online", () => { if ((load() || {}).pending) send(); });
  if (draft && draft.pending) send();
})();
