// The commit page while its build is queued or running: each job's status as it changes (the
// page's JSON, asked every two seconds), and the whole page again once the build has ended.
// Without it the page is as it was rendered; reloading it shows where the build stands.
(function () {
  "use strict";
  var status = document.getElementById("commit-status");
  if (!status || status.dataset.live !== "true" || !window.fetch) { return; }
  var source = status.dataset.json;
  var symbols = { passed: "✔", reused: "↺", failed: "✘", "config-error": "✘", running: "▶", skipped: "–", cancelled: "■" };
  var tones = { passed: "green", reused: "green", failed: "red", "config-error": "red", running: "blue" };

  function label(element, value) {
    element.textContent = (symbols[value] || "·") + " " + value;
    element.className = "status tone-" + (tones[value] || "gray");
  }

  function poll() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (document_) {
        if (!document_) { return; }
        if (document_.status !== "queued" && document_.status !== "running") {
          window.location.reload();
          return;
        }
        label(status, document_.status);
        (document_.jobs || []).forEach(function (job) {
          var cell = document.querySelector('[data-job-status="' + CSS.escape(job.name) + '"]');
          if (cell && cell.dataset.status !== job.status) {
            cell.dataset.status = job.status;
            label(cell, job.status);
          }
        });
      })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
