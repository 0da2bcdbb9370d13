// Dark mode toggle: follows the system until the reader chooses; the choice is kept in localStorage,
// never in a cookie. Without JavaScript the button stays hidden and the system setting applies.
(function () {
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("moa-theme"); } catch (e) {}
  if (saved === "light" || saved === "dark") root.dataset.theme = saved;
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var current = function () {
      return root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    };
    var label = function () {
      var dark = current() === "dark";
      // The button names what it switches to, in the page's language.
      button.textContent = dark ? button.dataset.light : button.dataset.dark;
      button.setAttribute("aria-pressed", dark ? "true" : "false");
    };
    button.hidden = false;
    label();
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("moa-theme", next); } catch (e) {}
      label();
    });
  });
})();
