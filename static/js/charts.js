// Report charts: every <div data-chart="ID"> is drawn with ECharts from the JSON in
// <script type="application/json" id="ID"> (the CSP allows no inline script, data is fine).
// The spec is plain data: {kind: "bar"|"line", categories: [...], series: [{name, data}], stacked}.
(function () {
  "use strict";
  function option(spec) {
    return {
      tooltip: { trigger: "axis" },
      legend: { show: spec.series.length > 1, top: 0 },
      grid: { left: 48, right: 16, top: spec.series.length > 1 ? 32 : 16, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisLabel: { hideOverlap: true, rotate: spec.categories.length > 12 ? 45 : 0 } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data,
                 stack: spec.stacked ? "total" : undefined, smooth: false, showSymbol: spec.categories.length <= 62 };
      })
    };
  }
  function draw() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var spec;
      try { spec = JSON.parse(source.textContent); } catch (e) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      el.setAttribute("data-chart-drawn", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
