// Progressive enhancement for the response queue: new items appear without a page reload.
// Without this script the page still works (reload to refresh). No inline script (CSP).
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table || !table.dataset.pollUrl || !window.fetch) { return; }
  var body = document.getElementById("queue-rows");
  var status = document.getElementById("queue-status");
  var since = table.dataset.since || "0";
  var signature = table.dataset.signature || "";
  var INTERVAL = 15000;
  var failures = 0;
  var title = document.title;

  function url() {
    var u = new URL(table.dataset.pollUrl, window.location.href);
    u.searchParams.set("since", since);
    u.searchParams.set("sig", signature);
    return u.toString();
  }

  function busy() {
    // Never swap rows under someone's cursor or keyboard focus.
    var active = document.activeElement;
    return active && body.contains(active) && active !== document.body;
  }

  function tick() {
    if (document.hidden) { return schedule(); }
    fetch(url(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          // Signed out (idle time-out): show the sign-in page.
          window.location.reload();
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!data) { return; }
        failures = 0;
        if (data.html !== null && !busy()) {
          body.innerHTML = data.html;
          signature = data.signature;
        }
        if (data.new > 0) {
          var words = data.new === 1 ? "1 new item" : data.new + " new items";
          if (data.urgent_new > 0) { words += " (" + data.urgent_new + " urgent)"; }
          status.textContent = words + " arrived.";
          document.title = "(" + data.new + ") " + title;
        }
        since = String(data.max_id);
        schedule();
      })
      .catch(function () {
        failures += 1;
        status.textContent = "Could not refresh the queue; retrying. Reload the page if this persists.";
        schedule();
      });
  }

  function schedule() {
    window.setTimeout(tick, failures ? Math.min(INTERVAL * (failures + 1), 120000) : INTERVAL);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { document.title = title; }
  });
  schedule();
})();
