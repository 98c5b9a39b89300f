// Opening a network.
// The form (/ouvrir): says whether the sub-domain typed is free, a moment after one stops typing
// (at least three characters), from the server's answer to `data-check?nom=…` ({state, message,
// alternative?}); a suggested sub-domain is a button that fills the field. Without JavaScript the
// form works the same: the server checks the address when it is sent.
// The page after paying (/ouvrir/merci), while the region is being opened: asks for the page again
// every few seconds and reloads it once it has changed (without JavaScript, a <noscript> refresh).
// No inline script or handler: the pages run under `script-src 'self'`.
(function () {
  "use strict";
  var field = document.getElementById("subdomain");
  var status = document.getElementById("subdomain-status");
  if (!field || !status || !field.dataset.check) return;

  var timer = null;
  var asked = "";

  function fill(value) {
    field.value = value;
    field.focus();
    check();
  }

  function show(text, state, alternative) {
    status.textContent = "";
    status.classList.toggle("availability--ok", state === "available");
    status.classList.toggle("availability--error", state === "taken" || state === "looks_like" || state === "invalid");
    var message = document.createElement("span");
    message.className = "availability__message";
    message.textContent = text;
    status.appendChild(message);
    if (alternative) {
      var use = document.createElement("button");
      use.type = "button";
      use.className = "availability__use";
      use.textContent = (status.dataset.use || "{name}").replace("{name}", alternative);
      use.addEventListener("click", function () { fill(alternative); });
      status.appendChild(document.createTextNode(" "));
      status.appendChild(use);
    }
  }

  function check() {
    clearTimeout(timer);
    var value = field.value.trim();
    if (value.length < 3) {
      asked = "";
      status.textContent = "";
      status.classList.remove("availability--ok", "availability--error");
      return;
    }
    if (value === asked) return;
    asked = value;
    status.classList.remove("availability--ok", "availability--error");
    status.textContent = status.dataset.checking || "";
    fetch(field.dataset.check + "?nom=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (answer) {
        // A slower answer to an older value is not shown.
        if (field.value.trim() !== value) return;
        show(answer.message || "", answer.state, answer.alternative);
      })
      .catch(function () {
        if (field.value.trim() !== value) return;
        asked = "";
        show(status.dataset.unreachable || "", "", null);
      });
  }

  field.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });

  // The server's own suggestion (after a refused sending).
  Array.prototype.forEach.call(document.querySelectorAll("[data-fill-subdomain]"), function (button) {
    button.addEventListener("click", function () { fill(button.dataset.fillSubdomain); });
  });
})();

(function () {
  "use strict";
  var marker = document.querySelector("[data-pending-refresh]");
  if (!marker || !window.fetch) return;
  var delay = (parseInt(marker.getAttribute("data-pending-refresh"), 10) || 3) * 1000;
  var tries = 0;

  function again() {
    tries += 1;
    // After a few minutes, ask less often.
    setTimeout(ask, tries > 60 ? delay * 5 : delay);
  }

  function ask() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && html.indexOf("data-pending-refresh") === -1) {
          window.location.reload();
        } else {
          again();
        }
      })
      .catch(again);
  }

  again();
})();
