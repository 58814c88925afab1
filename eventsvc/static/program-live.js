// Program page: refresh the target figures every 30 s from the progress JSON while the page is visible.
(function () {
  "use strict";
  var box = document.getElementById("program-progress");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-progress-url");

  function update(target, scoped) {
    var line = box.querySelector('[data-target-id="' + target.id + '"]');
    if (!line) return;
    line.querySelector(".done").textContent = target.done;
    line.querySelector(".pct").textContent = String(target.percent).replace(/\.0$/, "") + "%";
    var bar = line.querySelector(".progress .bar");
    if (bar) bar.style.width = Math.min(100, target.percent) + "%";
    line.querySelector(".progress").classList.toggle("met", target.is_met);
    var status = line.querySelector(".status");
    var prefix = scoped && !target.organization_id ? "本单位完成 · " : "";
    status.textContent = prefix + (target.is_met ? "已完成目标" : "还差 " + target.remaining + " " + target.unit);
    status.className = "small status " + (target.is_met ? "ok-text" : "muted");
  }

  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.ok) return;
        data.targets.concat(data.shares).forEach(function (t) { update(t, data.scoped); });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, 30000);
})();
