// Doum analytics charts: hover highlight with a tooltip box, series toggling from the
// legend, keyboard focus on marks, and the print button. The charts themselves are SVG drawn
// by the server (doum/metrics/charts.py); clicking a mark follows its link to the drill-down.
(function () {
  "use strict";

  function tooltipFor(figure) {
    var box = figure.querySelector(".chart-tooltip");
    if (!box) {
      box = document.createElement("div");
      box.className = "chart-tooltip";
      box.setAttribute("role", "status");
      box.hidden = true;
      figure.appendChild(box);
    }
    return box;
  }

  function show(figure, mark) {
    var svg = mark.ownerSVGElement;
    var box = tooltipFor(figure);
    box.textContent = mark.getAttribute("data-tip") || "";
    box.hidden = false;
    var f = figure.getBoundingClientRect();
    var m = mark.getBoundingClientRect();
    // CSSOM properties (not a style attribute), allowed by the page's CSP.
    box.style.left = Math.max(0, m.left - f.left + m.width / 2 - box.offsetWidth / 2) + "px";
    box.style.top = Math.max(0, m.top - f.top - box.offsetHeight - 8) + "px";
    if (svg) svg.classList.add("is-hovering");
    figure.querySelectorAll(".mark.is-active").forEach(function (other) {
      other.classList.remove("is-active");
    });
    mark.classList.add("is-active");
  }

  function hide(figure) {
    var box = figure.querySelector(".chart-tooltip");
    if (box) box.hidden = true;
    var svg = figure.querySelector("svg.chart-svg");
    if (svg) svg.classList.remove("is-hovering");
    figure.querySelectorAll(".mark.is-active").forEach(function (mark) {
      mark.classList.remove("is-active");
    });
  }

  function markOf(target) {
    if (!target || !target.closest) return null;
    var link = target.closest(".mark-link");
    if (link) return link.querySelector(".mark");
    return target.closest(".mark");
  }

  function setUp(figure) {
    figure.addEventListener("mouseover", function (event) {
      var mark = markOf(event.target);
      if (mark) show(figure, mark);
    });
    figure.addEventListener("mouseleave", function () { hide(figure); });
    figure.addEventListener("focusin", function (event) {
      var mark = markOf(event.target);
      if (mark) show(figure, mark);
    });
    figure.addEventListener("focusout", function () { hide(figure); });
    figure.querySelectorAll("[data-toggle-series]").forEach(function (button) {
      button.addEventListener("click", function () {
        var key = button.getAttribute("data-toggle-series");
        var visible = button.getAttribute("aria-pressed") !== "false";
        button.setAttribute("aria-pressed", visible ? "false" : "true");
        figure.querySelectorAll("g.series").forEach(function (group) {
          if (group.getAttribute("data-series") === key) {
            group.classList.toggle("is-hidden", visible);
          }
        });
      });
    });
  }

  function start() {
    document.querySelectorAll("figure.chart").forEach(setUp);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var period = document.getElementById("f-period");
    var from = document.getElementById("f-from");
    var to = document.getElementById("f-to");
    // Typing a date chooses the custom period; choosing a preset clears the dates.
    [from, to].forEach(function (input) {
      if (input && period) input.addEventListener("change", function () { period.value = "custom"; });
    });
    if (period) {
      period.addEventListener("change", function () {
        if (period.value !== "custom") {
          if (from) from.value = "";
          if (to) to.value = "";
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
