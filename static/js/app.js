// ModelSnapper's only script (the Content-Security-Policy allows no inline script).
// Behaviour is attached by data attributes, so templates hold markup only.
(function () {
  "use strict";

  // <form data-submit-once data-busy-label="Uploading…">: one submit per page view.
  // A double click must not send the form twice (the server also folds replays).
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit], button:not([type])");
      if (!button) { return; }
      setTimeout(function () {
        button.disabled = true;
        if (form.dataset.busyLabel) { button.textContent = form.dataset.busyLabel; }
      }, 0);
    });
  });

  // <form data-confirm="Delete this photo?">: asks first; Cancel sends nothing.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // <div class="progress" data-percent="40"><span></span></div>: the bar's width.
  function showProgress(bar, percent) {
    var fill = bar.querySelector("span");
    if (fill) { fill.style.width = Math.max(0, Math.min(100, percent)) + "%"; }
    bar.setAttribute("aria-valuenow", percent);
  }
  document.querySelectorAll(".progress[data-percent]").forEach(function (bar) {
    showProgress(bar, Number(bar.dataset.percent) || 0);
  });

  // The batch page polls its JSON status until every job has finished.
  var batch = document.getElementById("batch");
  if (batch && batch.dataset.statusUrl && batch.dataset.finished !== "true") {
    var url = batch.dataset.statusUrl;
    var esc = function (text) {
      var div = document.createElement("div");
      div.textContent = text || "";
      return div.innerHTML;
    };
    var render = function (data) {
      document.getElementById("batch-done").textContent = data.done;
      showProgress(batch.querySelector(".progress"), data.percent);
      document.getElementById("batch-state").textContent = data.finished ? "· finished" : "· working…";
      // "Download all" appears once a photo can be downloaded, without a reload.
      var zip = document.getElementById("batch-zip");
      if (zip) {
        zip.hidden = !data.downloadable;
        zip.textContent = "Download all (" + data.downloadable + ") as ZIP";
      }
      document.getElementById("batch-items").innerHTML = data.items.map(function (item) {
        var picture = item.thumbnail_url
          ? '<img src="' + esc(item.thumbnail_url) + '" alt="Generated photo">'
          : '<div class="placeholder"></div>';
        var error = item.error ? '<small class="error">' + esc(item.error) + "</small>" : "";
        return '<a class="batch-item" href="' + esc(item.detail_url) + '" data-id="' + esc(item.id) + '">' +
          picture + '<span class="badge ' + esc(item.status) + '">' + esc(item.status_label) + "</span>" +
          (item.frozen ? '<span class="badge bad">Under review</span>' : "") + error + "</a>";
      }).join("");
    };
    var poll = function () {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (data) { render(data); if (!data.finished) { setTimeout(poll, 1500); } })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }
})();
