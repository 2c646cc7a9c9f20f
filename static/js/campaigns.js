/* Outreach pages: the delivery and conversion charts (Chart.js, served locally), redrawn after an htmx refresh. */
(function () {
  "use strict";
  var charts = {};
  var colours = ["#0dcaf0", "#198754", "#dc3545", "#6c757d", "#212529"];

  function draw(canvas) {
    if (!canvas || !window.Chart) { return; }
    var data;
    try { data = JSON.parse(canvas.getAttribute("data-chart") || "null"); } catch (e) { data = null; }
    if (!data) { return; }
    if (charts[canvas.id]) { charts[canvas.id].destroy(); }
    var percent = data.unit === "%";
    charts[canvas.id] = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          data: data.values,
          backgroundColor: percent ? ["#8c1d18", "#9ca3af"] : colours,
          borderRadius: 4,
          maxBarThickness: 56
        }]
      },
      options: {
        indexAxis: percent ? "x" : "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (ctx) { return ctx.raw + (percent ? "%" : ""); } } }
        },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0, callback: function (v) { return percent ? v + "%" : this.getLabelForValue(v); } } }
        }
      }
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.body.addEventListener("htmx:afterSwap", drawAll);
})();
