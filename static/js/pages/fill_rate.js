/* The fill-rate chart (sales/fill_rate.html): data from #fill-data, the tier suffix from the canvas. */
(function () {
  "use strict";
  const node = document.getElementById("fill-data");
  if (!node || !window.Chart) return;
  const canvas = document.getElementById("chart-fill");
  const data = JSON.parse(node.textContent);
  const colors = ["#a33a2b", "#1d4ed8", "#0f766e", "#d97706", "#7c3aed", "#475569"];
  const tiers = [...new Set(Object.values(data).flat().map(r => r.tier))].sort((a, b) => a - b);
  const datasets = Object.entries(data).map(([name, rows], i) => ({
    label: name, backgroundColor: colors[i % colors.length],
    data: tiers.map(t => { const r = rows.find(x => x.tier === t); return r ? r.rate : null; })}));
  const small = {font: {size: 11}};
  new Chart(canvas, {type: "bar", data: {labels: tiers.map(t => t + canvas.dataset.tierSuffix), datasets},
    options: {maintainAspectRatio: false, animation: false, plugins: {legend: {labels: {boxWidth: 10, ...small}}},
      scales: {x: {ticks: small}, y: {beginAtZero: true, suggestedMax: 100, ticks: {...small, callback: v => v + "%"}}}}});
})();
