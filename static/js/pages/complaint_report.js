/* The complaint report's stacked bars (feedback/complaint_report.html). */
(function () {
  "use strict";
  const node = document.getElementById("report-data");
  if (!node || !window.Chart) return;
  const d = JSON.parse(node.textContent);
  const colours = ["#a33a2b", "#1d4ed8", "#0f766e", "#d97706", "#7c3aed", "#db2777", "#475569", "#16a34a"];
  const small = {font: {size: 11}};
  const stacked = (id, series) => new Chart(document.getElementById(id), {type: "bar",
    data: {labels: d.months, datasets: Object.entries(series).map(([name, counts], i) => ({label: name, data: counts, backgroundColor: colours[i % colours.length], maxBarThickness: 56}))},
    options: {maintainAspectRatio: false, animation: false,
      plugins: {legend: {position: "bottom", labels: {boxWidth: 10, ...small}}},
      scales: {x: {stacked: true, ticks: small}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0, ...small}}}}});
  stacked("chart-category", d.by_category);
  stacked("chart-unit", d.by_unit);
})();
