/* The admin's deadline rule: a live preview of the next due dates, and only the anchor field the chosen anchor
   needs. The dates come from the server (DeadlineAdmin.rule_preview_view), which runs the form that saves the
   rule, so the preview and the saved deadline never differ. No inline script (Content-Security-Policy). */
(function () {
  "use strict";

  var RULE = /^(?:.*-)?(anchor_kind|anchor_framework|anchor_milestone|anchor_event|anchor_deadline|anchor_date|offset|offset_0|offset_1|recurrence|recurrence_0|recurrence_1)$/;
  var ANCHOR_FIELDS = ["anchor_framework", "anchor_milestone", "anchor_event", "anchor_deadline", "anchor_date"];
  var sequence = 0;

  function scopeOf(box) {
    return box.closest(".inline-related") || box.closest("form");
  }

  function ruleQuery(box) {
    var params = new URLSearchParams();
    scopeOf(box).querySelectorAll("input[name], select[name]").forEach(function (el) {
      var match = RULE.exec(el.name);
      if (match && !el.name.includes("__prefix__")) params.append(match[1], el.value);
    });
    if (box.dataset.object) params.append("object", box.dataset.object);
    return params;
  }

  function kindOf(box) {
    var select = Array.prototype.find.call(scopeOf(box).querySelectorAll("select[name]"), function (el) {
      return /(^|-)anchor_kind$/.test(el.name);
    });
    return select ? select.value : "";
  }

  // Show the one anchor field the chosen kind needs (all of them while no kind is chosen).
  function showAnchorField(box) {
    var needed = JSON.parse(box.dataset.anchors || "{}")[kindOf(box)];
    ANCHOR_FIELDS.forEach(function (name) {
      // Under a commitment several fields share a row: hide the field's own box, never the row.
      var boxes = scopeOf(box).querySelectorAll(".fieldBox.field-" + name);
      if (!boxes.length) boxes = scopeOf(box).querySelectorAll(".form-row.field-" + name);
      boxes.forEach(function (row) {
        row.hidden = Boolean(needed) && name !== needed && !row.querySelector(".errorlist");
      });
    });
  }

  function element(tag, text, attrs) {
    var el = document.createElement(tag);
    if (text) el.textContent = text;
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, attrs[key]); });
    return el;
  }

  function render(box, data) {
    box.replaceChildren();
    var messages = [];
    Object.keys(data.errors || {}).forEach(function (field) { messages = messages.concat(data.errors[field]); });
    if (messages.length) {
      var list = element("ul", "", { class: "tracker-rule-preview__errors" });
      messages.forEach(function (text) { list.appendChild(element("li", text)); });
      box.appendChild(list);
      return;
    }
    box.appendChild(element("p", data.rule));
    var dates = element("ol");
    data.dates.forEach(function (day) {
      var item = element("li");
      item.appendChild(element("time", day.text, { datetime: day.iso }));
      dates.appendChild(item);
    });
    box.appendChild(dates);
  }

  function refresh(box) {
    showAnchorField(box);
    var mine = ++sequence;
    box.setAttribute("aria-busy", "true");
    fetch(box.dataset.url + "?" + ruleQuery(box).toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine === sequence) render(box, data);
      })
      .catch(function () { /* the preview is a help: the form still says what is wrong when saved */ })
      .finally(function () { if (mine === sequence) box.removeAttribute("aria-busy"); });
  }

  var timers = new WeakMap();

  function changed(event) {
    var target = event.target;
    if (!target || !target.name || !RULE.test(target.name)) return;
    var scope = target.closest(".inline-related") || target.closest("form");
    var box = scope && scope.querySelector(".tracker-rule-preview");
    if (!box) return;
    if (/(^|-)anchor_kind$/.test(target.name)) showAnchorField(box);
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(function () { refresh(box); }, 250));
  }

  function start() {
    document.addEventListener("input", changed);
    document.addEventListener("change", changed);
    // Select2 (the admin's autocomplete) announces its choice through jQuery only.
    if (window.django && window.django.jQuery) window.django.jQuery(document).on("change", "select", changed);
    document.querySelectorAll(".tracker-rule-preview").forEach(function (box) {
      if (box.closest(".empty-form")) return;
      showAnchorField(box);
      // A form shown again with its errors: preview what was entered, not the saved rule.
      if (!box.dataset.object && kindOf(box)) refresh(box);
    });
    // A deadline added under a commitment ("Add another Deadline") gets its own preview.
    document.addEventListener("formset:added", function (event) {
      var box = event.target.querySelector && event.target.querySelector(".tracker-rule-preview");
      if (box) showAnchorField(box);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
