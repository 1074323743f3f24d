/* A change form with errors (templates/admin/tracker_change_form.html): the folded sections that hold an error
   open, the summary at the top takes the focus, and its links open the section of their field and focus it. */
(function () {
  "use strict";

  function openAround(element) {
    for (var el = element; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
  }

  function start() {
    document.querySelectorAll(".errorlist, .errors").forEach(openAround);
    var summary = document.getElementById("error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      openAround(target);
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
