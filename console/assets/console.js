// The console's own script: small conveniences; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // A long form (an import) says it is working: its button spins and the
  // person cannot send it twice.
  document.body.addEventListener("submit", function (e) {
    var f = e.target, busy = f.getAttribute && f.getAttribute("data-busy");
    if (!busy || e.defaultPrevented) {
      return;
    }
    var b = f.querySelector("button[type=submit]");
    if (b) {
      window.setTimeout(function () { b.setAttribute("aria-busy", "true"); b.disabled = true; b.textContent = busy; }, 0);
    }
  });

  // Buttons that ask before a risky change that has no preview page.
  document.body.addEventListener("click", function (e) {
    var b = e.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
});
