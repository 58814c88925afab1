// Targets editor: add/remove rows and show only the inputs a metric uses. The form works without it.
(function () {
  "use strict";
  var editor = document.querySelector(".targets-editor");
  var rows = document.getElementById("target-rows");
  var template = document.getElementById("target-row-template");
  var addButton = document.getElementById("add-target-row");
  if (!editor || !rows || !template || !addButton) return;
  editor.classList.add("js");
  addButton.hidden = false;

  addButton.addEventListener("click", function () {
    var index = parseInt(rows.getAttribute("data-next-index") || "0", 10);
    rows.setAttribute("data-next-index", String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__INDEX__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    var first = row.querySelector("select, input");
    if (first) first.focus();
  });

  rows.addEventListener("change", function (event) {
    if (event.target.matches("[data-metric-select]")) {
      event.target.closest(".target-row").setAttribute("data-metric", event.target.value);
    }
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (button) button.closest(".target-row").remove();
  });
})();
