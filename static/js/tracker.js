/* The tracker's own small scripts (no inline scripts: the pages run under a strict Content-Security-Policy).
   - On a small screen the list filter hides behind a "Show filters" button (it stays open when it has an
     error, and on wide screens). Without JavaScript the filter is simply always open. */
(function () {
  "use strict";

  var narrow = window.matchMedia("(max-width: 63.99em)");

  function setupFilterToggle(button) {
    var form = document.getElementById(button.getAttribute("aria-controls"));
    if (!form) return;
    function show(open) {
      form.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? button.dataset.hide : button.dataset.show;
    }
    function fit() {
      if (narrow.matches) {
        button.hidden = false;
        show(form.classList.contains("tracker-filter-form--errors"));
      } else {
        button.hidden = true;
        show(true);
      }
    }
    button.addEventListener("click", function () {
      show(form.hidden);
      if (!form.hidden) {
        var first = form.querySelector("input, select, textarea");
        if (first) first.focus();
      }
    });
    if (narrow.addEventListener) narrow.addEventListener("change", fit);
    fit();
  }

  document.querySelectorAll(".tracker-filters__toggle").forEach(setupFilterToggle);
})();
