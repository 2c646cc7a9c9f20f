// The cockpit's charts: a sparkline per KPI card and the trend of a chosen KPI with its target.
(function () {
  "use strict";
  const node = document.getElementById("cockpit-data");
  if (!node || typeof Chart === "undefined") return;
  const data = JSON.parse(node.textContent);
  const brand = "#8c1d18";

  document.querySelectorAll("canvas.kpi-spark").forEach(function (canvas) {
    const series = data.series[canvas.dataset.series];
    if (!series || series.values.every(function (v) { return v === null; })) return;
    new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: [{ data: series.values, borderColor: brand, borderWidth: 1.5, pointRadius: 0, tension: 0.3, spanGaps: true }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false } },
        events: [],
      },
    });
  });

  const trend = document.getElementById("trend-chart");
  const picker = document.getElementById("trend-kpi");
  if (!trend || !picker) return;
  let chart = null;
  function draw() {
    const code = picker.value;
    const series = data.series[code];
    const label = picker.options[picker.selectedIndex].text;
    const datasets = [{ label: label, data: series.values, borderColor: brand, backgroundColor: "rgba(140,29,24,.08)", fill: true, tension: 0.25, spanGaps: true }];
    if (series.target !== null) {
      datasets.push({ label: trend.dataset.targetLabel || "target", data: series.values.map(function () { return series.target; }), borderColor: "#16a34a", borderDash: [6, 4], pointRadius: 0, fill: false });
    }
    const allZero = series.values.every(function (v) { return !v; });
    if (chart) chart.destroy();
    chart = new Chart(trend, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } }, scales: { y: { beginAtZero: allZero } } },
    });
  }
  picker.addEventListener("change", draw);
  draw();

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
