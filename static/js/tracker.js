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

  /* USWDS writes its file input's words in English; the field's wrapper carries them in the page's language
     (data-file-*), and they are put back after USWDS builds or updates the box. */
  function translateFileInput(group) {
    var d = group.dataset;
    group.querySelectorAll(".usa-file-input__drag-text").forEach(function (e) { e.textContent = d.fileDrag; });
    group.querySelectorAll(".usa-file-input__instructions .usa-file-input__choose").forEach(function (e) {
      e.textContent = d.fileChoose;
    });
    group.querySelectorAll(".usa-file-input__preview-heading").forEach(function (heading) {
      var choose = heading.querySelector(".usa-file-input__choose");
      if (choose && heading.firstChild && heading.firstChild.nodeType === 3) {
        heading.firstChild.textContent = d.fileSelected + " ";
        choose.textContent = d.fileChange;
      }
    });
    var input = group.querySelector("input[type=file]");
    if (input && !group.querySelector(".usa-file-input__preview-heading")) {
      input.setAttribute("aria-label", d.fileDrag + " " + d.fileChoose);
    }
  }

  function setupFileInputs() {
    document.querySelectorAll("[data-file-drag]").forEach(function (group) {
      translateFileInput(group);
      group.addEventListener("change", function () {
        window.setTimeout(function () { translateFileInput(group); }, 0);
      });
    });
  }

  // After USWDS, which builds the file input when the document is ready.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupFileInputs);
  } else {
    setupFileInputs();
  }
})();
