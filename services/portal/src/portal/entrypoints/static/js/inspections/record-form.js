// The record form on a phone: show the sub-reason only where the category takes one, and the
// item lines only while the target was inspected. Without this script every field shows and
// the form still works (the service judges what is sent).
(function () {
  "use strict";
  var PENDING = "发现问题待后续处理";

  function toggle(el, shown) {
    if (el) { el.hidden = !shown; }
  }

  function syncRow(row) {
    var select = row.querySelector("[data-category]");
    var pending = row.querySelector("[data-pending]");
    var needs = select.value === PENDING;
    var invalid = pending && pending.classList.contains("invalid");
    toggle(pending, needs || invalid);
  }

  function syncOutcome(form) {
    var choice = form.querySelector("[data-not-inspected]");
    if (!choice) { return; }
    var notInspected = choice.value !== "";
    toggle(form.querySelector("[data-items]"), !notInspected);
    toggle(form.querySelector("[data-not-inspected-only]"), notInspected);
  }

  document.querySelectorAll("form.record-form").forEach(function (form) {
    form.querySelectorAll("[data-row]").forEach(function (row) {
      syncRow(row);
      row.querySelector("[data-category]").addEventListener("change", function () { syncRow(row); });
    });
    syncOutcome(form);
    var choice = form.querySelector("[data-not-inspected]");
    if (choice) { choice.addEventListener("change", function () { syncOutcome(form); }); }
  });
})();
