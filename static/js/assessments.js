// Questionnaire pages: a clickable body map and visual analogue sliders. Both enhance plain form
// fields (checkboxes, a number field) that work without this file.
(function () {
  "use strict";

  function initBodyMap(root) {
    var boxes = {};
    root.querySelectorAll("[data-region-checkbox]").forEach(function (box) {
      boxes[box.value] = box;
    });
    var shapes = root.querySelectorAll("[data-region]");

    function paint() {
      shapes.forEach(function (shape) {
        var box = boxes[shape.getAttribute("data-region")];
        shape.classList.toggle("is-selected", Boolean(box && box.checked));
      });
    }

    root.classList.add("is-interactive");
    shapes.forEach(function (shape) {
      shape.addEventListener("click", function () {
        var box = boxes[shape.getAttribute("data-region")];
        if (!box) { return; }
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    Object.keys(boxes).forEach(function (key) {
      boxes[key].addEventListener("change", paint);
    });
    paint();
  }

  function initVas(root) {
    var slider = root.querySelector("[data-vas-slider]");
    var range = root.querySelector("[data-vas-range]");
    var number = root.querySelector("[data-vas-number]");
    var output = root.querySelector("[data-vas-output]");
    var clear = root.querySelector("[data-vas-clear]");
    if (!slider || !range || !number || !output) { return; }
    var unsetText = range.getAttribute("data-unset-text") || "";

    // "Not answered" must not look like an answer: until the slider is touched its thumb is hidden
    // and the number field stays empty, so 0 is never recorded by default.
    function show(value) {
      if (value === "") {
        range.classList.add("is-unset");
        range.setAttribute("aria-valuetext", unsetText);
        output.textContent = unsetText;
      } else {
        range.classList.remove("is-unset");
        range.value = value;
        range.setAttribute("aria-valuetext", value);
        output.textContent = value;
      }
    }

    function choose(value) {
      range.value = value;
      number.value = value;
      show(value);
    }

    range.addEventListener("input", function () {
      choose(range.value);
    });
    // An unanswered slider has no position: its hidden thumb rests at the middle only because
    // a range input must have a value. So the first key press must not count from there (the
    // first arrow would otherwise give 51, which nobody chose). Home and End give the ends, as
    // asked; any other key that moves a slider puts the answer at the middle, shown and read
    // out as "50", from where the next presses move it. Nothing is recorded before a key press.
    var START = { Home: "0", End: "100" };
    var MOVES = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown"];
    range.addEventListener("keydown", function (event) {
      if (!range.classList.contains("is-unset")) { return; }
      var start = START[event.key] || (MOVES.indexOf(event.key) !== -1 ? "50" : "");
      if (!start) { return; }
      event.preventDefault();
      choose(start);
    });
    // A tap exactly on the hidden middle changes nothing, so no input event: answer it here.
    range.addEventListener("pointerup", function () {
      if (range.classList.contains("is-unset")) { choose(range.value); }
    });
    number.addEventListener("input", function () {
      var value = number.value.trim();
      var parsed = Number(value);
      show(value === "" || isNaN(parsed) || parsed < 0 || parsed > 100 ? "" : String(Math.round(parsed)));
    });
    if (clear) {
      clear.addEventListener("click", function () {
        number.value = "";
        show("");
        range.focus();
      });
    }
    slider.hidden = false;
    show(number.value.trim());
  }

  function init() {
    document.querySelectorAll("[data-bodymap]").forEach(initBodyMap);
    document.querySelectorAll("[data-vas]").forEach(initVas);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
