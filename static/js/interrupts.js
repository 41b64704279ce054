// Live interrupts on the handheld: the office intercepted or cancelled an order on this picker's cart,
// or gave the cart to someone else. The server sends `handheld_interrupt` to this user's own room
// (user:<id>, joined from the login session on connect) after the change commits; this shows a
// banner that stays until dismissed and plays an alarm unlike the scan sounds. The next scan of the
// stopped order is refused by the server, which says what to do; nothing here decides anything.
(function () {
  "use strict";
  var audio = null;

  function alarm() {
    // Three rising tones, twice: distinct from the scan's single beep (ok) and low buzz (error).
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var start = audio.currentTime;
      [660, 880, 1175, 660, 880, 1175].forEach(function (freq, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "triangle";
        osc.frequency.value = freq;
        gain.gain.value = 0.2;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start + i * 0.16);
        osc.stop(start + i * 0.16 + 0.13);
      });
    } catch (e) { /* no audio device: the banner still shows */ }
    if (navigator.vibrate) { navigator.vibrate([300, 100, 300, 100, 300]); }
  }

  function language() {
    return (document.documentElement.lang || "en").slice(0, 2);
  }

  function show(msg) {
    var box = document.querySelector("[data-interrupts]");
    if (!box || !msg) { return; }
    var texts = msg.messages || {};
    var banner = document.createElement("div");
    banner.className = "hh-interrupt";
    banner.setAttribute("role", "alert");
    banner.dataset.interrupt = msg.kind || "";
    banner.dataset.code = msg.code || "";
    if (msg.order) { banner.dataset.order = msg.order; }
    var text = document.createElement("p");
    text.textContent = texts[language()] || texts.en || "";  // text only: no HTML from the wire
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = box.dataset.dismiss || "OK";
    close.addEventListener("click", function () { banner.remove(); });
    banner.appendChild(text);
    banner.appendChild(close);
    box.insertBefore(banner, box.firstChild);
    document.body.dataset.lastInterrupt = msg.code || "";
    alarm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-interrupts]") || typeof io === "undefined") { return; }
    window.WMS = window.WMS || {};
    var socket = window.WMS.socket;
    if (!socket) {
      socket = io({ transports: ["websocket", "polling"] });
      window.WMS.socket = socket;
    }
    socket.on("connect", function () { document.body.dataset.interruptsLive = "yes"; });
    if (socket.connected) { document.body.dataset.interruptsLive = "yes"; }
    socket.on("disconnect", function () { document.body.dataset.interruptsLive = "no"; });
    socket.on("handheld_interrupt", show);
  });
})();
