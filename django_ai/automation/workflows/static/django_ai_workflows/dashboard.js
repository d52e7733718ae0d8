// The dashboard's charts, drawn with the vendored Chart.js from the figures the page embeds.
(function () {
  "use strict";
  var COLORS = {running: "#417690", waiting: "#79aec8", suspended: "#b48ead", completed: "#5b9a5b",
                failed: "#ba2121", cancelled: "#999999"};
  var charts = {};
  window.daiCharts = charts;  // for tests and the curious: the Chart instances by canvas id

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { charts[id] = new window.Chart(canvas, config); }
  }
  function runsByWorkflow(rows) {
    var names = Array.from(new Set(rows.map(function (r) { return r.name; }))).sort();
    var statuses = Object.keys(COLORS);
    var datasets = statuses.map(function (status) {
      return {label: status, backgroundColor: COLORS[status], data: names.map(function (name) {
        var row = rows.find(function (r) { return r.name === name && r.status === status; });
        return row ? row.count : 0;
      })};
    }).filter(function (set) { return set.data.some(function (v) { return v > 0; }); });
    chart("chart-runs", {type: "bar", data: {labels: names, datasets: datasets},
      options: {indexAxis: "y", scales: {x: {stacked: true}, y: {stacked: true}}}});
  }
  function throughput(rows) {
    var labels = rows.map(function (r) { return r.hour.slice(11, 16); });
    var rate = rows.map(function (r) {
      var total = r.completed + r.failed + r.cancelled;
      return total ? Math.round(1000 * r.failed / total) / 10 : 0;
    });
    chart("chart-throughput", {type: "bar", data: {labels: labels, datasets: [
      {label: "completed", backgroundColor: COLORS.completed, stack: "s", data: rows.map(function (r) { return r.completed; })},
      {label: "failed", backgroundColor: COLORS.failed, stack: "s", data: rows.map(function (r) { return r.failed; })},
      {label: "failure rate %", type: "line", borderColor: "#c27c0e", yAxisID: "rate", data: rate}]},
      options: {scales: {y: {stacked: true, title: {display: true, text: "steps"}},
        rate: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false}, title: {display: true, text: "%"}}}}});
  }
  function buckets(id, values, color) {
    chart(id, {type: "bar", data: {labels: Object.keys(values), datasets: [
      {label: "runs", backgroundColor: color, data: Object.values(values)}]},
      options: {plugins: {legend: {display: false}}}});
  }
  function oldest(rows, now) {
    var labels = rows.map(function (r) { return "#" + r.id + " " + r.name; });
    var hours = rows.map(function (r) { return Math.round((Date.parse(now) - Date.parse(r.created_at)) / 36e5 * 10) / 10; });
    chart("chart-oldest", {type: "bar", data: {labels: labels, datasets: [
      {label: "age (hours)", backgroundColor: COLORS.suspended, data: hours}]},
      options: {indexAxis: "y", plugins: {legend: {display: false}}}});
  }
  function start() {
    var source = document.getElementById("dai-dashboard-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    runsByWorkflow(data.runs_by_workflow);
    throughput(data.throughput);
    buckets("chart-late", data.timers.late, COLORS.failed);
    buckets("chart-upcoming", data.timers.upcoming, COLORS.waiting);
    oldest(data.oldest_waiting, data.now);
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
