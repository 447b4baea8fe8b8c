/* ccas.vault — the photos (or file) chosen before sending. The page works without it.

   A file input keeps only the last choice: on a phone, each camera shot replaces the
   one before. For an input marked data-shots, the shots are kept here instead, each
   one a page: thumbnails with "Monter", "Descendre", "Retirer", "Reprendre"; the
   input's files are rebuilt from them (DataTransfer), so the form sends every page,
   in this order. Without DataTransfer, the browser's own behaviour is left alone. */
(function () {
  "use strict";
  if (!window.URL) { return; }

  function texts(element) {
    try { return JSON.parse(element.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  }

  function fill(text, n) { return (text || "").replace("N", n); }

  function canRebuild() {
    try { return typeof DataTransfer === "function" && !!new DataTransfer().items; } catch (e) { return false; }
  }

  function button(label, name, icon) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-small";
    b.setAttribute("data-action", name);
    b.setAttribute("aria-label", label.long);
    b.innerHTML = '<svg class="i" aria-hidden="true"><use href="#i-' + icon + '"></use></svg>';
    var span = document.createElement("span");
    span.textContent = label.short;
    b.appendChild(span);
    return b;
  }

  /* The simple preview: what the input holds now (a file, or photos from the gallery). */
  function simplePreview(input, list) {
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
      var t = texts(input);
      var n = (input.files || []).length;
      if (count) { count.textContent = n === 0 ? "" : (n === 1 ? fill(t.one, 1) : fill(t.many, n)); }
    });
  }

  /* Shots kept one after the other, each a page. */
  function shots(input, list) {
    var t = texts(input);
    var count = document.getElementById(input.getAttribute("data-count"));
    var label = document.querySelector("label[for='" + input.id + "'] span");
    var firstLabel = label ? label.textContent : "";
    var pages = [];        // [{file, url}]
    var retakeAt = -1;
    var retake = document.createElement("input");
    retake.type = "file";
    retake.accept = input.accept;
    retake.setAttribute("capture", "environment");
    retake.hidden = true;
    retake.setAttribute("aria-hidden", "true");
    retake.tabIndex = -1;
    input.parentNode.appendChild(retake);

    function sync() {
      var transfer = new DataTransfer();
      pages.forEach(function (page) { transfer.items.add(page.file); });
      input.files = transfer.files;
    }

    function announce(extra) {
      if (!count) { return; }
      var n = pages.length;
      var said = n === 0 ? "" : (n === 1 ? fill(t.one, 1) : fill(t.many, n));
      count.textContent = (extra ? extra + " " : "") + said;
    }

    function draw(focus) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      pages.forEach(function (page, index) {
        var n = index + 1;
        var item = document.createElement("li");
        item.className = "shot";
        var img = document.createElement("img");
        img.src = page.url;
        img.alt = fill(t.page, n);
        item.appendChild(img);
        var tools = document.createElement("div");
        tools.className = "shot-tools";
        var name = document.createElement("p");
        name.className = "shot-name";
        name.textContent = fill(t.page, n);
        tools.appendChild(name);
        var up = button({short: t.up, long: fill(t.up_long, n)}, "up", "up");
        var down = button({short: t.down, long: fill(t.down_long, n)}, "down", "down");
        up.disabled = index === 0;
        down.disabled = index === pages.length - 1;
        tools.appendChild(up);
        tools.appendChild(down);
        tools.appendChild(button({short: t.retake, long: fill(t.retake_long, n)}, "retake", "camera"));
        tools.appendChild(button({short: t.remove, long: fill(t.remove_long, n)}, "remove", "close"));
        tools.setAttribute("data-index", index);
        item.appendChild(tools);
        list.appendChild(item);
      });
      if (label) { label.textContent = pages.length ? t.next : firstLabel; }
      if (focus) {
        var target = list.querySelector(focus);
        (target && !target.disabled ? target : input).focus();
      }
    }

    input.addEventListener("change", function () {
      var added = Array.prototype.slice.call(input.files || []);
      // the input now holds only the new shot(s): keep those before, then these
      added.forEach(function (file) { pages.push({file: file, url: URL.createObjectURL(file)}); });
      sync();
      draw();
      announce(added.length === 1 ? fill(t.added, pages.length) : "");
    });

    retake.addEventListener("change", function () {
      var file = retake.files && retake.files[0];
      if (file && retakeAt >= 0 && retakeAt < pages.length) {
        URL.revokeObjectURL(pages[retakeAt].url);
        pages[retakeAt] = {file: file, url: URL.createObjectURL(file)};
        sync();
        draw("[data-index='" + retakeAt + "'] [data-action=retake]");
        announce(fill(t.retaken, retakeAt + 1));
      }
      retake.value = "";
      retakeAt = -1;
    });

    list.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("button[data-action]") : null;
      if (!target) { return; }
      var index = parseInt(target.parentNode.getAttribute("data-index"), 10);
      var action = target.getAttribute("data-action");
      if (action === "retake") {
        retakeAt = index;
        retake.click();
        return;
      }
      if (action === "remove") {
        URL.revokeObjectURL(pages[index].url);
        pages.splice(index, 1);
        sync();
        draw(pages.length ? "[data-index='" + Math.min(index, pages.length - 1) + "'] [data-action=remove]" : null);
        if (!pages.length) { input.focus(); }
        announce(fill(t.removed, index + 1));
        return;
      }
      var to = action === "up" ? index - 1 : index + 1;
      if (to < 0 || to >= pages.length) { return; }
      var moved = pages.splice(index, 1)[0];
      pages.splice(to, 0, moved);
      sync();
      draw("[data-index='" + to + "'] [data-action=" + action + "]");
      announce(fill(t.moved, to + 1));
    });
  }

  var rebuild = canRebuild();
  Array.prototype.forEach.call(document.querySelectorAll("input[data-preview]"), function (input) {
    var list = document.getElementById(input.getAttribute("data-preview"));
    if (!list) { return; }
    if (input.hasAttribute("data-texts") && rebuild) {
      shots(input, list);
    } else {
      simplePreview(input, list);
    }
  });
})();
