/* The satisfaction report's trends (feedback/survey_report.html). */
(function () {
  "use strict";
  const node = document.getElementById("report-data");
  if (!node || !window.Chart) return;
  const f = JSON.parse(node.textContent);
  const trend = document.getElementById("chart-trend");
  const small = {font: {size: 11}};
  const round = v => v === null ? null : Math.round(v * 10) / 10;
  new Chart(trend, {type: "line",
    data: {labels: f.total.map(r => r.period), datasets: [
      {label: trend.dataset.labelIndex, data: f.total.map(r => round(r.index)), borderColor: "rgba(163,58,43,.9)", backgroundColor: "rgba(163,58,43,.9)", yAxisID: "y"},
      {label: "NPS", data: f.total.map(r => round(r.nps)), borderColor: "rgba(29,78,216,.9)", backgroundColor: "rgba(29,78,216,.9)", yAxisID: "y1"}]},
    options: {maintainAspectRatio: false, animation: false, plugins: {legend: {labels: {boxWidth: 10, ...small}}},
      scales: {x: {offset: true, ticks: small}, y: {min: 0, max: 100, ticks: small}, y1: {position: "right", min: -100, max: 100, grid: {drawOnChartArea: false}, ticks: small}}}});
  const periods = [...new Set(f.areas.map(r => r.period))].sort();
  const names = [...new Set(f.areas.map(r => r.area))];
  const palette = ["#a33a2b", "#1d4ed8", "#0f766e", "#d97706", "#7c3aed", "#be185d", "#475569", "#65a30d"];
  new Chart(document.getElementById("chart-area-trend"), {type: periods.length > 1 ? "line" : "bar",
    data: {labels: periods, datasets: names.map((name, i) => ({label: name, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
      data: periods.map(p => { const r = f.areas.find(x => x.period === p && x.area === name); return r ? round(r.score) : null; })}))},
    options: {maintainAspectRatio: false, animation: false, plugins: {legend: {labels: {boxWidth: 10, ...small}}},
      scales: {x: {offset: true, ticks: small}, y: {min: 0, max: 100, ticks: small}}}});
})();
