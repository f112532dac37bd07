// Shows the time left before the idle lock, and reloads the page when it
// runs out so that the server shows the lock screen. No inline script: the
// Content-Security-Policy allows only this file.
(function () {
  var el = document.getElementById("idle");
  var out = document.getElementById("idle-left");
  if (!el || !out) return;
  var left = parseInt(el.getAttribute("data-seconds"), 10);
  if (isNaN(left) || left <= 0) return;
  // data-seconds runs one second past the deadline (see pages.go); show
  // the time to the deadline itself.
  function show() {
    var v = Math.max(0, left - 1);
    var m = Math.floor(v / 60), s = v % 60;
    out.textContent = m + ":" + (s < 10 ? "0" : "") + s;
  }
  show();
  var timer = setInterval(function () {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      window.location.reload();
      return;
    }
    show();
  }, 1000);
})();
