/* Guided session timer: count a set's hold (or its reps at the usual tempo, or its minutes),
   tick the next set box when the set ends, then count the rest. Without JavaScript the timer
   stays hidden and the person ticks the boxes by hand. No inline script: the CSP allows only
   files from this site. */
(function () {
  "use strict";

  var box = document.getElementById("timer");
  if (!box) { return; }
  var clock = document.getElementById("timer-clock");
  var status = document.getElementById("timer-status");
  var startButton = document.getElementById("timer-start");
  var stopButton = document.getElementById("timer-stop");
  var kind = box.getAttribute("data-kind");
  var units = Math.max(1, parseInt(box.getAttribute("data-units"), 10) || 1);
  var seconds = Math.max(1, parseInt(box.getAttribute("data-seconds"), 10) || 1);
  var rest = Math.max(0, parseInt(box.getAttribute("data-rest"), 10) || 0);
  var startLabel = box.getAttribute("data-start-label") || "Start";
  var sets = Array.prototype.slice.call(document.querySelectorAll("input[name=set]"));
  var tick = null;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function show(left) {
    var s = Math.max(0, Math.ceil(left));
    clock.textContent = Math.floor(s / 60) + ":" + pad(s % 60);
  }
  function say(text) { status.textContent = text; }
  function nextSet() {
    for (var i = 0; i < sets.length; i++) { if (!sets[i].checked) { return i; } }
    return -1;
  }
  function stop() {
    if (tick !== null) { clearInterval(tick); tick = null; }
    stopButton.disabled = true;
    startButton.disabled = false;
  }

  /* Count `total` seconds down, calling onSecond(left) as it goes and done() at zero. */
  function countdown(total, onSecond, done) {
    var ends = Date.now() + total * 1000;
    show(total);
    tick = setInterval(function () {
      var left = (ends - Date.now()) / 1000;
      if (left <= 0) {
        clearInterval(tick);
        tick = null;
        show(0);
        done();
        return;
      }
      show(left);
      if (onSecond) { onSecond(left); }
    }, 200);
  }

  function finishSet() {
    var i = nextSet();
    if (i >= 0) {
      sets[i].checked = true;
      sets[i].dispatchEvent(new Event("change", { bubbles: true }));
    }
    var after = nextSet();
    if (after < 0) {
      stop();
      say("Set " + (i + 1) + " done. All sets are done. Press Next when you are ready.");
      startButton.disabled = true;
      return;
    }
    if (rest === 0) {
      stop();
      say("Set " + (i + 1) + " done. Press " + startLabel + " for set " + (after + 1) + ".");
      return;
    }
    say("Set " + (i + 1) + " done. Rest for " + rest + " seconds.");
    startButton.disabled = false;  /* pressing Start during the rest skips what is left */
    countdown(rest, null, function () {
      stop();
      say("Rest is over. Press " + startLabel + " for set " + (after + 1) + ".");
    });
  }

  /* A set's length: a hold is counted rep by rep; reps and minutes in one stretch. */
  var setSeconds = kind === "reps" ? units * seconds : seconds;

  function runUnit(unit) {
    if (kind === "reps") {
      say("Go: " + units + " reps, about " + seconds + " seconds each.");
      countdown(setSeconds, null, finishSet);
      return;
    }
    if (kind === "hold") {
      say(units > 1 ? "Rep " + unit + " of " + units + ": hold." : "Hold now.");
    } else {
      say("Go. Keep going until the timer ends.");
    }
    countdown(seconds, null, function () {
      if (unit < units) { runUnit(unit + 1); } else { finishSet(); }
    });
  }

  startButton.addEventListener("click", function () {
    if (nextSet() < 0) { say("All sets are done. Press Next when you are ready."); return; }
    if (tick !== null) { clearInterval(tick); tick = null; }  /* skip the rest of a rest */
    startButton.disabled = true;
    stopButton.disabled = false;
    runUnit(1);
  });
  stopButton.addEventListener("click", function () {
    stop();
    say("Timer stopped. Press " + startLabel + " to start this set again.");
    show(setSeconds);
  });

  show(setSeconds);
  box.hidden = false;
  if (nextSet() < 0) { startButton.disabled = true; }
})();
