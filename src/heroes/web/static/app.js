/* HEROES review app: one-at-a-time reveal, keyboard review and bulk selection.
   Loaded from /static (the Content-Security-Policy allows no inline script). Decisions themselves are
   htmx POSTs declared in the page (hx-post on the category buttons and the bulk form); the CSRF token
   travels in the hx-headers attribute of <body>. */
(function () {
  "use strict";

  var revealed = null; /* the reveal button whose picture is shown clear right now (at most one) */

  function tiles() {
    return Array.prototype.slice.call(document.querySelectorAll("#review-grid .tile"));
  }

  function blurAgain(button) {
    var img = button.querySelector("img");
    if (img) {
      img.src = button.getAttribute("data-blurred-src");
      img.classList.add("blurred");
    }
    button.setAttribute("data-revealed", "false");
    if (revealed === button) {
      revealed = null;
    }
  }

  function reveal(button) {
    if (!button || button.disabled) {
      return;
    }
    if (button.getAttribute("data-revealed") === "true") {
      blurAgain(button);
      return;
    }
    if (revealed && revealed !== button) {
      blurAgain(revealed);
    }
    var img = button.querySelector("img");
    if (img) {
      img.src = button.getAttribute("data-clear-src");
      img.classList.remove("blurred");
    }
    button.setAttribute("data-revealed", "true");
    revealed = button;
  }

  function updateSelection() {
    var count = 0;
    tiles().forEach(function (tile) {
      var box = tile.querySelector("input.select");
      var on = !!(box && box.checked);
      tile.classList.toggle("selected", on);
      if (on) {
        count += 1;
      }
    });
    var label = document.getElementById("bulk-count");
    if (label) {
      label.textContent = String(count);
    }
  }

  function clearSelection() {
    tiles().forEach(function (tile) {
      var box = tile.querySelector("input.select");
      if (box) {
        box.checked = false;
      }
    });
    updateSelection();
  }

  function focusTile(all, index) {
    if (!all.length) {
      return;
    }
    all[Math.max(0, Math.min(all.length - 1, index))].focus();
  }

  function columns(all) {
    var n = 0;
    while (n < all.length && all[n].offsetTop === all[0].offsetTop) {
      n += 1;
    }
    return Math.max(1, n);
  }

  function currentIndex(all) {
    var active = document.activeElement;
    var tile = active && active.closest ? active.closest(".tile") : null;
    return tile ? all.indexOf(tile) : -1;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) {
      return;
    }
    var button = target.closest("button.reveal");
    if (button) {
      event.preventDefault();
      reveal(button);
      return;
    }
    if (target.closest("#bulk-clear")) {
      event.preventDefault();
      clearSelection();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.matches && event.target.matches("input.select")) {
      updateSelection();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("review-grid") || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (target && target.matches && target.matches("input, select, textarea, [contenteditable]")) {
      return;
    }
    var all = tiles();
    var i = currentIndex(all);
    var key = event.key;
    var handled = true;
    if (key === "ArrowRight" || key === "j") {
      focusTile(all, i + 1);
    } else if (key === "ArrowLeft" || key === "k") {
      focusTile(all, i < 0 ? 0 : i - 1);
    } else if (key === "ArrowDown") {
      focusTile(all, i < 0 ? 0 : i + columns(all));
    } else if (key === "ArrowUp") {
      focusTile(all, i < 0 ? 0 : i - columns(all));
    } else if (i >= 0 && /^[0-4]$/.test(key)) {
      var button = all[i].querySelector('button.cat[data-category="' + key + '"]');
      if (button) {
        button.click();
      }
    } else if (i >= 0 && (key === "x" || key === "X")) {
      var box = all[i].querySelector("input.select");
      if (box) {
        box.checked = !box.checked;
        updateSelection();
      }
    } else if (i >= 0 && key === "Enter" && target === all[i]) {
      reveal(all[i].querySelector("button.reveal"));
    } else if (i >= 0 && key === "o") {
      window.location.assign(all[i].getAttribute("data-href"));
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    if (detail.elt && detail.elt.id === "bulk-form" && detail.successful) {
      clearSelection();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = document.getElementById("decision-status");
    var xhr = event.detail && event.detail.xhr;
    if (status) {
      status.textContent = "Not recorded (HTTP " + (xhr ? xhr.status : "error") + "). Reload the page and try again.";
      status.classList.add("alert");
    }
  });

  document.addEventListener("DOMContentLoaded", updateSelection);
})();
