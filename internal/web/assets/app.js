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
  // The countdown is not a live region (it would be read out every
  // second); one warning is announced a minute before the lock.
  var warning = document.getElementById("idle-warning");
  var timer = setInterval(function () {
    left -= 1;
    if (left <= 0) {
      clearInterval(timer);
      window.location.reload();
      return;
    }
    if (left - 1 === 60 && warning) {
      warning.textContent = el.getAttribute("data-warning");
    }
    show();
  }, 1000);
})();

// A refused form: focus moves to the first field in error, which reads
// out its label and message; with no such field on the page, to the
// error summary, whose links lead to the fields.
(function () {
  var first = document.querySelector('[aria-invalid="true"]');
  if (first) {
    first.focus();
    return;
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

// WebAuthn: a button with data-webauthn="create" (register) or "get" (log
// in, unlock) runs the ceremony: the server's options from data-begin, the
// browser's authenticator with user verification, the answer to
// data-finish, then on to the page the server names.
(function () {
  var buttons = document.querySelectorAll("[data-webauthn]");
  function fail(btn, msg) {
    var el = document.getElementById(btn.getAttribute("data-error"));
    if (el) {
      el.textContent = msg;
      el.hidden = false;
    }
    btn.disabled = false;
  }
  function post(btn, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": btn.getAttribute("data-csrf") },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.detail || j.message || r.statusText);
        return j;
      });
    });
  }
  Array.prototype.forEach.call(buttons, function (btn) {
    btn.addEventListener("click", function () {
      if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
        fail(btn, btn.getAttribute("data-unsupported"));
        return;
      }
      var create = btn.getAttribute("data-webauthn") === "create";
      btn.disabled = true;
      post(btn, btn.getAttribute("data-begin"), {})
        .then(function (opts) {
          if (create) {
            return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(opts.publicKey) });
          }
          return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts.publicKey) });
        })
        .then(function (cred) {
          var body = cred.toJSON();
          if (create) {
            var name = document.getElementById(btn.getAttribute("data-name"));
            body = { name: name ? name.value : "", credential: body };
          }
          return post(btn, btn.getAttribute("data-finish"), body);
        })
        .then(function (j) {
          window.location.assign(j.next);
        })
        .catch(function (e) {
          fail(btn, (e && e.message) || String(e));
        });
    });
  });
})();

// A revealed My Number stays on screen for data-hide-after seconds, or
// until "hide" is pressed; then it is removed from the page, not just
// hidden. Reloading the page does not reveal it again (the server keeps
// the form's one-time token).
(function () {
  var box = document.getElementById("revealed-box");
  if (!box) return;
  var left = parseInt(box.getAttribute("data-hide-after"), 10);
  var out = document.getElementById("reveal-left");
  function hide() {
    clearInterval(timer);
    box.parentNode.removeChild(box);
    var masked = document.getElementById("revealed-masked");
    if (masked) masked.hidden = false;
  }
  var timer = setInterval(function () {
    left -= 1;
    if (out) out.textContent = String(Math.max(0, left));
    if (left <= 0) hide();
  }, 1000);
  document.getElementById("reveal-hide").addEventListener("click", hide);
})();
