// Manual order entry: after a scan is added to the lines, empty the scan box and keep the focus there,
// so the next scan (a scanner "types" the code and Enter) goes to the same place.
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "scan-form") { return; }
    var box = document.getElementById("scan");
    if (box) { box.value = ""; box.focus(); }
  });
})();
