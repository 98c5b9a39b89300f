// The console's appearance page (/admin/apparence): the preview follows what is typed — name,
// tagline, colours — without a round trip; each colour gets a picker kept in step with its text
// field, and its contrast line is measured again as it changes (the same rules as the server:
// white or near-black text, whichever reads better; 4.5:1 for AA; a darker shade suggested).
// Without JavaScript the "Aperçu" button asks the server for the same preview.
// No inline script or handler: the page runs under `script-src 'self'`. Colours reach the preview
// as CSS custom properties on #look-preview.
(function () {
  "use strict";
  var preview = document.getElementById("look-preview");
  if (!preview) return;

  var HEX = /^#[0-9a-fA-F]{6}$/;
  var WHITE = [255, 255, 255];
  var INK = [17, 17, 17];

  function parse(hex) {
    return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
  }

  function toHex(c) {
    return "#" + c.map(function (v) { return ("0" + v.toString(16)).slice(-2); }).join("");
  }

  function luminance(c) {
    var lin = c.map(function (v) {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function textOn(c) {
    return contrast(c, WHITE) >= contrast(c, INK) ? WHITE : INK;
  }

  // The colour darkened just enough for white text (the server's `ink_on_white`).
  function darker(c) {
    var d = c;
    for (var step = 1; step <= 20; step++) {
      if (contrast(d, WHITE) >= 4.5) return d;
      var k = 1 - step * 0.05;
      d = c.map(function (v) { return Math.round(v * k); });
    }
    return INK;
  }

  // Rewrites a colour's contrast line: the ratio, AA or not, and the darker shade to use.
  function report(line, colour, field) {
    var on = textOn(colour);
    var ratio = contrast(colour, on);
    var passes = ratio >= 4.5;
    var shown = (Math.round(ratio * 10) / 10).toFixed(1).replace(".", line.dataset.decimal || ".");
    line.textContent = "";
    line.classList.toggle("contrast--pass", passes);
    line.classList.toggle("contrast--fail", !passes);
    var text = document.createElement("span");
    text.className = "contrast__text";
    text.textContent = (passes ? line.dataset.pass : line.dataset.fail).replace("{ratio}", shown);
    line.appendChild(text);
    if (passes) return;
    var hex = toHex(darker(colour));
    var suggestion = document.createElement("span");
    suggestion.className = "contrast__suggestion";
    suggestion.appendChild(document.createTextNode(line.dataset.suggest + " "));
    var swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.backgroundColor = hex;
    suggestion.appendChild(swatch);
    var code = document.createElement("code");
    code.textContent = hex;
    suggestion.appendChild(code);
    var apply = document.createElement("button");
    apply.type = "button";
    apply.className = "contrast__apply";
    apply.textContent = line.dataset.apply;
    apply.addEventListener("click", function () {
      field.value = hex;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.focus();
    });
    suggestion.appendChild(apply);
    line.appendChild(suggestion);
  }

  function colour(name, prop) {
    var field = document.getElementById(name);
    var picker = document.getElementById(name + "-picker");
    var line = document.getElementById(name + "-contrast");
    if (!field) return;
    var last = null;
    function update() {
      var value = field.value.trim();
      if (!HEX.test(value)) return;
      value = value.toLowerCase();
      if (value === last) return;
      last = value;
      var c = parse(value);
      preview.style.setProperty("--preview-" + prop, value);
      preview.style.setProperty("--on-preview-" + prop, toHex(textOn(c)));
      if (picker && picker.value !== value) picker.value = value;
      if (line) report(line, c, field);
    }
    if (picker) {
      picker.hidden = false;
      picker.addEventListener("input", function () {
        field.value = picker.value;
        update();
      });
    }
    field.addEventListener("input", update);
    // The server measured the colour as it stands: its line stays, but a failing one gets the
    // button that applies the suggested shade.
    var value = field.value.trim().toLowerCase();
    if (HEX.test(value)) {
      last = value;
      if (line && line.classList.contains("contrast--fail")) report(line, parse(value), field);
    }
  }

  // `optional`: the preview hides the line when the field is empty (the tagline).
  function text(inputId, targetId, optional) {
    var input = document.getElementById(inputId);
    var target = document.getElementById(targetId);
    if (!input || !target) return;
    input.addEventListener("input", function () {
      var value = input.value.replace(/\s+/g, " ").trim();
      target.textContent = value;
      if (optional) target.hidden = value === "";
    });
  }

  colour("color_primary", "primary");
  colour("color_accent", "accent");
  text("name", "look-preview-name", false);
  text("tagline", "look-preview-tagline", true);
})();
