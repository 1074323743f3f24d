/* The admin's forms, made safe and named (templates/admin/base_site.html loads this, deferred).
   - Enter never picks a partial match: typing "United States" and Enter picks United States (the server lists
     the exact name first, agreements/admin.py) or nothing, never "Export-Import Bank of the United States".
     A click, or the arrow keys then Enter, still picks any result.
   - Each Select2 box and its search field carry the name of their field's label, and each field of a tabular
     inline that has no label (a row's "Delete?" box) the name of its column, so that screen readers (and axe)
     know what they are for. */
(function () {
  "use strict";

  var moved = false; // the clerk chose with the arrow keys since they last typed

  function normal(text) {
    return (text || "").trim().toLowerCase();
  }

  function onSelecting(event) {
    var args = (event.params && event.params.args) || {};
    if (args.originalEvent || moved) return; // a click, or a result chosen with the arrow keys
    var field = document.activeElement;
    if (!field || !field.classList.contains("select2-search__field")) return;
    var typed = normal(field.value);
    if (typed && args.data && normal(args.data.text) !== typed) event.preventDefault();
  }

  function labelOf(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    var text = label ? label.textContent.replace(/:\s*$/, "").trim() : "";
    if (!text) {
      // A tabular inline's cell: its column header names it.
      var cell = select.closest("td");
      var table = cell && cell.closest("table");
      var header = table && table.querySelectorAll("thead th")[cell.cellIndex];
      text = header ? header.textContent.trim() : select.name;
    }
    return text;
  }

  function name(root) {
    (root || document).querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      if (select.name.includes("__prefix__")) return;
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      var text = labelOf(select);
      container.querySelectorAll(".select2-search__field").forEach(function (el) {
        el.setAttribute("aria-label", text);
      });
      // A single choice: the field's name, then what is chosen (Select2 named it by the choice alone).
      var chosen = select.multiple ? "" : select.selectedOptions.length ? select.selectedOptions[0].text : "";
      container.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(function (el) {
        el.setAttribute("aria-label", chosen ? text + ": " + chosen : text);
        el.removeAttribute("aria-labelledby");
      });
    });
    // The filter_horizontal widget's search icon carries an aria-label that a bare <span> may not have.
    (root || document).querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    (root || document).querySelectorAll(".tabular td input:not([type=hidden]), .tabular td select").forEach(
      function (field) {
        if (field.name.includes("__prefix__") || field.classList.contains("admin-autocomplete")) return;
        if (field.getAttribute("aria-label") || (field.id && document.querySelector('label[for="' + field.id + '"]'))) {
          return;
        }
        var row = field.closest("tr");
        var number = row && row.id ? " " + (parseInt(row.id.split("-").pop(), 10) + 1) : "";
        field.setAttribute("aria-label", labelOf(field) + number);
      }
    );
  }

  function nameOpenSearch(event) {
    // The dropdown's own search field, made when it opens.
    var select = event.target;
    var search = document.querySelector(".select2-container--open .select2-dropdown .select2-search__field");
    if (search) search.setAttribute("aria-label", labelOf(select));
  }

  function start() {
    var $ = window.django && window.django.jQuery;
    if (!$) return;
    $(document).on("select2:selecting", onSelecting);
    $(document).on("select2:open", nameOpenSearch);
    // After Select2 has drawn its boxes (admin/js/autocomplete.js, on the same ready), and for added inline rows.
    $(function () { setTimeout(function () { name(document); }, 0); });
    // The filter_horizontal widgets are drawn on the window's load.
    window.addEventListener("load", function () { setTimeout(function () { name(document); }, 0); });
    $(document).on("formset:added", function (event) { setTimeout(function () { name(event.target); }, 0); });
    $(document).on("select2:select select2:unselect select2:close", function () { name(document); });
    document.addEventListener("keydown", function (event) {
      if (event.target.classList && event.target.classList.contains("select2-search__field")) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") moved = true;
      }
    }, true);
    document.addEventListener("input", function (event) {
      if (event.target.classList && event.target.classList.contains("select2-search__field")) moved = false;
    }, true);
  }

  start();
})();
