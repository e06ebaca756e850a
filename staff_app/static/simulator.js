// Reloads an SMS simulator thread every few seconds so texts delivered by the worker appear,
// but never while someone is typing a reply (that would lose it).
(function () {
  "use strict";
  var thread = document.querySelector("[data-autorefresh]");
  if (!thread) {
    return;
  }
  var seconds = parseInt(thread.getAttribute("data-autorefresh"), 10) || 10;
  var reply = document.getElementById("body");
  window.setInterval(function () {
    var typing = reply && (reply.value.length > 0 || document.activeElement === reply);
    if (!typing && document.visibilityState !== "hidden") {
      window.location.reload();
    }
  }, seconds * 1000);
})();
