// The put wall's own sounds, next to the scanner's ok/error beeps: the server names them in
// HX-Trigger after a sorted unit — `slot-complete` (an order's last unit is in its slot: a rising
// three-note chime) and `cart-empty` (nothing left on the cart to sort: two long low notes).
(function () {
  "use strict";
  var audio = null;
  var TUNES = {
    "slot-complete": [[1047, 0.12], [1319, 0.12], [1568, 0.28]],
    "cart-empty": [[523, 0.3], [392, 0.45]]
  };

  function play(name) {
    var notes = TUNES[name];
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var at = audio.currentTime + 0.1;  // after the scanner's own ok beep
      notes.forEach(function (note) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "triangle";
        osc.frequency.value = note[0];
        gain.gain.value = 0.2;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(at);
        osc.stop(at + note[1]);
        at += note[1] + 0.03;
      });
    } catch (e) { /* no audio device: the screen still shows it, big */ }
    if (navigator.vibrate) { navigator.vibrate(name === "slot-complete" ? [60, 40, 60, 40, 200] : [300]); }
    document.body.dataset.lastSignal = name;
  }

  Object.keys(TUNES).forEach(function (name) {
    document.body.addEventListener(name, function () { play(name); });
  });
  window.WMS = window.WMS || {};
  window.WMS.putWallSound = play;
})();
