/* The coverage chart, planned against done (visits/coverage.html). */
(function () {
  "use strict";
  const node = document.getElementById("coverage-chart");
  if (!node || !window.Chart) return;
  const d = JSON.parse(document.getElementById("coverage-data").textContent);
  new Chart(node, {type: "bar", data: {labels: d.labels, datasets: [
      {label: node.dataset.labelPlanned, data: d.planned, backgroundColor: "#cbd5e1"},
      {label: node.dataset.labelDone, data: d.done, backgroundColor: "#16a34a"}]},
    options: {indexAxis: "y", maintainAspectRatio: false, responsive: true,
      plugins: {legend: {position: "bottom"}}, scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}});
})();
