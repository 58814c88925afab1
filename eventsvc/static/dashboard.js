// Refresh the dashboard figures every 30 s while the page is visible (no reload, no flicker of the form).
(function () {
  "use strict";
  var live = document.getElementById("dashboard-live");
  if (!live || !window.fetch) return;
  var url = live.getAttribute("data-refresh-url");
  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        // A redirect to the login page (session ended) is not dashboard content: leave the page as it is.
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) {
        if (!html) return;
        live.innerHTML = html;
        if (window.eventsvcSetBarWidths) window.eventsvcSetBarWidths(live); // widths travel as data-bar-width
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, 30000);
})();
