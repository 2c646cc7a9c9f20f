/* The area scores chart of a survey (feedback/survey_detail.html). */
(function () {
  "use strict";
  const node = document.getElementById("areas-data");
  if (!node || !window.Chart) return;
  const canvas = document.getElementById("chart-areas");
  const rows = JSON.parse(node.textContent);
  new Chart(canvas, {type: "bar",
    data: {labels: rows.map(r => r.name), datasets: [{label: canvas.dataset.labelScore, data: rows.map(r => r.score === null ? null : Math.round(r.score * 10) / 10), backgroundColor: "rgba(163,58,43,.8)"}]},
    options: {indexAxis: "y", maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}},
      scales: {x: {min: 0, max: 100, ticks: {font: {size: 11}}}, y: {ticks: {font: {size: 11}}}}}});
})();
