/* Draws the statistics page's charts with ECharts (vendored, same origin) from each
   element's data-chart attribute: {kind, title, categories, series: [{name, data}], percent}.
   The numbers are also in the table beside each chart: without this script, or without
   ECharts, the page loses nothing but the pictures. */
(function () {
  "use strict";

  var COLOURS = ["#a4161a", "#0b57a4", "#1a7f37", "#9a6700", "#6639ba", "#57606a"];

  function axisLabel(spec) {
    return spec.percent ? { formatter: "{value}%" } : {};
  }

  function valueText(spec) {
    return function (value) {
      if (value === null || value === undefined) { return "—"; }
      return spec.percent ? value + "%" : String(value);
    };
  }

  function pieOption(spec) {
    var series = spec.series[0] || { name: "", data: [] };
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        name: series.name,
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        data: spec.categories.map(function (name, i) { return { name: name, value: series.data[i] }; })
      }]
    };
  }

  function axisOption(spec) {
    var kind = spec.kind === "line" ? "line" : "bar";
    return {
      tooltip: { trigger: "axis", valueFormatter: valueText(spec) },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: spec.percent
        ? { type: "value", min: 0, max: 100, axisLabel: axisLabel(spec) }
        : { type: "value", minInterval: 1 },
      series: spec.series.map(function (s) {
        return {
          name: s.name,
          type: kind,
          stack: spec.kind === "stacked" ? "total" : undefined,
          connectNulls: true,
          data: s.data
        };
      })
    };
  }

  function draw(element) {
    var spec;
    try {
      spec = JSON.parse(element.getAttribute("data-chart"));
    } catch (e) {
      return null;
    }
    var option = spec.kind === "pie" ? pieOption(spec) : axisOption(spec);
    option.color = COLOURS;
    option.aria = { enabled: true, label: { description: element.getAttribute("aria-label") } };
    element.classList.add("drawn");  // shown first: ECharts measures the element
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    return chart;
  }

  function start() {
    if (!window.echarts) { return; }  // not vendored: the tables carry the numbers
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = draw(element);
      if (chart) { charts.push(chart); }
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
