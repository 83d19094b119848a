// Wicket's web UI script: live countdowns to expiry, polling of the parts of a page that
// change by themselves (the inbox, my grants), and the SSH session player. The pages work
// without it; it only refreshes (and plays).
"use strict";

(function () {
  function left(ms) {
    var s = Math.ceil(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (d > 0) return d + "d " + h + "h left";
    if (h > 0) return h + "h " + m + "m left";
    if (m > 0) return m + "m " + r + "s left";
    return r + "s left";
  }

  // Every [data-expires] element counts down; at zero it reads "expired" and so does the
  // status badge of its grant.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-expires"));
      if (isNaN(at)) return;
      if (at > now) {
        el.textContent = left(at - now);
        return;
      }
      if (el.classList.contains("done")) return;
      el.classList.add("done");
      el.textContent = "expired";
      var grant = el.closest(".grant");
      var badge = grant && grant.querySelector("[data-status]");
      if (badge) {
        badge.textContent = "expired";
        badge.className = "badge expired";
      }
    });
  }

  // Cards are matched by id: new ones are added, gone ones removed, the rest (and whatever
  // was typed in them) left alone.
  function mergeCards(box, html) {
    var next = document.createElement("div");
    next.innerHTML = html;
    var fresh = Array.prototype.slice.call(next.querySelectorAll(":scope > [data-card]"));
    var ids = fresh.map(function (c) { return c.id; });
    Array.prototype.slice.call(box.querySelectorAll(":scope > [data-card]")).forEach(function (c) {
      if (ids.indexOf(c.id) < 0) c.remove();
    });
    var before = null;
    for (var i = fresh.length - 1; i >= 0; i--) {
      var have = document.getElementById(fresh[i].id);
      if (!have || have.parentNode !== box) {
        box.insertBefore(fresh[i], before ? before : null);
        have = fresh[i];
      }
      before = have;
    }
    tick();
    var count = document.querySelector("[data-inbox-count]");
    if (count && box.id === "inbox") {
      count.textContent = String(box.querySelectorAll(":scope > article[data-card]").length);
    }
  }

  // [data-poll] elements reload their content from that url; a plain box is replaced unless
  // the focus is inside it, so nobody loses what they are doing.
  function poll(box) {
    var url = box.getAttribute("data-poll");
    var every = parseInt(box.getAttribute("data-poll-ms"), 10) || 3000;
    var last = null;
    function again() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (r.status === 401) throw new Error("signed out");
          if (!r.ok) return null;
          return r.text();
        })
        .then(function (html) {
          if (html !== null && html !== last) {
            last = html;
            if (box.getAttribute("data-merge") === "cards") mergeCards(box, html);
            else if (!box.contains(document.activeElement)) { box.innerHTML = html; tick(); }
            else last = null;
          }
          setTimeout(again, every);
        })
        .catch(function (e) {
          if (String(e.message) === "signed out") box.setAttribute("data-signed-out", "");
          else setTimeout(again, every * 2);
        });
    }
    setTimeout(again, every);
  }

  // After a rejected form: the focus goes to the field in error (the banner at the top links
  // to it too), so keyboard and screen-reader users land where the fix is.
  function focusProblem() {
    var link = document.querySelector("#flash [data-focus]");
    var field = link && document.getElementById(link.getAttribute("data-focus"));
    field = field || document.querySelector("[aria-invalid=true]");
    if (!field) return;
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  }

  // The SSH session player: the recording's output frames, written into the screen at their
  // recorded pace (pauses over 2 s shortened), with terminal control sequences left out.
  function player() {
    var data = document.getElementById("player-data");
    var screen = document.getElementById("player-screen");
    var button = document.getElementById("player-play");
    var speed = document.getElementById("player-speed");
    if (!data || !screen || !button) return;
    var frames = JSON.parse(data.textContent);
    var next = 0, elapsed = 0, timer = null, text = "";
    function plain(chunk) {
      return chunk
        .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
        .replace(/\x1b\[[0-?]*[ -\/]*[@-~]/g, "")
        .replace(/\x1b[@-Z\\-_]/g, "")
        .replace(/\r\n/g, "\n")
        .replace(/\r/g, "");
    }
    function write(chunk) {
      for (var c of plain(chunk)) {
        if (c === "\b") text = text.slice(0, -1);
        else if (c >= " " || c === "\n" || c === "\t") text += c;
      }
      screen.textContent = text;
      screen.scrollTop = screen.scrollHeight;
    }
    function stop(state) {
      clearTimeout(timer);
      timer = null;
      screen.setAttribute("data-state", state);
      button.textContent = state === "done" ? "Play again" : "Play";
    }
    function step() {
      var rate = Number(speed ? speed.value : 1);
      while (next < frames.length) {
        var gap = Math.min(frames[next][0] - elapsed, 2);
        if (rate > 0 && gap > 0.001) {
          elapsed += gap;
          timer = setTimeout(step, (gap * 1000) / rate);
          return;
        }
        elapsed = Math.max(elapsed, frames[next][0]);
        write(frames[next][1]);
        next += 1;
      }
      stop("done");
    }
    button.addEventListener("click", function () {
      if (timer) return stop("paused");
      if (next >= frames.length) {
        next = 0;
        elapsed = 0;
        text = "";
        screen.textContent = "";
      }
      screen.setAttribute("data-state", "playing");
      button.textContent = "Pause";
      step();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusProblem();
    player();
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
