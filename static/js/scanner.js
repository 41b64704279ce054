// The handheld scan queue: no scan is ever lost, whatever the scanner's rhythm or the network.
//
// A keyboard-wedge scanner "types" the code and Enter (or Tab) into the focused scan field, as fast as
// 20 ms a scan. Every scan goes into one ordered queue with its own scan id (the Idempotency-Key the
// scan routes honour), and the queue sends ONE request at a time:
// - the next scan is sent against the form the previous answer rendered (its hidden fields are the
//   step context: the bin accepted before the item, the cart before the slot...), so bin, item, item
//   typed back to back are applied as bin, item, item; a scan made with nothing in flight is bound at
//   once to the form it was scanned against;
// - once sent, a scan's body is frozen: a retry or a replay sends the same body with the same id, so
//   the server applies it once (a lost answer is replayed from the idempotency store);
// - no network (or a lost answer): the scan stays at the head and is retried with backoff, and at
//   once when the browser is back online; a 5xx (or a duplicate still running, 409) is retried with
//   exponential backoff (capped) and after `maxServerTries` set aside and listed, and the queue goes on;
// - the queue lives in IndexedDB (idb-keyval): a reload or a dead battery keeps the scans waiting;
// - after a replay (retries, a restored queue, a stored answer) the screen's panel is fetched anew
//   from the server, so the screen shows the current state, not stale HTML;
// - a refusal that the next answer would hide, or that came from a replay, and a scan set aside, are
//   listed on the screen with the reason until cleared.
// The server names the sound in HX-Trigger (scan-ok / scan-error); errors also vibrate.
// Window.WMSScanConfig (set before this file runs) may change the timings; WMS.scanQueue is for tests.
(function () {
  "use strict";
  var config = Object.assign({ retryBaseMs: 500, retryCapMs: 15000, maxServerTries: 8, pollMs: 15000 },
                             window.WMSScanConfig || {});
  var STORE_KEY = "queue";
  var REFUSED_KEY = "refused";
  var LEGACY_KEY = "wms.scanQueue";  // the localStorage queue of earlier versions, moved in once
  var store = null;                  // idb-keyval store, or null: localStorage instead
  var queue = [];                    // the scans to send, oldest first; queue[0] is in flight or next
  var refused = [];                  // {code, reason, at}
  var ready = false;                 // the stored queue is loaded
  var busy = false;                  // a request (a scan, or the panel refresh) is in flight
  var leaving = false;               // the page is going (HX-Redirect): the next page sends the rest
  var stale = false;                 // a replay happened: fetch the panel when the queue is empty
  var timer = null;
  var dirty = {};                    // fields typed since the last scan (quantity, lot...): name -> value
  var writes = Promise.resolve();
  var audio = null;

  // --- sounds ------------------------------------------------------------------------------------

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

  // --- storage -----------------------------------------------------------------------------------

  function openStore() {
    try {
      if (window.idbKeyval && window.indexedDB) { store = window.idbKeyval.createStore("wms-handheld", "scans"); }
    } catch (e) { store = null; }
  }

  function load(key) {
    if (store) {
      return window.idbKeyval.get(key, store).catch(function () { store = null; return load(key); });
    }
    try { return Promise.resolve(JSON.parse(localStorage.getItem("wms." + key) || "null")); }
    catch (e) { return Promise.resolve(null); }
  }

  function save() {
    // Writes are chained so the last state always lands last.
    var items = JSON.parse(JSON.stringify(queue));
    var gone = JSON.parse(JSON.stringify(refused));
    writes = writes.then(function () {
      if (store) {
        return window.idbKeyval.setMany([[STORE_KEY, items], [REFUSED_KEY, gone]], store);
      }
      localStorage.setItem("wms." + STORE_KEY, JSON.stringify(items));
      localStorage.setItem("wms." + REFUSED_KEY, JSON.stringify(gone));
    }).catch(function () { /* storage full or closed: the queue still works in memory */ });
    showQueue();
    return writes;
  }

  // --- what the screen shows ---------------------------------------------------------------------

  function showQueue() {
    var badge = document.querySelector("[data-scan-queue]");
    if (badge) {
      badge.hidden = queue.length === 0;
      badge.textContent = queue.length ? (badge.dataset.label || "{n}").replace("{n}", queue.length) : "";
    }
    var box = document.querySelector("[data-scan-refused]");
    var list = box && box.querySelector("[data-scan-refused-list]");
    if (!list) { return; }
    box.hidden = refused.length === 0;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    refused.forEach(function (entry) {
      var item = document.createElement("li");
      var code = document.createElement("strong");
      code.className = "bin-code";
      code.textContent = entry.code;
      item.appendChild(code);
      item.appendChild(document.createTextNode(" · " + entry.reason));
      list.appendChild(item);
    });
  }

  function label(name, values) {
    var box = document.querySelector("[data-scan-refused]");
    var text = (box && box.dataset[name]) || "HTTP {status}";
    Object.keys(values).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }

  function setAside(item, reason) {
    refused.push({ code: item.code || item.label || "", reason: reason, at: Date.now() });
    beep(false);
  }

  function scanInput() { return document.querySelector("[data-scan-input]"); }
  function scanForm() { var input = scanInput(); return input ? input.closest("form") : null; }

  function focusScan() {
    var input = scanInput();
    var active = document.activeElement;
    if (input && (!active || active === document.body || active.closest("[data-scan-form]"))) { input.focus(); }
  }

  // --- the form's values -------------------------------------------------------------------------

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function valuesOf(form, submitter) {
    // htmx's own resolution (the form, hx-include); the CSRF token travels in the header only, so a
    // body frozen before a reload stays valid after it.
    var values = window.htmx ? window.htmx.values(form, "post") : new FormData(form);
    var pairs = [];
    Array.from(values.entries()).forEach(function (pair) {
      if (pair[0] !== "csrf_token") { pairs.push([pair[0], String(pair[1])]); }
    });
    if (submitter && submitter.name) { pairs.push([submitter.name, submitter.value || ""]); }
    return pairs;
  }

  function encode(pairs) { return new URLSearchParams(pairs).toString(); }

  function formTarget(form) {
    return { url: form.getAttribute("hx-post"), target: form.getAttribute("hx-target") || "",
             swap: form.getAttribute("hx-swap") || "innerHTML" };
  }

  function bind(item) {
    // The scan's body: against the form now on the screen (the one the previous answer rendered);
    // without one, against the form it was scanned against.
    if (item.body !== null) { return; }
    var form = item.kind === "scan" ? scanForm() : null;
    var pairs;
    if (form) {
      Object.assign(item, formTarget(form));
      var name = item.field || "code";
      pairs = valuesOf(form).filter(function (p) { return p[0] !== name && !(p[0] in item.typed); });
      Object.keys(item.typed).forEach(function (k) {
        if (sends(form, k)) { pairs.push([k, item.typed[k]]); }
      });
      pairs.push([name, item.code]);
    } else {
      pairs = item.fields;
    }
    item.body = encode(pairs);
  }

  function sends(form, name) {
    // Whether the form sends a field of this name: its own, or one it includes (hx-include).
    if (form.elements[name]) { return true; }
    var include = form.getAttribute("hx-include");
    if (!include) { return false; }
    try {
      return Array.prototype.some.call(document.querySelectorAll(include), function (el) {
        return el.name === name || !!el.querySelector('[name="' + name + '"]');
      });
    } catch (e) { return false; }
  }

  function newScanId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "s-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  // --- enqueueing --------------------------------------------------------------------------------

  function enqueueScan(input) {
    var code = input.value.trim();
    input.value = "";
    if (!code) { return; }
    var form = input.closest("form");
    if (!form || !form.getAttribute("hx-post")) { return; }
    var item = Object.assign({ id: newScanId(), kind: "scan", code: code, field: input.name || "code",
                               typed: dirty, body: null, tries: 0, failures: 0, page: location.pathname,
                               at: Date.now() }, formTarget(form));
    item.fields = valuesOf(form).filter(function (p) { return p[0] !== item.field; }).concat([[item.field, code]]);
    dirty = {};
    if (ready && !queue.length && !busy) { bind(item); }  // nothing pending: this form is its context
    queue.push(item);
    save();
    pump();
  }

  function enqueueAction(form, submitter) {
    // A button's form (finish the bin, report a short pick...): its own values, taken now.
    var pairs = valuesOf(form, submitter);
    dirty = {};
    var item = Object.assign({ id: newScanId(), kind: "action", label: submitter ? submitter.textContent.trim() : "",
                               typed: {}, tries: 0, failures: 0, page: location.pathname, at: Date.now(),
                               fields: pairs, body: encode(pairs) }, formTarget(form));
    queue.push(item);
    save();
    pump();
  }

  // --- sending -----------------------------------------------------------------------------------

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; pump(); }, Math.max(0, ms));
  }

  function backoff(n) { return Math.min(config.retryCapMs, config.retryBaseMs * Math.pow(2, Math.max(0, n - 1))); }

  function pump() {
    if (!ready || busy || leaving) { return; }
    var item = queue[0];
    if (!item) {
      if (stale) { refresh(); }
      return;
    }
    if (item.notBefore && Date.now() < item.notBefore) { schedule(item.notBefore - Date.now()); return; }
    bind(item);
    busy = true;
    item.sent = (item.sent || 0) + 1;
    save();
    var request = fetch(item.url, {
      method: "POST", credentials: "same-origin", body: item.body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": csrfToken(),
                 "Idempotency-Key": item.id, "HX-Request": "true", "HX-Current-URL": location.href }
    });
    request.then(function (response) {
      return response.text().then(function (text) { answered(item, response, text); });
    }).catch(function () { unanswered(item); }).then(function () {
      busy = false;
      pump();
    });
  }

  function unanswered(item) {
    // No answer: offline, or the answer was lost on the way. The same id and body go again later (the
    // server applies it once either way); it never drops and never jumps the queue.
    item.failures += 1;
    item.notBefore = Date.now() + backoff(item.failures);
    stale = true;
    save();
  }

  function triggers(response) {
    try { return JSON.parse(response.headers.get("HX-Trigger") || "{}"); } catch (e) { return {}; }
  }

  function answered(item, response, text) {
    var status = response.status;
    var fired = triggers(response);
    var redirect = response.headers.get("HX-Redirect");
    if (status === 401 && redirect) {
      // Logged out: the scan waits (kept in storage) for the picker to log in again.
      leave(redirect);
      return;
    }
    var retry = status >= 500 || (status === 409 && text.indexOf("idempotency_in_progress") >= 0);
    if (retry) {
      item.tries += 1;
      stale = true;
      if (item.tries >= config.maxServerTries) {
        queue.shift();
        setAside(item, label("labelServer", { status: status, tries: item.tries }));
      } else {
        item.notBefore = Date.now() + backoff(item.tries);
      }
      save();
      return;
    }
    queue.shift();
    var replayed = response.headers.get("Idempotent-Replayed") === "true" || item.failures > 0 || item.tries > 0 ||
                   item.restored;
    if (replayed) { stale = true; }
    if (status >= 400) {
      setAside(item, messageOf(text) || label("labelHttp", { status: status }));
      save();
      return;
    }
    var refusedNow = Object.prototype.hasOwnProperty.call(fired, "scan-error");
    if (refusedNow && (replayed || queue.length)) {
      // The next answer would hide this refusal, or nobody watched it happen: list it.
      refused.push({ code: item.code || item.label || "", reason: String(fired["scan-error"] || ""), at: Date.now() });
    }
    save();
    if (redirect) {
      leave(redirect);
      return;
    }
    if (!render(item, text, response.headers.get("HX-Retarget"), response.headers.get("HX-Reswap"))) { stale = true; }
    Object.keys(fired).forEach(function (name) {
      var value = fired[name];
      document.body.dispatchEvent(new CustomEvent(name, { bubbles: true,
        detail: value !== null && typeof value === "object" ? value : { value: value } }));
    });
    document.body.dispatchEvent(new CustomEvent("wms:scan-answered", { bubbles: true,
      detail: { id: item.id, code: item.code, ok: !refusedNow, status: status } }));
  }

  function leave(url) {
    leaving = true;  // nothing more is sent from this page; what is queued waits in storage
    save().then(function () { window.location.href = url; });
  }

  function messageOf(text) {
    try { var body = JSON.parse(text); return body.message || (body.error && body.error.message) || ""; }
    catch (e) { return ""; }
  }

  function swapInto(target, html, style) {
    // Keep what the scanner is typing into the field now (the next scan's first characters).
    var input = scanInput();
    var typing = input ? input.value : "";
    var focused = !!input && document.activeElement === input;
    if (window.htmx) {
      window.htmx.swap(target, html, { swapStyle: style || "innerHTML", swapDelay: 0, settleDelay: 0 });
    } else {
      target.innerHTML = html;
    }
    var fresh = scanInput();
    if (fresh && fresh !== input && typing) { fresh.value = typing; }
    if (fresh && (focused || fresh.hasAttribute("autofocus"))) { fresh.focus(); }
    focusScan();
  }

  function render(item, html, retarget, reswap) {
    // The answer replaces its panel when that panel is on this screen, or goes where the server
    // retargets it (HX-Retarget: a refused command barcode's notice, leaving the screen's form as it was).
    var selector = retarget || item.target;
    var target = selector ? document.querySelector(selector) : null;
    if (!target) { return false; }
    swapInto(target, html, reswap || (retarget ? "innerHTML" : item.swap));
    return true;
  }

  function refresh() {
    // After a replay: the screen's panel as the server has it now, with the step the screen is at.
    stale = false;
    var panel = document.querySelector("[data-scan-refresh]");
    if (!panel || !panel.id) { return; }
    var form = scanForm();
    var params = new URLSearchParams();
    if (form && panel.contains(form)) {
      form.querySelectorAll('input[type="hidden"]').forEach(function (el) {
        if (el.name && el.name !== "csrf_token") { params.append(el.name, el.value); }
      });
    }
    busy = true;
    var query = params.toString();
    fetch(location.pathname + (query ? "?" + query : ""), { credentials: "same-origin",
      headers: { "X-Scan-Refresh": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (text) {
        if (!text || queue.length) { return; }  // a scan came meanwhile: its answer renders the screen
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById(panel.id);
        if (fresh) { swapInto(panel, fresh.innerHTML, "innerHTML"); }
        document.body.dispatchEvent(new CustomEvent("wms:panel-refreshed", { bubbles: true }));
      })
      .catch(function () { stale = true; })
      .then(function () { busy = false; if (queue.length) { pump(); } });
  }

  // --- the scanner's keys and the forms ----------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-scan-input]")) { return; }
    if (event.key !== "Enter" && event.key !== "Tab") { return; }
    if (event.key === "Tab" && !input.value.trim()) { return; }  // an empty Tab moves on as usual
    event.preventDefault();
    enqueueScan(input);
  }, true);

  document.addEventListener("submit", function (event) {
    // Every scan form goes through the queue (never htmx's own request, never the browser's GET).
    var form = event.target;
    if (!form.matches || !form.matches("[data-scan-form]")) { return; }
    event.preventDefault();
    event.stopPropagation();
    var input = form.querySelector("[data-scan-input]");
    if (input) { enqueueScan(input); } else { enqueueAction(form, event.submitter); }
  }, true);

  function noteTyped(event) {
    var el = event.target;
    if (!el.name || el.matches("[data-scan-input]") || el.type === "hidden") { return; }
    if (!el.closest("[data-scan-form]") && !el.closest(".page")) { return; }
    if (el.type === "checkbox" || el.type === "radio") {
      if (el.checked) { dirty[el.name] = el.value; } else { delete dirty[el.name]; }
    } else {
      dirty[el.name] = el.value;
    }
  }
  document.addEventListener("input", noteTyped, true);
  document.addEventListener("change", noteTyped, true);

  document.addEventListener("scan-ok", function () { beep(true); });
  document.addEventListener("scan-error", function () { beep(false); });

  window.addEventListener("online", function () {
    queue.forEach(function (item) { item.notBefore = 0; });
    clearTimeout(timer);
    pump();
  });

  function start() {
    openStore();
    var loaded = Promise.all([load(STORE_KEY), load(REFUSED_KEY)]);
    var late = new Promise(function (resolve) { setTimeout(function () { resolve(null); }, 3000); });
    Promise.race([loaded, late]).then(function (found) {
      if (found === null) {  // IndexedDB does not answer (blocked): go on with localStorage
        store = null;
        return Promise.all([load(STORE_KEY), load(REFUSED_KEY)]);
      }
      return found;
    }).then(function (found) {
      var kept = (found[0] || []).map(function (item) { item.restored = true; return item; });
      var legacy = [];
      try { legacy = JSON.parse(localStorage.getItem(LEGACY_KEY) || "[]"); } catch (e) { legacy = []; }
      legacy.forEach(function (old) {
        kept.push({ id: old.scanId, kind: "action", url: old.url, target: "", swap: "innerHTML", body: old.body,
                    fields: [], typed: {}, tries: 0, failures: 0, restored: true, at: Date.now() });
      });
      localStorage.removeItem(LEGACY_KEY);
      queue = kept.concat(queue);  // what was stored is older than anything scanned since the load
      refused = (found[1] || []).concat(refused);
      ready = true;
      save();
      pump();
    });
    var clear = document.querySelector("[data-scan-refused-clear]");
    if (clear) {
      clear.addEventListener("click", function () { refused = []; save(); focusScan(); });
    }
    showQueue();
    focusScan();
    setInterval(pump, config.pollMs);
    document.addEventListener("click", function () { setTimeout(focusScan, 50); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }

  window.WMS = window.WMS || {};
  window.WMS.beep = beep;
  window.WMS.scanQueue = {
    pending: function () { return queue.length; },
    refused: function () { return refused.slice(); },
    busy: function () { return busy; },
    ready: function () { return ready; },
    stored: function () { return load(STORE_KEY).then(function (items) { return (items || []).length; }); }
  };
})();
