/* Evidence upload: several files, one request each, with a progress bar and a clear message per file. */
(function () {
  "use strict";
  var form = document.querySelector("form.evidence-upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; } // the plain form still works
  var input = form.querySelector('input[type="file"]');
  var list = form.querySelector(".upload-list");
  var button = form.querySelector('button[type="submit"]');
  var tokenField = form.querySelector('input[name="csrf_token"]');
  var csrf = tokenField ? tokenField.value : "";
  var maxPhoto = parseInt(form.getAttribute("data-max-photo"), 10) || 0;
  var maxDocument = parseInt(form.getAttribute("data-max-document"), 10) || 0;
  var PHOTO = /\.(jpe?g|png|heic|heif)$/i;
  var DOCUMENT = /\.(pdf|docx|xlsx)$/i;
  var MB = 1024 * 1024;

  function isPhoto(file) {
    return PHOTO.test(file.name) || /^image\//.test(file.type || "");
  }

  function precheck(file) {
    if (!file.size) { return "文件是空的，请重新选择。"; }
    if (!isPhoto(file) && !DOCUMENT.test(file.name)) {
      return "不支持的文件类型：照片只接受 JPEG、PNG、HEIC，文档只接受 PDF、Word（.docx）、Excel（.xlsx）。";
    }
    var limit = isPhoto(file) ? maxPhoto : maxDocument;
    if (limit && file.size > limit) {
      var what = isPhoto(file) ? "照片" : "文件";
      return what + "太大：每个" + what + "最大 " + Math.round(limit / MB) + " MB，请压缩后再上传。";
    }
    return "";
  }

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status small";
    status.textContent = "等待上传";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function finish(item, ok, message) {
    item.li.className = ok ? "done" : "failed";
    item.status.textContent = message;
    if (ok) { item.bar.value = 100; }
    if (!ok) { item.status.setAttribute("role", "alert"); }
  }

  function answerMessage(xhr) {
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    if (xhr.status === 200 && data && data.ok) { return ""; }
    if (data && data.error) { return data.error; }
    if (xhr.status === 413) { return "文件太大，请压缩后再上传。"; }
    if (xhr.status === 400) { return "页面已过期，请刷新页面后重新上传。"; }
    if (xhr.status === 403) { return "您没有权限在这里上传文件。"; }
    return "上传失败（" + (xhr.status || "网络中断") + "），请重试。";
  }

  function send(file, item, done) {
    var xhr = new XMLHttpRequest();
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("files", file, file.name);
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        item.bar.value = Math.round((e.loaded / e.total) * 100);
        item.status.textContent = item.bar.value < 100 ? "上传中 " + item.bar.value + "%" : "正在处理…";
      }
    });
    xhr.addEventListener("load", function () {
      var message = answerMessage(xhr);
      finish(item, !message, message || "已上传");
      done(!message);
    });
    xhr.addEventListener("error", function () { finish(item, false, "网络中断，请检查网络后重试。"); done(false); });
    xhr.addEventListener("abort", function () { finish(item, false, "上传已取消。"); done(false); });
    item.status.textContent = "上传中 0%";
    xhr.send(body);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files || []);
    list.textContent = "";
    if (!files.length) {
      finish(row({ name: "" }), false, "请选择要上传的照片或文件。");
      return;
    }
    var queue = [];
    var failed = 0;
    var saved = 0;
    files.forEach(function (file) {
      var item = row(file);
      var problem = precheck(file);
      if (problem) { finish(item, false, problem); failed += 1; } else { queue.push([file, item]); }
    });
    button.disabled = true;
    // One file at a time: a phone on a venue's weak network gets each photo through instead of all stalling.
    function next() {
      var job = queue.shift();
      if (!job) {
        button.disabled = false;
        input.value = "";
        if (saved && !failed) { window.location.reload(); return; }
        if (saved) {
          var link = document.createElement("a");
          link.href = window.location.pathname;
          link.textContent = "已上传 " + saved + " 个，刷新查看";
          var li = document.createElement("li");
          li.appendChild(link);
          list.appendChild(li);
        }
        return;
      }
      send(job[0], job[1], function (ok) {
        if (ok) { saved += 1; } else { failed += 1; }
        next();
      });
    }
    next();
  });
}());
