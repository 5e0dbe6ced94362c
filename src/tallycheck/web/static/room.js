// The recount room's only script. Pages carry no inline script (CSP script-src 'self'): a chart's figure travels
// as JSON in <script type="application/json" class="chart-data" id="X">, which a browser never executes; this file
// draws each one with Plotly into the element with id "X-chart" (or data-target), made before the block if absent.
// plotly.min.js (3.5 MB) is loaded only on pages that have a chart.
(function () {
  "use strict";

  function target(block) {
    var id = block.getAttribute("data-target") || (block.id + "-chart");
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.className = "chart";
      block.parentNode.insertBefore(el, block);
    }
    return el;
  }

  function draw(blocks) {
    var rtl = document.documentElement.dir === "rtl";
    blocks.forEach(function (block) {
      var figure;
      try {
        figure = JSON.parse(block.textContent);
      } catch (e) {
        target(block).textContent = "chart data unreadable: " + e.message;
        return;
      }
      var layout = figure.layout || {};
      if (rtl && layout.legend === undefined) {
        layout.legend = {x: 0, xanchor: "left"};
      }
      var config = Object.assign({responsive: true, displaylogo: false}, figure.config || {});
      window.Plotly.newPlot(target(block), figure.data || [], layout, config);
    });
  }

  function start() {
    var blocks = Array.prototype.slice.call(
      document.querySelectorAll('script[type="application/json"].chart-data'));
    if (!blocks.length) {
      return;
    }
    if (window.Plotly) {
      draw(blocks);
      return;
    }
    var s = document.createElement("script");
    s.src = "/static/plotly.min.js";
    s.onload = function () { draw(blocks); };
    document.head.appendChild(s);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
