// The field app's service worker (served by /sw.js, which prepends SHELL_VERSION, SHELL and OFFLINE_TEXT).
// Static files: cache first (their names change with the deployment's shell version). Pages: network first, the
// copy kept for offline use when the network fails. Nothing but same-origin GETs is touched; POSTs (the visit
// queue's sync) always go to the network.
"use strict";
const STATIC_CACHE = "field-static-" + SHELL_VERSION;
const PAGE_CACHE = "field-pages";
// the retailers' own link pages (/r/, /loyalty/m/, /u/, /l/) are theirs, never kept on a staff phone
const NEVER_CACHED = ["/sw.js", "/logout/", "/login/", "/field/offline-urls/", "/admin/", "/api/", "/r/", "/loyalty/m/", "/u/", "/l/"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("field-static-") && k !== STATIC_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function offlinePage() {
  const html = '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<body style="font-family:sans-serif;padding:2rem"><p id="offline-missing">' + OFFLINE_TEXT + '</p><p><a href="/visits/">/visits/</a></p>';
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER_CACHED.some((p) => url.pathname.startsWith(p))) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) { const copy = response.clone(); caches.open(STATIC_CACHE).then((c) => c.put(request, copy)); }
        return response;
      }))
    );
    return;
  }
  event.respondWith(
    fetch(request).then((response) => {
      // keep what the user saw, for offline use (not redirects: a login page must never stand in for a page)
      if (response.ok && response.type === "basic" && !response.redirected) {
        const copy = response.clone();
        caches.open(PAGE_CACHE).then((c) => c.put(request, copy));
      }
      return response;
    }).catch(() =>
      // ignoreVary: pages vary on Accept-Language and Cookie, which the copies fetched by pwa.js (a bare URL)
      // do not carry; the cache is this user's, in this browser, and wiped at logout
      caches.open(PAGE_CACHE).then((c) => c.match(request, { ignoreVary: true })).then((hit) => {
        if (hit) return hit;
        return request.mode === "navigate" ? offlinePage() : Response.error();
      })
    )
  );
});
