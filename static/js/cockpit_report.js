// The monthly report's chart (order rate and 单条值 over 12 months) and its print button.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  const node = document.getElementById("report-data");
  const canvas = document.getElementById("report-chart");
  if (!node || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(node.textContent);
  const rate = (data.series.order_rate || []).map(function (v) { return v === null ? null : Math.round(v * 1000) / 10; });
  const price = (data.series.avg_price || []).map(function (v) { return v === null ? null : Math.round(v) / 100; });
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: canvas.dataset.rateLabel || "%", data: rate, borderColor: "#8c1d18", yAxisID: "y", tension: 0.25, spanGaps: true },
        { label: canvas.dataset.priceLabel || "¥", data: price, borderColor: "#2563eb", yAxisID: "y1", tension: 0.25, spanGaps: true },
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom" } },
      scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } } },
  });
})();
