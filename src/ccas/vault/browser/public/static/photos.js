/* ccas.vault — previews of the photos (or file) chosen before sending. Works without it. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-preview]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("data-preview"));
    if (!list || !window.URL) { return; }
    input.addEventListener("change", function () {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      Array.prototype.forEach.call(input.files || [], function (file, index) {
        var item = document.createElement("li");
        if (file.type.indexOf("image/") === 0) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = (list.getAttribute("data-label") || "") + " " + (index + 1);
          item.appendChild(img);
        } else {
          item.textContent = file.name;
        }
        list.appendChild(item);
      });
      var count = document.getElementById(input.getAttribute("data-count"));
      if (count) {
        var n = (input.files || []).length;
        count.textContent = n ? (count.getAttribute("data-text") || "").replace("N", n) : "";
      }
    });
  });
})();
