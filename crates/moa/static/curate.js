// Live preview on the curator's page: while a scrap is edited, the month's post is rendered again with
// the edit (nothing is saved until the form is submitted). Without JavaScript the preview shows the
// saved post.
(function () {
  var preview = document.getElementById("preview");
  if (!preview) return;
  var timer = null;
  document.querySelectorAll("form.edit").forEach(function (form) {
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(form.dataset.preview, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (text) { preview.textContent = text; })
          .catch(function () {});
      }, 250);
    });
  });
})();
