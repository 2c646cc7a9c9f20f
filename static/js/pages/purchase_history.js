/* The purchase-history chart of the portrait's panel (includes/purchase_history.html, swapped in by htmx, which
   runs this file each time the panel arrives). */
(function () {
  "use strict";
  const node = document.getElementById("purchase-data");
  const canvas = document.getElementById("purchase-chart");
  if (!window.Chart || !canvas || !node) return;
  const data = JSON.parse(node.textContent);
  new Chart(canvas, {
    data: {
      labels: data.map(d => d.week.slice(5)),
      datasets: [
        {type: "bar", label: canvas.dataset.labelCartons, data: data.map(d => d.cartons), backgroundColor: "rgba(163,58,43,.75)", yAxisID: "y"},
        {type: "line", label: canvas.dataset.labelAmount, data: data.map(d => d.amount_yuan), borderColor: "#1d4ed8", pointRadius: 0, tension: .3, yAxisID: "y1"}
      ]
    },
    options: {maintainAspectRatio: false, animation: false, interaction: {mode: "index", intersect: false},
      plugins: {legend: {labels: {boxWidth: 10, font: {size: 11}}}},
      scales: {x: {ticks: {maxTicksLimit: 8, font: {size: 10}}}, y: {beginAtZero: true, ticks: {font: {size: 10}}},
               y1: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}, ticks: {font: {size: 10}}}}}
  });
})();
