// Hiring Hare's own script, small and optional: every page works without it.
//
// @mention suggestions. A comment textarea (data-mentions) asks /mentions
// for people through htmx as one types; this script sends only what follows
// the @ at the caret (not the whole text, which stays out of URLs and logs),
// puts a chosen handle at the caret, and lets the arrow keys move between
// the textarea and the suggestions.
(function () {
  "use strict";

  // What follows an @ just before the caret, or null when no handle is
  // being typed there (an email address is not a mention).
  function typing(area) {
    var before = area.value.slice(0, area.selectionStart);
    var m = /(^|[^A-Za-z0-9.])@([A-Za-z0-9.]*)$/.exec(before);
    return m ? m[2] : null;
  }

  function suggestions(area) {
    return document.getElementById(area.id + "-suggestions");
  }

  function areaOf(button) {
    var field = button.closest(".mention-field");
    return field && field.querySelector("textarea[data-mentions]");
  }

  function insert(area, handle) {
    var caret = area.selectionStart;
    var before = area.value.slice(0, caret);
    var after = area.value.slice(area.selectionEnd);
    var m = /@[A-Za-z0-9.]*$/.exec(before);
    var start = m ? caret - m[0].length : caret;
    var text = "@" + handle + " ";
    area.value = before.slice(0, start) + text + after;
    area.focus();
    area.setSelectionRange(start + text.length, start + text.length);
    suggestions(area).innerHTML = "";
  }

  document.addEventListener("htmx:config:request", function (e) {
    var ctx = e.detail && e.detail.ctx;
    var area = ctx && ctx.sourceElement;
    if (!area || !area.matches || !area.matches("textarea[data-mentions]")) return;
    var q = typing(area);
    if (q === null) {
      e.preventDefault();
      suggestions(area).innerHTML = "";
      return;
    }
    ctx.request.body.delete("body");
    ctx.request.body.set("q", q);
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-handle]");
    var area = button && areaOf(button);
    if (area) insert(area, button.getAttribute("data-handle"));
  });

  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (el.matches && el.matches("textarea[data-mentions]")) {
      var first = suggestions(el) && suggestions(el).querySelector("button[data-handle]");
      if (first && e.key === "ArrowDown") {
        e.preventDefault();
        first.focus();
      } else if (e.key === "Escape" && suggestions(el)) {
        suggestions(el).innerHTML = "";
      }
      return;
    }
    var button = el.closest && el.closest("button[data-handle]");
    var area = button && areaOf(button);
    if (!area) return;
    var all = Array.prototype.slice.call(suggestions(area).querySelectorAll("button[data-handle]"));
    var i = all.indexOf(button);
    if (e.key === "ArrowDown" && i + 1 < all.length) {
      e.preventDefault();
      all[i + 1].focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      (i > 0 ? all[i - 1] : area).focus();
    } else if (e.key === "Escape") {
      e.preventDefault();
      suggestions(area).innerHTML = "";
      area.focus();
    }
  });
})();

// The error summary at the top of a form: its links move the focus into
// the field they name (following the link alone only scrolls to it).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    e.preventDefault();
    field.focus();
  });
})();

// The board: a card is dragged to another column with the pointer (mouse,
// pen or finger); dropping it submits the card's Move button with that
// column's stage: the same form the keyboard, and a browser without
// JavaScript, use. Columns a card may not be dropped on (the ends, reached
// by rejecting with a reason) are not among its form's stages.
(function () {
  "use strict";
  var drag = null;

  function columnAt(x, y) {
    drag.card.style.visibility = "hidden";
    var el = document.elementFromPoint(x, y);
    drag.card.style.visibility = "";
    return el && el.closest(".board-column");
  }

  function highlight(column) {
    if (column === drag.over) return;
    if (drag.over) drag.over.classList.remove("drop-target");
    drag.over = column;
    if (column) column.classList.add("drop-target");
  }

  document.addEventListener("pointerdown", function (e) {
    var card = e.target.closest && e.target.closest(".card-item[data-draggable]");
    if (!card || e.button !== 0 || e.target.closest("a, button, select, input, label")) return;
    drag = { card: card, x: e.clientX, y: e.clientY, moved: false, over: null };
  });

  document.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x;
    var dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 6) return;
    drag.moved = true;
    e.preventDefault();
    drag.card.classList.add("dragging");
    drag.card.style.transform = "translate(" + dx + "px, " + dy + "px)";
    highlight(columnAt(e.clientX, e.clientY));
  });

  function end(drop) {
    if (!drag) return;
    var d = drag;
    drag = null;
    if (d.over) d.over.classList.remove("drop-target");
    d.card.classList.remove("dragging");
    d.card.style.transform = "";
    if (!drop || !d.moved || !d.over) return;
    // A live update may have redrawn the board meanwhile: the card as the
    // page holds it now, in the column now under the pointer's drop.
    var card = document.getElementById(d.card.id) || d.card;
    var over = document.querySelector(".board-column[data-stage='" + d.over.getAttribute("data-stage") + "']");
    d.over = over || d.over;
    var select = card.querySelector(".card-move select");
    var button = card.querySelector(".card-move button");
    var stage = d.over.getAttribute("data-stage");
    var known = select && Array.prototype.some.call(select.options, function (o) { return o.value === stage; });
    if (!known || !button || select.value === stage) return;
    select.value = stage;
    select.form.requestSubmit(button);
  }

  document.addEventListener("pointerup", function () { end(true); });
  document.addEventListener("pointercancel", function () { end(false); });
})();
