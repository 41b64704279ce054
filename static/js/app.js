// Shared page behaviour: CSRF header on every htmx request, and the live Socket.IO connection.
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    // Every unsafe htmx request carries the token in a header (Flask-WTF reads X-CSRFToken).
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var redirect = event.detail.xhr.getResponseHeader("HX-Redirect");
    if (redirect) { window.location.href = redirect; }
  });

  // The grouped navigation opens without JS (<details>); with it, one group is open at a time and a
  // click elsewhere or Escape closes it (focus goes back to the group's summary).
  function navGroups() { return document.querySelectorAll("details.navgroup[open]"); }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches("details.navgroup") || !opened.open) { return; }
    navGroups().forEach(function (other) { if (other !== opened) { other.open = false; } });
  }, true);
  document.addEventListener("click", function (event) {
    navGroups().forEach(function (group) { if (!group.contains(event.target)) { group.open = false; } });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    navGroups().forEach(function (group) { group.open = false; group.querySelector("summary").focus(); });
  });

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* optional */ });
  }

  // Pages that want live updates mark an element with data-live-warehouse="<id>"; the server sends
  // rendered fragments with the id of the element they replace (out-of-band swap by htmx).
  window.WMS = window.WMS || {};
  document.addEventListener("DOMContentLoaded", function () {
    var live = document.querySelector("[data-live-warehouse]");
    if (!live || typeof io === "undefined") { return; }
    var socket = io({ transports: ["websocket", "polling"] });
    window.WMS.socket = socket;
    socket.on("connect", function () {
      socket.emit("join_warehouse", { warehouse_id: Number(live.dataset.liveWarehouse) });
      document.body.classList.remove("offline");
    });
    socket.on("disconnect", function () { document.body.classList.add("offline"); });
    function swap(msg) {
      if (!msg || !msg.target || !msg.html) { return; }
      var target = document.getElementById(msg.target);
      if (target) {
        target.outerHTML = msg.html;
      } else {
        var rows = document.querySelector("[data-live-rows]");
        if (!rows) { return; }
        var empty = rows.querySelector("[data-empty]");
        if (empty) { empty.remove(); }
        rows.insertAdjacentHTML("beforeend", msg.html);
      }
      if (window.htmx) { window.htmx.process(document.getElementById(msg.target)); }
    }
    socket.on("fragment", swap);
    socket.on("low_stock", function (alert) {
      // Text only (no HTML from the wire): "<sku>: <available> available, reorder point <min>".
      var feed = document.querySelector("[data-low-stock-feed]");
      if (!feed) { return; }
      var empty = feed.querySelector("[data-empty]");
      if (empty) { empty.remove(); }
      var item = document.createElement("li");
      item.textContent = feed.dataset.template.replace("{sku}", alert.sku_code)
        .replace("{available}", alert.available).replace("{min}", alert.min_quantity);
      feed.insertBefore(item, feed.firstChild);
    });
    socket.on("wave_progress", swap);
  });
})();
