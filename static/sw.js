// Service worker: the app shell's static files come from the cache, so handheld pages load fast on
// poor warehouse Wi-Fi. Pages and scans always go to the network (scans queue in scanner.js).
const CACHE = "wms-static-v2";
const SHELL = [
  "/static/css/app.css", "/static/css/handheld.css", "/static/js/app.js", "/static/js/scanner.js",
  "/static/vendor/htmx-2.0.11.min.js", "/static/vendor/socket.io-4.8.4.min.js",
  "/static/vendor/idb-keyval-6.3.0.umd.js", "/static/manifest.webmanifest",
];
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/static/")) {
    return;
  }
  event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request).then((response) => {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    return response;
  })));
});
