// The installable field app, on every signed-in page: registers the service worker, keeps today's and tomorrow's
// pages for offline use, says how old an offline copy is, runs the offline visit queue (IndexedDB; photos are kept
// as blobs) that syncs by itself when the network returns, shows it ("3 条待上传", each item's state), and wipes
// every copy and the queue at logout. window.FieldQueue is what the visit form uses.
(function () {
  "use strict";
  const T = JSON.parse((document.getElementById("pwa-i18n") || {}).textContent || "{}");
  const DB_NAME = "field-app";
  const STORE = "queue";
  const PAGE_CACHE = "field-pages";
  // how often the offline copies are refreshed: what the server said last (settings.FIELD_OFFLINE_REFRESH_SECONDS)
  const PRECACHE_EVERY_MS = 60 * 60 * 1000;
  const RETRY_MS = 30 * 1000;
  const fmt = (s, ...args) => args.reduce((acc, a) => acc.replace("%s", a), s || "");

  // ---- IndexedDB ----------------------------------------------------------------------------------------------
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
        req.onsuccess = () => {
          req.result.onversionchange = () => { req.result.close(); dbPromise = null; };
          resolve(req.result);
        };
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }
  function tx(mode, fn) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(STORE, mode);
      const result = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    }));
  }
  const all = () => tx("readonly", (s) => s.getAll());
  const put = (item) => tx("readwrite", (s) => s.put(item));
  const remove = (key) => tx("readwrite", (s) => s.delete(key));

  // ---- the queue ----------------------------------------------------------------------------------------------
  const OPEN = ["queued", "failed", "sending"];
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function emit(name, detail) { window.dispatchEvent(new CustomEvent(name, { detail })); }

  async function add(item) {
    item.state = "queued";
    item.message = "";
    item.createdAt = item.createdAt || new Date().toISOString();
    await put(item);
    render();
    sync();
    return item;
  }

  let syncing = false;
  let again = false;
  async function sync() {
    if (syncing) { again = true; return; }
    if (navigator.onLine === false) return;
    syncing = true;
    try {
      const items = (await all()).filter((i) => i.state === "queued" || i.state === "failed" || i.state === "sending");
      for (const item of items) await send(item);
    } finally {
      syncing = false;
      render();
      if (again) { again = false; setTimeout(sync, 0); }
    }
  }

  async function send(item) {
    item.state = "sending";
    await put(item);
    render();
    const body = new FormData();
    for (const [name, value] of item.fields) body.append(name, value);
    const token = csrf();
    if (token) body.set("csrfmiddlewaretoken", token);
    for (const p of item.photos || []) body.append("photos", new File([p.blob], p.name, { type: p.type }));
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST", body, credentials: "same-origin",
        headers: {
          "X-Requested-With": "XMLHttpRequest", Accept: "application/json", "X-CSRFToken": token,
          "X-Device-Time": new Date().toISOString(),  // the clock now, at this send; not when it was queued
        },
      });
    } catch (e) {
      item.state = "failed"; item.message = T.q_network; await put(item);
      emit("fieldqueue:item", item);
      return;
    }
    const isJson = (response.headers.get("content-type") || "").includes("application/json");
    const answer = isJson ? await response.json().catch(() => null) : null;
    if (response.ok && answer && answer.id) {
      await remove(item.key);
      emit("fieldqueue:sent", { key: item.key, answer });
      return;
    }
    if (answer && response.status === 409) {
      item.state = "refused";
      item.message = answer.message || String(response.status);
    } else if (answer && response.status === 400) {
      item.state = "rejected";
      item.message = answer.message || "";
      item.errors = answer.errors || {};
    } else {
      item.state = "failed";
      item.message = !isJson && response.status < 500 ? T.q_session : fmt(T.q_retry, response.status);
    }
    await put(item);
    emit("fieldqueue:item", item);
  }

  // ---- the visible queue --------------------------------------------------------------------------------------
  const box = document.getElementById("offline-queue");
  const STATE_TEXT = { queued: T.s_queued, sending: T.s_sending, failed: T.s_failed, refused: T.s_refused, rejected: T.s_rejected };
  async function render() {
    if (!box) return;
    let items = [];
    try { items = await all(); } catch (e) { return; }
    const waiting = items.filter((i) => OPEN.includes(i.state)).length;
    const stuck = items.length - waiting;
    box.classList.toggle("d-none", items.length === 0);
    box.querySelector(".q-count").textContent = [waiting ? fmt(T.q_count, waiting) : "", stuck ? fmt(T.q_stuck, stuck) : ""].filter(Boolean).join(" · ");
    const list = box.querySelector(".q-items");
    list.replaceChildren(...items.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((i) => {
      const li = document.createElement("li");
      li.className = "q-item q-" + i.state;
      li.dataset.key = i.key;
      li.dataset.state = i.state;
      const when = new Date(i.createdAt);
      li.textContent = i.shop + " · " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + " · " +
        (STATE_TEXT[i.state] || i.state) + (i.message ? " · " + i.message : "") +
        ((i.photos || []).length ? " · " + fmt(T.q_photos, i.photos.length) : "");
      if (i.state === "refused") {
        // the server keeps it for the supervisor: the phone's copy may go
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn btn-link btn-sm p-0 ms-1 q-dismiss";
        b.textContent = T.q_dismiss;
        b.addEventListener("click", () => remove(i.key).then(render));
        li.append(" ", b);
      }
      return li;
    }));
  }

  // ---- how old an offline copy is ----------------------------------------------------------------------------
  function showAge() {
    const meta = document.querySelector('meta[name="page-rendered-at"]');
    const banner = document.getElementById("page-age");
    if (!meta || !banner) return;
    const rendered = Date.parse(meta.content);
    const minutes = Math.max(0, Math.round((Date.now() - rendered) / 60000));
    if (navigator.onLine !== false && Date.now() - rendered < 90 * 1000) { banner.classList.add("d-none"); return; }
    const at = new Date(rendered).toLocaleString([], { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    banner.textContent = (navigator.onLine === false ? T.offline_now + " " : "") + fmt(T.page_age, at, minutes);
    banner.classList.remove("d-none");
  }

  // ---- keeping pages for offline use -------------------------------------------------------------------------
  async function precache(force) {
    if (navigator.onLine === false || !("caches" in window)) return;
    const last = Number(localStorage.getItem("field-precached-at") || 0);
    const every = Number(localStorage.getItem("field-precache-every-ms")) || PRECACHE_EVERY_MS;
    if (!force && Date.now() - last < every) { document.documentElement.dataset.offlineReady = "1"; return; }
    let urls;
    try {
      const r = await fetch("/field/offline-urls/", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok || r.redirected) return;
      const answer = await r.json();
      urls = answer.urls;
      if (answer.refresh_seconds > 0) localStorage.setItem("field-precache-every-ms", String(answer.refresh_seconds * 1000));
    } catch (e) { return; }
    const cache = await caches.open(PAGE_CACHE);
    let kept = 0;
    for (const url of urls) {
      try {
        const r = await fetch(url, { credentials: "same-origin" });
        if (r.ok && !r.redirected) { await cache.put(url, r); kept += 1; }
      } catch (e) { /* the next round tries again */ }
    }
    localStorage.setItem("field-precached-at", String(Date.now()));
    document.documentElement.dataset.offlineReady = "1";
    document.documentElement.dataset.offlinePages = String(kept);
  }

  // ---- logout wipes everything --------------------------------------------------------------------------------
  async function wipe() {
    if ("caches" in window) for (const k of await caches.keys()) await caches.delete(k);
    try { (await db()).close(); } catch (e) { /* nothing open */ }
    dbPromise = null;
    await new Promise((resolve) => { const r = indexedDB.deleteDatabase(DB_NAME); r.onsuccess = r.onerror = r.onblocked = () => resolve(); });
    for (const k of Object.keys(localStorage)) if (k.startsWith("visit-draft:") || k.startsWith("field-")) localStorage.removeItem(k);
    if (navigator.serviceWorker) for (const reg of await navigator.serviceWorker.getRegistrations()) await reg.unregister();
  }
  document.querySelectorAll('form[action$="/logout/"]').forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.wiped) return;
      event.preventDefault();
      let pending = 0;
      try { pending = (await all()).length; } catch (e) { /* no queue */ }
      if (pending && !window.confirm(fmt(T.logout_confirm, pending))) return;
      await wipe();
      form.dataset.wiped = "1";
      form.submit();
    });
  });

  // ---- start --------------------------------------------------------------------------------------------------
  window.FieldQueue = { add, sync, all, render, remove: (key) => remove(key).then(render) };
  showAge();
  render();
  window.addEventListener("online", () => { showAge(); sync(); precache(false); });
  window.addEventListener("offline", showAge);
  setInterval(sync, RETRY_MS);
  sync();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then(() => precache(false))
      .catch(() => { /* no offline copies: the pages still work online */ });
  }
})();
