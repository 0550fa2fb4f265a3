// Ronda console: small progressive enhancements. Every page works without this script.
// - Lists marked `data-rows` move with j/k and open the row with Enter.
// - <time data-countdown="EPOCH_MS"> shows the time left (or overdue) beside the deadline.
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
  }

  function select(rows, i) {
    rows.forEach(function (r, j) {
      r.classList.toggle("selected", j === i);
      if (j === i) { r.setAttribute("aria-selected", "true"); } else { r.removeAttribute("aria-selected"); }
    });
    var link = rows[i] && rows[i].querySelector("a");
    if (link) { link.focus(); }
  }

  function keyboard() {
    var table = document.querySelector("[data-rows]");
    if (!table) { return; }
    var rows = rowsOf(table);
    var at = -1;
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || e.altKey || e.ctrlKey || e.metaKey) { return; }
      if (e.key === "j") { at = Math.min(rows.length - 1, at + 1); select(rows, at); e.preventDefault(); }
      else if (e.key === "k") { at = Math.max(0, at - 1); select(rows, at); e.preventDefault(); }
      else if (e.key === "Enter" && at >= 0 && tag !== "A" && tag !== "BUTTON") {
        window.location.href = rows[at].getAttribute("data-href");
      }
    });
  }

  // The words come from the page (the message catalogue), with %s for the time.
  function left(ms) {
    var overdue = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
    var words = document.body.getAttribute(overdue ? "data-countdown-overdue" : "data-countdown-left") || "%s";
    return words.replace("%s", text);
  }

  function countdowns() {
    var items = Array.prototype.slice.call(document.querySelectorAll("time[data-countdown]"));
    if (!items.length) { return; }
    var out = items.map(function (t) {
      var span = document.createElement("span");
      span.className = "countdown";
      span.setAttribute("role", "timer");
      span.setAttribute("aria-live", "off");
      t.parentNode.insertBefore(span, t.nextSibling);
      return { due: Number(t.getAttribute("data-countdown")), span: span };
    });
    function tick() {
      var now = Date.now();
      out.forEach(function (o) {
        o.span.textContent = " (" + left(o.due - now) + ")";
        o.span.classList.toggle("overdue", o.due < now);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    keyboard();
    countdowns();
  });
})();
