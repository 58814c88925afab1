/* The venue wall: poll the figures, slide new (masked) names in, rotate a dynamic QR, survive network drops. */
(function () {
  "use strict";
  var root = document.getElementById("wall");
  if (!root || !window.fetch) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var poll = (parseInt(root.dataset.poll, 10) || 5) * 1000;
  var failures = 0;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock() { var d = new Date(); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function setText(id, value) { var el = $(id); if (el && value !== undefined && value !== null) { el.textContent = value; } }

  function getJSON(url) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 8000) : null;
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
                        signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) {
        if (timer) { clearTimeout(timer); }
        // A login that expired answers with the login page (or 401): treat it as a failure, keep the figures.
        var type = r.headers.get("Content-Type") || "";
        if (!r.ok || type.indexOf("json") < 0) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  function showRecent(list) {
    var box = $("wall-recent");
    if (!box || !list) { return; }
    var known = {};
    Array.prototype.forEach.call(box.querySelectorAll("li[data-id]"), function (li) { known[li.dataset.id] = true; });
    var items = list.map(function (p) {
      var li = document.createElement("li");
      li.dataset.id = p.id;
      var who = document.createElement("span"); who.className = "who"; who.textContent = p.name;
      var at = document.createElement("time"); at.textContent = p.time;
      li.appendChild(who); li.appendChild(at);
      if (!known[p.id]) { li.className = "new"; }
      return li;
    });
    if (!items.length) { return; }
    box.textContent = "";
    items.forEach(function (li) { box.appendChild(li); });
  }

  function show(d) {
    setText("big-count", d.count);
    if (d.goal) { setText("big-goal", d.goal); setText("big-percent", d.percent || 0); setText("big-goal-label", d.goal_label); }
    var bar = $("big-bar");
    if (bar) { bar.style.width = Math.min(100, d.percent || 0) + "%"; }
    (d.composition || []).forEach(function (part) { setText("mix-" + part.key, part.count); });
    showRecent(d.recent);
    if (d.status === "cancelled") { $("wall-cancelled").hidden = false; root.classList.add("is-cancelled"); }
  }

  function tick() {
    if (document.hidden) { setTimeout(tick, poll); return; }
    getJSON(root.dataset.url)
      .then(function (d) {
        show(d);
        failures = 0;
        setText("big-updated", d.server_time || clock());  // China time from the server, whatever the TV thinks
        $("wall-stale").hidden = true;
        root.classList.remove("stale");
      })
      .catch(function () {
        failures += 1;
        $("wall-stale").hidden = false;
        root.classList.add("stale");
      })
      .then(function () {
        // Back off a little while the network is down, never beyond 30 s: the hall should see it come back.
        setTimeout(tick, Math.min(poll * Math.pow(2, Math.min(failures, 3)), 30000));
      });
  }

  var bar = $("big-bar");
  if (bar && bar.dataset.barWidth) { bar.style.width = Math.min(100, parseFloat(bar.dataset.barWidth) || 0) + "%"; }
  setTimeout(tick, poll);

  var box = $("qr-box");
  if (box && box.dataset.url) {
    var seconds = parseInt(box.dataset.refresh, 10) || 15;
    var swap = function () {
      getJSON(box.dataset.url)
        .then(function (d) {
          $("qr-stale").hidden = true;
          if (d.svg) { box.innerHTML = d.svg; }
          if (d.refresh_seconds) { seconds = d.refresh_seconds; }
        })
        .catch(function () { $("qr-stale").hidden = false; })
        .then(function () { setTimeout(swap, seconds * 1000); });
    };
    setTimeout(swap, seconds * 1000);
  }
})();
