/* The explorer's charts (segmentation/explorer.html): data from #explorer-data, labels from the canvases. */
(function () {
  "use strict";
  const node = document.getElementById("explorer-data");
  if (!node || !window.Chart) return;
  const f = JSON.parse(node.textContent);
  const words = document.getElementById("chart-value").dataset;
  const red = "rgba(163,58,43,.8)", blue = "rgba(29,78,216,.8)";
  const small = {font: {size: 11}};
  const base = {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
                scales: {x: {ticks: small}, y: {beginAtZero: true, ticks: small}}};
  const bar = (id, rows, color) => new Chart(document.getElementById(id), {type: "bar",
    data: {labels: rows.map(r => r.label), datasets: [{label: words.labelCount, data: rows.map(r => r.count), backgroundColor: color}]},
    options: base});
  bar("chart-lifecycle", f.lifecycle, ["#0f766e", "#16a34a", "#d97706", "#b91c1c", "#7c3aed"]);
  bar("chart-rfm", f.rfm_segment, red);
  bar("chart-tiers", f.tiers, red);
  new Chart(document.getElementById("chart-value"), {type: "bar",
    data: {labels: f.value_class.map(r => r.label), datasets: [
      {label: words.labelCount, data: f.value_class.map(r => r.count), backgroundColor: red, yAxisID: "y"},
      {label: words.labelAmount, data: f.value_class.map(r => r.yuan), backgroundColor: blue, yAxisID: "y1"}]},
    options: {...base, plugins: {legend: {display: true, labels: {boxWidth: 10, ...small}},
        tooltip: {callbacks: {label: c => c.dataset.label + ": " + (c.dataset.yAxisID === "y1" ? window.crmMoney(c.parsed.y) : c.formattedValue)}}},
      scales: {x: {ticks: small}, y: {beginAtZero: true, ticks: small},
               y1: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}, ticks: {...small, callback: v => window.crmMoney(v)}}}}});
  const pareto = document.getElementById("chart-pareto");
  new Chart(pareto, {type: "line",
    data: {datasets: [
      {label: pareto.dataset.labelCumulative, data: f.pareto.map(p => ({x: p.retailers, y: p.amount})), borderColor: red, pointRadius: 2},
      {label: pareto.dataset.labelUniform, data: [{x: 0, y: 0}, {x: 100, y: 100}], borderColor: "#94a3b8", borderDash: [4, 4], pointRadius: 0}]},
    options: {...base, plugins: {legend: {display: true, labels: {boxWidth: 10, ...small}}},
      scales: {x: {type: "linear", min: 0, max: 100, ticks: {...small, callback: v => v + "%"}},
               y: {min: 0, max: 100, ticks: {...small, callback: v => v + "%"}}}}});
})();
