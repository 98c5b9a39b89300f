// Tag suggestions as one types: the tags in use that start with the last word typed, offered
// through the field's <datalist> as the whole value (what is typed, then the suggestion).
(function () {
  var input = document.getElementById("tags");
  var list = document.getElementById("tag-suggestions");
  if (!input || !list) return;
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var parts = input.value.split(",");
      var last = parts.pop().trim();
      if (!last) { list.textContent = ""; return; }
      var head = parts.map(function (p) { return p.trim(); }).filter(Boolean);
      fetch("/mots-cles/suggestions?q=" + encodeURIComponent(last), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (tags) {
          list.textContent = "";
          tags.forEach(function (tag) {
            if (head.indexOf(tag) !== -1) return;
            var option = document.createElement("option");
            option.value = head.concat([tag]).join(", ");
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
