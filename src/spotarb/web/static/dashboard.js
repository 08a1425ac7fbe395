/* spotarb dashboard: draws the charts from the JSON each page embeds (Chart.js, shipped
   with the package) and moves focus to form errors. No network calls, no globals besides
   `spotarbCharts` (the drawn charts, by canvas id, for tests and the console). */
(function () {
  "use strict";

  var CLOUD = { aws: "#d97706", azure: "#0a66c2", gcp: "#16a34a" };
  var ZONE = ["#0a66c2", "#d97706", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#c026d3"];

  function money(v) {
    if (v === null || v === undefined) return "–";
    return "$" + Number(v).toFixed(4);
  }

  function stamp(ms) {
    var d = new Date(ms);
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function tick(ms, spanMs) {
    var iso = new Date(ms).toISOString();
    return spanMs <= 2 * 86400000 ? iso.slice(5, 16).replace("T", " ") : iso.slice(5, 10);
  }

  function historyConfig(data) {
    var span = data.until - data.since;
    var datasets = data.series.map(function (s, i) {
      var points = s.points.map(function (p) { return { x: p[0], y: p[1] }; });
      if (s.carriedIn !== null && (!points.length || points[0].x > data.since)) {
        points.unshift({ x: data.since, y: s.carriedIn, edge: true });
      }
      if (s.latest !== null) points.push({ x: data.until, y: s.latest, edge: true });
      return {
        label: s.label,
        data: points,
        observed: s.points.length,
        stepped: "before",
        borderColor: ZONE[i % ZONE.length],
        backgroundColor: ZONE[i % ZONE.length],
        borderWidth: 2,
        pointRadius: points.map(function (p) { return p.edge ? 0 : 3; }),
        pointHoverRadius: points.map(function (p) { return p.edge ? 0 : 5; }),
        pointHitRadius: points.map(function (p) { return p.edge ? 0 : 6; })
      };
    });
    if (data.onDemand) {
      datasets.push({
        label: "on-demand",
        data: [{ x: data.since, y: data.onDemand }, { x: data.until, y: data.onDemand }],
        reference: true,
        borderColor: "#6b7280",
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHitRadius: 0
      });
    }
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: {
            type: "linear",
            min: data.since,
            max: data.until,
            ticks: { maxTicksLimit: 8, callback: function (v) { return tick(v, span); } }
          },
          y: { title: { display: true, text: "USD per hour" }, ticks: { callback: money } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            filter: function (item) { return !item.dataset.reference; },
            callbacks: {
              title: function (items) { return items.length ? stamp(items[0].raw.x) : ""; },
              label: function (item) {
                var note = "";
                if (item.raw.edge) note = item.raw.x >= data.until ? " (current)" : " (at range start)";
                return item.dataset.label + ": " + money(item.raw.y) + "/h" + note;
              }
            }
          }
        }
      }
    };
  }

  function compareConfig(data) {
    var labels = data.bars.map(function (b) { return b.provider + " " + b.region; });
    var datasets = data.providers.map(function (p) {
      return {
        label: p,
        data: data.bars.map(function (b) { return b.provider === p ? b.value : null; }),
        bars: data.bars,
        backgroundColor: CLOUD[p] || "#6b7280",
        grouped: false,
        barPercentage: 0.85,
        categoryPercentage: 1
      };
    });
    return {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: data.metric }, ticks: { maxTicksLimit: 6, callback: money } },
          y: { ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var b = data.bars[item.dataIndex];
                return money(b.value) + " " + data.metric.slice(1) + " · " + b.instanceType +
                  (b.zone ? " (" + b.zone + ")" : "") + " · " + money(b.pricePerHour) + "/h";
              }
            }
          }
        }
      }
    };
  }

  function fleetConfig(data) {
    var labels = data.bars.map(function (b) { return b.label; });
    var datasets = data.providers.map(function (p) {
      return {
        label: p,
        data: data.bars.map(function (b) { return b.provider === p ? b.value : null; }),
        backgroundColor: CLOUD[p] || "#6b7280",
        grouped: false,
        barPercentage: 0.85,
        categoryPercentage: 1
      };
    });
    return {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: "instances" }, beginAtZero: true, ticks: { precision: 0 } },
          y: { ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var b = data.bars[item.dataIndex];
                return b.value + " × " + money(b.pricePerHour) + "/h (" + b.provider + ")";
              }
            }
          }
        }
      }
    };
  }

  function draw() {
    window.spotarbCharts = {};
    var canvases = document.querySelectorAll("canvas[data-chart]");
    if (!canvases.length) return;
    if (typeof window.Chart === "undefined") {
      console.warn("Chart.js did not load; the data tables below show the values.");
      return;
    }
    Array.prototype.forEach.call(canvases, function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var box = canvas.parentElement;
      if (box && box.hasAttribute("data-bars")) {
        box.style.height = Math.max(160, 28 * Number(box.getAttribute("data-bars")) + 90) + "px";
      }
      var config = data.kind === "history" ? historyConfig(data)
        : data.kind === "fleet" ? fleetConfig(data) : compareConfig(data);
      window.spotarbCharts[canvas.id] = new window.Chart(canvas, config);
    });
  }

  function focusErrors() {
    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); return; }
    var result = document.getElementById("result");
    if (result) result.scrollIntoView({ block: "start" });
  }

  /* History picker: when the cloud changes, suggest that cloud's regions. */
  function regionSuggestions() {
    var source = document.getElementById("regions-data");
    var cloud = document.getElementById("h-provider");
    var list = document.getElementById("h-regions");
    if (!source || !cloud || !list) return;
    var byCloud = JSON.parse(source.textContent);
    cloud.addEventListener("change", function () {
      var names = byCloud[cloud.value] || [].concat.apply([], Object.keys(byCloud).map(function (k) { return byCloud[k]; }));
      list.replaceChildren.apply(list, names.map(function (name) {
        var option = document.createElement("option");
        option.value = name;
        return option;
      }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    regionSuggestions();
    focusErrors();
  });
})();
