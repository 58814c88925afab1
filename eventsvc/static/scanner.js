/* Staff scanner (the venue's big screen is the wall: wall.js).
 *
 * Scanner: every scan (camera, search pick, walk-in) first goes into a queue kept in localStorage,
 * each with an id made here, then the queue is posted to the sync API. If the network is down the
 * scan stays queued, the page shows its guess as 待确认 and the count 待同步 N, and the queue is
 * resent when the browser comes back online (or every few seconds). The server answers a resent
 * id with its first answer, so a retry after a lost response never counts twice.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function nowTime() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  /* ---------------------------------------------------------------- scanner */
  function scanner(root) {
    var cfg = root.dataset;
    var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var QKEY = "evs_scan_queue_" + cfg.userId + "_" + cfg.eventId;
    var queue = loadQueue();
    var flushing = false, again = false, blocked = "";
    var current = null;           // id of the scan whose answer the big panel is waiting for
    var last = { text: "", at: 0 };
    var audio = null, undoTimer = null;
    var recent = [];

    function loadQueue() {
      try { return JSON.parse(localStorage.getItem(QKEY)) || []; } catch (e) { return []; }
    }
    function saveQueue() {
      try { localStorage.setItem(QKEY, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
      $("pending").textContent = queue.length;
    }
    function mode() {
      var checked = document.querySelector('input[name="mode"]:checked');
      return checked ? checked.value : "in";
    }

    /* feedback: sound where WebAudio is allowed (after a tap), vibration where supported */
    function beep(kind) {
      try {
        if (!audio) { return; }
        var tones = kind === "ok" ? [[880, 0.12]] : kind === "warn" ? [[660, 0.1], [660, 0.1]] : [[220, 0.4]];
        var t = audio.currentTime;
        tones.forEach(function (tone) {
          var o = audio.createOscillator(), g = audio.createGain();
          o.frequency.value = tone[0]; o.connect(g); g.connect(audio.destination);
          g.gain.setValueAtTime(0.2, t); o.start(t); o.stop(t + tone[1]); t += tone[1] + 0.08;
        });
      } catch (e) { /* no sound */ }
      if (navigator.vibrate) {
        navigator.vibrate(kind === "ok" ? 80 : kind === "warn" ? [80, 60, 80] : [300]);
      }
    }

    function colour(outcome) {
      if (outcome === "success" || outcome === "checked_out") { return "ok"; }
      if (outcome === "already" || outcome === "already_out") { return "warn"; }
      if (outcome === "pending") { return "pending"; }
      return "bad";
    }

    function show(kind, title, name, msg, checkInId) {
      var panel = $("result");
      panel.className = "scan-result " + kind;
      $("r-title").textContent = title;
      $("r-name").textContent = name || "";
      $("r-msg").textContent = msg || "";
      var undo = $("undo");
      clearTimeout(undoTimer);
      undo.hidden = !checkInId;
      undo.dataset.id = checkInId || "";
      if (checkInId && cfg.canManage !== "1") {
        undoTimer = setTimeout(function () { undo.hidden = true; }, Number(cfg.undoMinutes || 5) * 60000);
      }
    }

    function addRecent(kind, title, label, id) {
      recent.unshift({ kind: kind, title: title, label: label, time: nowTime(), id: id });
      recent = recent.slice(0, 20);
      var ul = $("recent");
      ul.innerHTML = "";
      recent.forEach(function (r) {
        var li = document.createElement("li");
        var left = document.createElement("span");
        var tag = document.createElement("span");
        tag.className = "tag " + r.kind; tag.textContent = r.title;
        var meta = document.createElement("span");
        meta.className = "meta"; meta.textContent = " " + (r.label || "") + " · " + r.time;
        left.appendChild(tag); left.appendChild(meta); li.appendChild(left);
        ul.appendChild(li);
      });
    }

    function updateStats(s) {
      if (!s) { return; }
      $("count-in").textContent = s.checked_in;
      if ($("count-out")) { $("count-out").textContent = s.checked_out; }
    }

    function setNet() {
      var net = $("net");
      var on = navigator.onLine;
      net.className = "net " + (on ? "on" : "off");
      net.textContent = on ? "在线" : "离线";
    }

    /* queue a scan, show a provisional answer, try to send */
    function submit(scan, label) {
      scan.client_scan_id = uuid();
      scan.scanned_at = Date.now();
      scan.mode = scan.mode || mode();
      scan.label = label || "";
      queue.push(scan);
      saveQueue();
      current = scan.client_scan_id;
      show("pending", "待确认", label, navigator.onLine ? "正在提交…" : "离线：已保存在本机，联网后自动提交");
      flush();
    }

    function answered(scan, result) {
      var kind = colour(result.outcome);
      var label = result.name || scan.label;
      addRecent(kind, result.title, label, result.check_in_id);
      if (scan.client_scan_id === current) {
        show(kind, result.title, label, result.message,
             result.outcome === "success" ? result.check_in_id : null);
        beep(kind);
      }
    }

    function flush() {
      if (flushing) { again = true; return; }
      if (!queue.length || !navigator.onLine || blocked) { return; }
      flushing = true;
      var batch = queue.slice(0, 100);
      fetch(cfg.syncUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ scans: batch })
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      }).then(function (res) {
        if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 400) {
          // Not a network problem: resending will not help until someone acts (log in, reload).
          blocked = res.data.error || "提交被拒绝";
          show("bad", res.status === 401 ? "登录已过期" : "无法提交", "", blocked + "（已扫记录仍保存在本机）");
          return;
        }
        if (res.status !== 200 || !res.data.ok) { throw new Error("server " + res.status); }
        var byId = {};
        res.data.results.forEach(function (r) { byId[r.client_scan_id] = r; });
        batch.forEach(function (scan) {
          var result = byId[scan.client_scan_id];
          if (result) { answered(scan, result); }
        });
        var done = batch.map(function (s) { return s.client_scan_id; });
        queue = queue.filter(function (s) { return done.indexOf(s.client_scan_id) < 0; });
        saveQueue();
        updateStats(res.data.stats);
      }).catch(function () {
        if (current && queue.some(function (s) { return s.client_scan_id === current; })) {
          show("pending", "待确认", $("r-name").textContent, "网络不通：已保存在本机，联网后自动提交");
        }
      }).then(function () {
        flushing = false;
        if (again) { again = false; flush(); }
      });
    }

    /* camera */
    function onDecoded(text) {
      var t = Date.now();
      // The same code stays in view for many frames: act on it once until it leaves for 3 s.
      if (text === last.text && t - last.at < 3000) { last.at = t; return; }
      last = { text: text, at: t };
      if (queue.some(function (s) { return s.code === text && s.mode === mode(); })) {
        show("pending", "待确认", "", "这张电子票已在待同步队列中");
        return;
      }
      submit({ code: text }, "");
    }

    function startCamera() {
      var video = $("video"), canvas = $("frame"), msg = $("cam-msg");
      try {
        var Ctx = window.AudioContext || window.webkitAudioContext;
        if (Ctx && !audio) { audio = new Ctx(); }
      } catch (e) { audio = null; }
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        msg.textContent = "此浏览器无法使用摄像头（手机上需通过 HTTPS 访问），请使用下方手动查找。";
        return;
      }
      if (typeof window.jsQR !== "function") { msg.textContent = "扫码组件未加载，请刷新页面。"; return; }
      msg.textContent = "正在打开摄像头…";
      navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
        .then(function (stream) {
          video.srcObject = stream;
          video.setAttribute("playsinline", "");
          return video.play();
        })
        .then(function () {
          $("cam-overlay").className = "cam-overlay running";
          msg.textContent = "扫码中";
          var ctx = canvas.getContext("2d", { willReadFrequently: true });
          (function tick() {
            if (video.readyState >= 2 && video.videoWidth) {
              var scale = Math.min(1, 640 / video.videoWidth);
              var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
              canvas.width = w; canvas.height = h;
              ctx.drawImage(video, 0, 0, w, h);
              var code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
              if (code && code.data) { onDecoded(code.data); }
            }
            setTimeout(tick, 150);
          })();
        })
        .catch(function (err) {
          msg.textContent = "无法打开摄像头：" + (err && err.name === "NotAllowedError" ? "请允许使用摄像头" : (err && err.message) || err) + "。可使用下方手动查找。";
        });
    }

    /* manual search */
    function search(ev) {
      ev.preventDefault();
      var q = $("q").value.trim(), ul = $("search-results");
      ul.innerHTML = "";
      if (!q) { return; }
      if (!navigator.onLine) {
        ul.innerHTML = '<li class="muted small">离线时无法查找，可用下方“现场登记”。</li>';
        return;
      }
      fetch(cfg.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data.ok) { throw new Error(data.error); }
          if (!data.people.length) { ul.innerHTML = '<li class="muted small">本场活动的报名和签到中没有找到。</li>'; return; }
          data.people.forEach(function (p) {
            var li = document.createElement("li");
            var info = document.createElement("span");
            info.innerHTML = "<strong></strong> <span class=\"meta\"></span>";
            info.firstChild.textContent = p.name;
            info.lastChild.textContent = p.phone + " · " + p.registration +
              (p.checked_in_at ? " · " + p.checked_in_at + " 已签到" : "") +
              (p.checked_out_at ? " · " + p.checked_out_at + " 已签退" : "");
            var btn = document.createElement("button");
            btn.type = "button"; btn.className = "btn";
            btn.textContent = mode() === "out" ? "签退" : "签到";
            btn.addEventListener("click", function () {
              submit({ participant_id: p.participant_id }, p.name);
              ul.innerHTML = ""; $("q").value = "";
            });
            li.appendChild(info); li.appendChild(btn); ul.appendChild(li);
          });
        })
        .catch(function (e) { ul.innerHTML = ""; var li = document.createElement("li"); li.textContent = "查找失败：" + e.message; ul.appendChild(li); });
    }

    function walkIn(ev) {
      ev.preventDefault();
      var f = ev.target;
      var person = { name: f.name.value.trim(), phone: f.phone.value.trim(), workplace: f.workplace.value.trim(), group: f.group.value };
      if (!person.name || !person.phone) { show("bad", "请填写姓名和手机号", "", ""); return; }
      submit({ person: person, mode: "in" }, person.name);
      f.reset();
    }

    function undo() {
      var id = $("undo").dataset.id;
      if (!id || !window.confirm("确认撤销这次签到？撤销会留下记录。")) { return; }
      fetch(cfg.undoUrl.replace(/\/0\/undo$/, "/" + id + "/undo"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ reason: "扫码页撤销" })
      }).then(function (r) { return r.json(); })
        .then(function (data) {
          // The title already says 已撤销: the lines under it name the person, not the verb again.
          if (data.ok) { show("idle", "已撤销", data.name, "这次签到不再计入人次"); updateStats(data.stats); addRecent("bad", "已撤销", data.name, null); }
          else { show("bad", "无法撤销", "", data.error); }
        })
        .catch(function () { show("bad", "无法撤销", "", "网络不通，请联网后再试"); });
    }

    function pollStats() {
      if (!navigator.onLine) { return; }
      fetch(cfg.statsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) { updateStats(d.stats); } })
        .catch(function () { /* offline: keep the last figures */ });
    }

    $("start").addEventListener("click", startCamera);
    $("search-form").addEventListener("submit", search);
    $("walkin-form").addEventListener("submit", walkIn);
    $("undo").addEventListener("click", undo);
    if (window.location.hash === "#walkin-box") { $("walkin-box").open = true; }  // 今日活动's 现场登记
    window.addEventListener("online", function () { setNet(); blocked = ""; flush(); });
    window.addEventListener("offline", setNet);
    setInterval(function () { if (queue.length) { flush(); } }, 5000);
    setInterval(pollStats, 15000);
    setNet();
    saveQueue();
    flush();
    root.dataset.ready = "1";
  }

  var scanRoot = $("scanner");
  if (scanRoot) { scanner(scanRoot); }
})();
