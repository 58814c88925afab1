/* 今日活动: refresh each event's live count every 10 seconds while the page is visible. */
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var counts = Array.prototype.slice.call(document.querySelectorAll(".today-live[data-url]"));
  if (!counts.length) { return; }
  setInterval(function () {
    if (document.hidden) { return; }
    counts.forEach(function (el) {
      fetch(el.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d && typeof d.count === "number") { el.textContent = d.count; } })
        .catch(function () { /* offline: keep the last figure */ });
    });
  }, 10000);
})();
