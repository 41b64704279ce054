// The live board pages (wave board, pickers this shift, a wave's page): one Socket.IO connection,
// rendered fragments swapped in by the id they carry; a lost connection shows the banner, and after
// the reconnect the page asks for a full snapshot (board_snapshot) so nothing missed meanwhile stays
// stale. No inline script (CSP): the page says what it shows in data-board-* attributes.
(function () {
  "use strict";
  function start() {
    var root = document.querySelector("[data-board]");
    if (!root || typeof io === "undefined") { return; }
    var banner = document.querySelector("[data-board-offline]");
    var ask = root.dataset.boardWave ? { wave_id: Number(root.dataset.boardWave) }
      : { warehouse_id: Number(root.dataset.boardWarehouse), view: root.dataset.boardView || "board" };
    var socket = io({ transports: ["websocket", "polling"] });
    var state = { connected: false, connects: 0, snapshots: 0, updates: 0, socket: socket };
    window.WMS = window.WMS || {};
    window.WMS.board = state;

    function swap(msg) {
      if (!msg || !msg.target || typeof msg.html !== "string") { return; }
      var target = document.getElementById(msg.target);
      if (target) {
        target.outerHTML = msg.html;
      } else if (/^wave-\d+$/.test(msg.target)) {  // a wave released since the page loaded
        var rows = document.querySelector("[data-live-rows]");
        if (!rows) { return; }
        var empty = rows.querySelector("[data-empty]");
        if (empty) { empty.remove(); }
        rows.insertAdjacentHTML("beforeend", msg.html);
      } else {
        return;
      }
      state.updates += 1;
      if (window.htmx) { window.htmx.process(document.getElementById(msg.target)); }
    }
    function resync() {
      socket.emit("board_snapshot", ask, function (answer) {
        if (!answer || !answer.ok) { return; }
        answer.fragments.forEach(swap);
        state.snapshots += 1;
      });
    }
    socket.on("connect", function () {
      state.connected = true;
      state.connects += 1;
      if (banner) { banner.hidden = true; }
      document.body.classList.remove("offline");
      socket.emit(ask.wave_id ? "join_wave" : "join_warehouse", ask, function () {
        if (state.connects > 1) { resync(); }  // back after a loss: what did we miss?
      });
    });
    socket.on("disconnect", function () {
      state.connected = false;
      if (banner) { banner.hidden = false; }
      document.body.classList.add("offline");
    });
    ["wave_progress", "board_panels", "board_pickers", "wave_live"].forEach(function (name) {
      socket.on(name, swap);
    });
    var lowStockTimer = null;
    socket.on("low_stock", function () {  // the panel is re-read once, however many alerts come
      if (lowStockTimer || ask.wave_id) { return; }
      lowStockTimer = setTimeout(function () { lowStockTimer = null; resync(); }, 500);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
