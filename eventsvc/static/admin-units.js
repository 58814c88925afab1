// The unit tree page: filter as you type (keeping each hit's ancestors) and expand/collapse all.
// The page works without it: <details> collapse natively and the search form filters on the server.
(function () {
  "use strict";
  var input = document.querySelector("[data-unit-filter]");
  var units = Array.prototype.slice.call(document.querySelectorAll(".unit-tree li.unit"));

  function filter() {
    var query = input.value.trim();
    // Children come after their parent in document order: walk backwards so a parent sees its children's result.
    for (var i = units.length - 1; i >= 0; i--) {
      var li = units[i];
      var hit = !query || li.getAttribute("data-search").indexOf(query) !== -1;
      var childHit = li.querySelector(":scope > details > ul > li.unit:not([hidden])") !== null;
      li.hidden = !(hit || childHit);
      var details = li.querySelector(":scope > details");
      if (query && childHit && details) {
        details.open = true;
      }
    }
  }

  if (input) {
    input.addEventListener("input", filter);
  }
  document.querySelectorAll("[data-unit-toggle]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-unit-toggle") === "open";
      document.querySelectorAll(".unit-tree details").forEach(function (d) { d.open = open; });
    });
  });
})();
