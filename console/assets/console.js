// The console's own script: small conveniences; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // Buttons that ask before a risky change that has no preview page.
  document.body.addEventListener("click", function (e) {
    var b = e.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
});
