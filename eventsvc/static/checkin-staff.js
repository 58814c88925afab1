/* Event staff pages: the live check-in count on the event page, the rotating dynamic QR on the QR screen. */
(function () {
  "use strict";
  if (!window.fetch) { return; }

  var count = document.getElementById("live-count");
  if (count) {
    var last = document.getElementById("live-last");
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(count.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) {
          if (!d) { return; }
          count.textContent = d.count;
          if (last) { last.textContent = d.last_at || "暂无"; }
        })
        .catch(function () {});
    }, 5000);
  }

  var box = document.getElementById("qr-box");
  if (box && box.dataset.url) {
    var seconds = parseInt(box.dataset.refresh, 10) || 15;
    var stale = document.getElementById("qr-stale");
    var swap = function () {
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          // An expired staff login must not leave a silently stale (soon invalid) code on the screen.
          if (stale) { stale.hidden = r.ok; }
          return r.ok ? r.json() : null;
        })
        .then(function (d) {
          if (!d || !d.svg) { return; }
          box.innerHTML = d.svg;
          if (d.refresh_seconds) { seconds = d.refresh_seconds; }
        })
        .catch(function () { if (stale) { stale.hidden = false; } })
        .then(function () { setTimeout(swap, seconds * 1000); });
    };
    setTimeout(swap, seconds * 1000);
  }
})();
