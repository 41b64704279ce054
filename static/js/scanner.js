// The handheld scan protocol. A barcode scanner "types" the code and Enter into the focused field.
// - the scan field keeps the focus, so the picker never has to tap it;
// - each scan carries a fresh Idempotency-Key (its scan id): a network retry or a replay from the
//   offline queue is applied once by the server;
// - the server names the sound in HX-Trigger (scan-ok / scan-error); errors also vibrate;
// - scans made while offline wait in localStorage and are sent, in order, when the network returns.
(function () {
  "use strict";
  var QUEUE_KEY = "wms.scanQueue";
  var audio = null;

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1760 : 220;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + (ok ? 0.08 : 0.45));
    } catch (e) { /* no audio device: the screen still shows the result */ }
    if (!ok && navigator.vibrate) { navigator.vibrate([120, 60, 120]); }
    document.body.dataset.lastScan = ok ? "ok" : "error";
  }

  function newScanId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "s-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function queue() { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; } }
  function saveQueue(items) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
    var badge = document.querySelector("[data-scan-queue]");
    if (badge) { badge.hidden = items.length === 0; badge.textContent = items.length ? "⏳ " + items.length : ""; }
  }

  function focusScan() {
    var input = document.querySelector("[data-scan-input]");
    var active = document.activeElement;
    if (input && (!active || active === document.body || active.closest("[data-scan-form]"))) { input.focus(); }
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-scan-form]");
    if (!form) { return; }
    if (!form.dataset.scanId) { form.dataset.scanId = newScanId(); }
    event.detail.headers["Idempotency-Key"] = form.dataset.scanId;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-scan-form]");
    if (!form) { return; }
    if (event.detail.xhr && event.detail.xhr.status > 0) {
      delete form.dataset.scanId;  // answered: the next scan is a new one
      var input = form.querySelector("[data-scan-input]");
      if (input && !form.hasAttribute("data-keep-value")) { input.value = ""; }
    }
    focusScan();
  });

  document.addEventListener("htmx:sendError", function (event) {
    // No network: keep the scan (with its id) for later instead of losing it.
    var form = event.detail.elt.closest && event.detail.elt.closest("[data-scan-form]");
    if (!form) { return; }
    var items = queue();
    items.push({ url: form.getAttribute("hx-post"), body: new URLSearchParams(new FormData(form)).toString(),
                 scanId: form.dataset.scanId });
    saveQueue(items);
    delete form.dataset.scanId;
    var input = form.querySelector("[data-scan-input]");
    if (input) { input.value = ""; }
    beep(false);
  });

  function flushQueue() {
    var items = queue();
    if (!items.length || !navigator.onLine) { return; }
    var item = items[0];
    fetch(item.url, { method: "POST", credentials: "same-origin", body: item.body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken(),
                 "Idempotency-Key": item.scanId, "HX-Request": "true" } })
      .then(function (response) {
        if (response.status >= 500) { return; }
        saveQueue(queue().slice(1));
        flushQueue();
      })
      .catch(function () { /* still offline; try again later */ });
  }

  document.body.addEventListener("scan-ok", function () { beep(true); });
  document.body.addEventListener("scan-error", function () { beep(false); });
  window.addEventListener("online", flushQueue);
  document.addEventListener("DOMContentLoaded", function () {
    saveQueue(queue());
    focusScan();
    flushQueue();
    setInterval(flushQueue, 15000);
    document.addEventListener("click", function () { setTimeout(focusScan, 50); });
  });
  window.WMS = window.WMS || {};
  window.WMS.beep = beep;
})();
