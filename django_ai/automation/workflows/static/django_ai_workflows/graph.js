// Draws every .dai-graph box from the Graphviz source in its json_script, with the vendored
// viz.js (Graphviz compiled to WebAssembly). Marks the box data-rendered="1" when done.
(function () {
  "use strict";
  function draw(viz, box) {
    var source = document.getElementById(box.dataset.graphSource);
    if (!source) { return; }
    try {
      var svg = viz.renderSVGElement(JSON.parse(source.textContent));
      svg.setAttribute("class", "dai-graph-svg");
      box.replaceChildren(svg);
      box.dataset.rendered = "1";
    } catch (error) {
      box.textContent = "The graph could not be drawn: " + error;
      box.dataset.rendered = "error";
    }
  }
  function start() {
    var boxes = document.querySelectorAll(".dai-graph[data-graph-source]");
    if (!boxes.length || !window.Viz) { return; }
    window.Viz.instance().then(function (viz) { boxes.forEach(function (box) { draw(viz, box); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
