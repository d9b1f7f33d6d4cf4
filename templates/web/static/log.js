// The job page's log: earlier lines on demand, a running job's new lines as they come (Server-
// Sent Events, resumed by the browser from the last event's id, a byte offset), and the failed
// step brought into view. The page works without it: every control is also a plain link.
(function () {
  "use strict";
  var log = document.getElementById("log");
  if (!log) { return; }
  var earlier = document.getElementById("log-earlier");
  var status = document.getElementById("log-status");

  function atBottom() {
    var page = document.scrollingElement || document.documentElement;
    return page.scrollHeight - page.scrollTop - page.clientHeight < 40;
  }

  // Lines arrive as the server renders them (escaped there): one element each, no text between.
  function append(html) {
    var pinned = atBottom();
    log.insertAdjacentHTML("beforeend", html);
    if (pinned) { window.scrollTo(0, (document.scrollingElement || document.documentElement).scrollHeight); }
  }

  if (earlier) {
    earlier.addEventListener("click", function (event) {
      event.preventDefault();
      var start = Number(log.dataset.start);
      if (!(start > 0) || earlier.getAttribute("aria-busy") === "true") { return; }
      earlier.setAttribute("aria-busy", "true");
      fetch(earlier.dataset.before + "?offset=" + start, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          var newStart = response.headers.get("X-Log-Start");
          return response.text().then(function (html) { return { html: html, start: Number(newStart) }; });
        })
        .then(function (answer) {
          // Keep what the reader looks at in place while lines are added above it.
          var page = document.scrollingElement || document.documentElement;
          var before = page.scrollHeight;
          log.insertAdjacentHTML("afterbegin", answer.html);
          page.scrollTop += page.scrollHeight - before;
          log.dataset.start = String(answer.start);
          if (answer.start <= 0) { earlier.remove(); }
        })
        .catch(function () { earlier.textContent = "Could not load earlier lines: retry"; })
        .finally(function () { earlier.removeAttribute("aria-busy"); });
    });
  }

  function showStatus(data) {
    if (!status) { return; }
    status.textContent = data.symbol + " " + data.status;
    status.className = "status " + data.tone;
  }

  if (log.dataset.running === "true" && window.EventSource) {
    var source = new EventSource(log.dataset.events + "?from=" + log.dataset.end);
    source.onmessage = function (event) {
      // One data line per log line; the browser joined them with newlines.
      append(event.data.split("\n").join(""));
      if (event.lastEventId) { log.dataset.end = event.lastEventId; }
    };
    source.addEventListener("end", function (event) {
      source.close();
      log.dataset.running = "false";
      try { showStatus(JSON.parse(event.data)); } catch (error) { /* the status stays as it was */ }
      var none = document.getElementById("log-none");
      if (none && log.childElementCount > 0) { none.remove(); }
    });
  } else if (!window.location.hash) {
    // A failed job opens at the step that failed.
    var failed = log.querySelector(".failed-step");
    if (failed) { failed.scrollIntoView({ block: "start" }); }
  }
})();
