// After the activity log is saved in place (htmx), put keyboard focus where the person goes
// next: the first field with an error, or the first field of the empty form to log another.
// The page works without this file: the form then posts and the page reloads.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    if (!swapped || swapped.id !== "activity-log") { return; }
    var region = document.getElementById("activity-log");
    if (!region) { return; }
    var field = region.querySelector("[aria-invalid='true']") || region.querySelector("#log select, #log input:not([type=hidden])");
    if (field) { field.focus(); }
  });
})();
