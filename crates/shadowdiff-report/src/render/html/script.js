(function () {
  "use strict";
  var root = document.documentElement;
  var bar = document.getElementById("filters");
  if (bar) {
    var boxes = bar.querySelectorAll("input[data-hide]");
    var apply = function () {
      boxes.forEach(function (box) {
        root.classList.toggle(box.getAttribute("data-hide"), !box.checked);
      });
    };
    bar.addEventListener("change", apply);
    bar.hidden = false;
    apply();
  }
  root.dataset.ready = "1";
})();
