// Keeps keyboard focus in a sensible place after htmx replaces part of a page (the
// conversation after sending, the feedback form after inserting a template). Every page works
// without this file: the forms then post and reload.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    if (!swapped || !swapped.id) { return; }
    // With outerHTML the old element is gone; find its replacement by the same id.
    var region = document.getElementById(swapped.id);
    if (!region || (swapped.id !== "conversation" && swapped.id !== "feedback-form")) { return; }
    var field = region.querySelector("textarea");
    if (!field) { return; }
    field.focus();
    var end = field.value.length;
    if (end && typeof field.setSelectionRange === "function") { field.setSelectionRange(end, end); }
  });
})();
