// The dashboard's charts, drawn with the vendored Chart.js from the figures the page embeds.
(function () {
  "use strict";
  var COLORS = {running: "#417690", waiting: "#79aec8", suspended: "#b48ead", completed: "#5b9a5b",
                failed: "#ba2121", cancelled: "#999999"};
  var charts = {};
  window.daiCharts = charts;  // for tests and the curious: the Chart instances by canvas id

  function chart(id, config) {
    var canvas = document.getElementById(id);
    // Counts are whole numbers: no 0.2-run ticks.
    var scales = (config.options = config.options || {}).scales = config.options.scales || {};
    ["x", "y"].forEach(function (axis) {
      var scale = scales[axis] = scales[axis] || {};
      scale.ticks = Object.assign({precision: 0}, scale.ticks || {});
    });
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
  function oldest(rows) {
    var labels = rows.map(function (r) { return "#" + r.id + " " + r.name + " (" + r.current_step + ")"; });
    var longest = Math.max.apply(null, rows.map(function (r) { return r.waiting_seconds; }).concat([0]));
    var unit = longest >= 2 * 86400 ? ["days", 86400] : longest >= 7200 ? ["hours", 3600] : ["minutes", 60];
    var values = rows.map(function (r) { return Math.round(r.waiting_seconds / unit[1] * 10) / 10; });
    chart("chart-oldest", {type: "bar", data: {labels: labels, datasets: [
      {label: "waiting for (" + unit[0] + ")", backgroundColor: COLORS.suspended, data: values}]},
      options: {indexAxis: "y", scales: {x: {title: {display: true, text: "waiting for (" + unit[0] + ")"}}}}});
  }
  function start() {
    var source = document.getElementById("dai-dashboard-data");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    runsByWorkflow(data.runs_by_workflow);
    throughput(data.throughput);
    buckets("chart-late", data.timers.late, COLORS.failed);
    buckets("chart-upcoming", data.timers.upcoming, COLORS.waiting);
    oldest(data.oldest_waiting);
    document.body.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
