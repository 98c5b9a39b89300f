// "Insert an image": the chosen file is sent to /medias/images (checked, re-encoded and stored by
// the server) and the Markdown it answers is put where the cursor is in the text.
(function () {
  var box = document.getElementById("image-insert");
  var file = document.getElementById("image-file");
  var status = document.getElementById("image-status");
  var body = document.getElementById("body");
  var form = box && box.closest("form");
  if (!box || !file || !body || !form || !window.fetch || !window.FormData) return;
  box.hidden = false;
  file.addEventListener("change", function () {
    if (!file.files.length) return;
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("image", file.files[0]);
    status.textContent = box.dataset.sending;
    fetch("/medias/images", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, json: j }; }); })
      .then(function (res) {
        if (!res.ok) { status.textContent = res.json.error || ""; return; }
        var at = body.selectionStart != null ? body.selectionStart : body.value.length;
        var before = body.value.slice(0, at), after = body.value.slice(at);
        var snippet = (before && !/\n$/.test(before) ? "\n\n" : "") + res.json.markdown + "\n\n";
        body.value = before + snippet + after;
        body.selectionStart = body.selectionEnd = at + snippet.length;
        status.textContent = box.dataset.done;
        file.value = "";
        body.focus();
      })
      .catch(function () { status.textContent = ""; });
  });
})();
