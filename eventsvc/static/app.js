/* Behaviour every page shares, kept out of the templates so the Content-Security-Policy can refuse
   inline code: confirmation prompts, selects that submit their form, and progress-bar widths. */
(function () {
  "use strict";

  function setBarWidths(root) {
    var bars = (root || document).querySelectorAll("[data-bar-width]");
    for (var i = 0; i < bars.length; i++) {
      var value = parseFloat(bars[i].getAttribute("data-bar-width")) || 0;
      bars[i].style.width = Math.max(0, Math.min(100, value)) + "%";
    }
  }
  window.eventsvcSetBarWidths = setBarWidths; // pages that replace their HTML live call it again

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { e.preventDefault(); }
  }, true);

  document.addEventListener("click", function (e) {
    var link = e.target && e.target.closest && e.target.closest("[data-back]");
    if (link && window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });

  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) { el.form.submit(); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setBarWidths(document); });
  } else {
    setBarWidths(document);
  }
})();
