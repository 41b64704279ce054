// Camera scanning: a fallback for a device without a barcode scanner, off unless switched on for this
// device (localStorage "wms.camera" = "on", the checkbox on the handheld home). Where the browser has
// BarcodeDetector, a camera button appears by each scan field; a code read from the camera is typed
// into the field and "Enter" pressed, exactly as a keyboard-wedge scanner does, so the scan takes the
// same path (scanner.js: scan id, queue, sounds). This file never talks to the server itself.
(function () {
  "use strict";
  var KEY = "wms.camera";
  // static/icons/camera.svg, inlined (a constant, never user data)
  var CAMERA_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="28" height="28" fill="none" ' +
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">' +
    '<path d="M3 8h4l2-3h6l2 3h4v12H3z"/><circle cx="12" cy="13" r="4"/></svg>';
  var FORMATS = ["code_128", "code_39", "ean_13", "ean_8", "upc_a", "upc_e", "qr_code", "data_matrix", "itf"];

  function enabled() {
    try { return window.localStorage.getItem(KEY) === "on"; } catch (e) { return false; }
  }
  function supported() { return "BarcodeDetector" in window && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia); }

  function key(input, type, k) {
    var init = { key: k, code: k === "Enter" ? "Enter" : undefined, bubbles: true, cancelable: true };
    if (k === "Enter") { init.keyCode = 13; init.which = 13; }
    return input.dispatchEvent(new KeyboardEvent(type, init));
  }

  // Type the code as a wedge does: a key event per character, the input event, then Enter. Synthetic
  // key events do not submit a form by themselves: when no listener took the Enter, submit the form.
  function feed(input, code) {
    input.focus();
    for (var i = 0; i < code.length; i++) {
      key(input, "keydown", code[i]);
      input.value += code[i];
      input.dispatchEvent(new Event("input", { bubbles: true }));
      key(input, "keyup", code[i]);
    }
    var untouched = key(input, "keydown", "Enter");
    key(input, "keyup", "Enter");
    var form = input.form;
    if (untouched && form && input.value === code) {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  }

  function closeViewer(viewer) {
    var video = viewer.querySelector("video");
    if (video && video.srcObject) { video.srcObject.getTracks().forEach(function (t) { t.stop(); }); }
    viewer.remove();
  }

  function open(input) {
    var detector;
    try { detector = new window.BarcodeDetector({ formats: FORMATS }); } catch (e) { detector = new window.BarcodeDetector(); }
    var viewer = document.createElement("div");
    viewer.className = "hh-camera-viewer";
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "hh-camera-close";
    close.textContent = "×";
    close.setAttribute("aria-label", input.getAttribute("data-camera-close") || "Close");
    close.addEventListener("click", function () { closeViewer(viewer); input.focus(); });
    viewer.appendChild(video);
    viewer.appendChild(close);
    document.body.appendChild(viewer);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () {
      var last = "";
      (function look() {
        if (!viewer.isConnected) { return; }
        detector.detect(video).then(function (found) {
          var code = found.length ? found[0].rawValue : "";
          if (code && code !== last) {
            last = code;
            closeViewer(viewer);
            feed(input, code);
            return;
          }
          setTimeout(look, 150);
        }).catch(function () { setTimeout(look, 300); });
      })();
    }).catch(function () { closeViewer(viewer); input.focus(); });
  }

  function addButtons() {
    if (!enabled() || !supported()) { return; }
    document.querySelectorAll("[data-scan-input]").forEach(function (input) {
      if (input.dataset.cameraReady) { return; }
      input.dataset.cameraReady = "1";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "hh-camera-button";
      button.setAttribute("aria-label", input.getAttribute("data-camera-label") || "Camera");
      button.innerHTML = CAMERA_ICON;
      button.addEventListener("click", function () { open(input); });
      input.insertAdjacentElement("afterend", button);
    });
  }

  function setting() {
    var box = document.querySelector("[data-camera-setting]");
    if (!box) { return; }
    box.checked = enabled();
    if (!supported()) {
      var note = document.querySelector("[data-camera-unsupported]");
      if (note) { note.hidden = false; }
    }
    box.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, box.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  window.wmsCamera = { feed: feed, enabled: enabled, supported: supported };
  document.addEventListener("DOMContentLoaded", function () { setting(); addButtons(); });
  document.addEventListener("htmx:afterSettle", addButtons);
})();
