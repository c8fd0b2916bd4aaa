/* Διαβούλευση — the moderation page's keyboard: single-key shortcuts on the list (j or ↓ next
   row, k or ↑ previous, a approve, r reject, h hide, o open a group, x select; Shift+A, Shift+R,
   Shift+H on the selected rows; ? the help), the reason picker that r and h (and the group's and
   the selection's buttons) open, and the switch «Συντομεύσεις ενεργές» that turns them all off
   (WCAG 2.1.4), remembered in this browser. A shortcut never fires while a text field, a text
   area or a menu has the focus, nor with Ctrl, Alt or Meta, which the browser and screen
   readers use. Loaded before moderation.js, which calls window.ModerationKeys(kit) first: the
   other parts mark their controls with ``keyed`` and open the picker with ``pick``. */
(function () {
  "use strict";

  var STORE = "diavoulefsi-moderation-shortcuts";
  var ROW = "#mod-items > li";

  window.ModerationKeys = function (kit) {
    var $ = kit.$;
    var el = kit.el;
    var toggle = $("mod-keys-on");
    var picker = $("mod-picker");
    var chosen = null;  // the picker's callback while it is open

    function on() { return toggle.checked; }
    function name(key) { return /^[A-Z?]$/.test(key) ? "Shift+" + key : key; }

    /* ``node`` answers to ``key``: aria-keyshortcuts tells assistive technology, while on. */
    function keyed(node, key) {
      node.setAttribute("data-key", key);
      if (on()) { node.setAttribute("aria-keyshortcuts", name(key)); }
      return node;
    }

    function marks() {
      Array.prototype.forEach.call(document.querySelectorAll("#moderation [data-key]"), function (node) {
        if (on()) {
          node.setAttribute("aria-keyshortcuts", name(node.getAttribute("data-key")));
        } else {
          node.removeAttribute("aria-keyshortcuts");
        }
      });
    }

    try { toggle.checked = window.localStorage.getItem(STORE) !== "off"; } catch (e) { toggle.checked = true; }
    marks();
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(STORE, on() ? "on" : "off"); } catch (e) { /* private mode */ }
      marks();
      kit.say(on() ? "Οι συντομεύσεις πληκτρολογίου είναι ενεργές." : "Οι συντομεύσεις πληκτρολογίου είναι ανενεργές.");
    });

    /* Typing: a text field, a text area, a menu, an editable region; a checkbox is not. */
    function typing(node) {
      if (!node || !node.tagName) { return false; }
      if (node.isContentEditable || node.tagName === "TEXTAREA" || node.tagName === "SELECT") { return true; }
      return node.tagName === "INPUT" && node.type !== "checkbox";
    }

    function rows() {
      return Array.prototype.filter.call(document.querySelectorAll(ROW), function (li) { return !li.hidden; });
    }

    function current() {
      var active = document.activeElement;
      return (active && active.closest && active.closest(ROW)) || document.querySelector(ROW + ".mod-current");
    }

    function heading(row) { return row.querySelector("h3"); }

    function move(step) {
      var all = rows();
      if (!all.length) { kit.say("Η λίστα δεν έχει υποβολές."); return; }
      var at = all.indexOf(current());
      var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : at + step;
      if (next < 0 || next >= all.length) {
        kit.say(next < 0 ? "Αρχή της λίστας." : $("mod-more").hidden ? "Τέλος της λίστας." :
          "Τέλος της σελίδας· το κουμπί «Περισσότερες υποβολές» φέρνει τις επόμενες.");
        return;
      }
      heading(all[next]).focus();
    }

    /* a, r, h, o, x on the current row: the row's control marked with that key. One that needs
       a reason in the item's own form (its menu) gets it from the picker first. */
    function act(key) {
      var row = current();
      if (!row) { kit.say("Πηγαίνετε πρώτα σε μια γραμμή της λίστας (j ή k)."); return; }
      var control = row.querySelector('[data-key="' + key + '"]');
      if (!control || control.disabled || !control.checkVisibility()) {
        kit.say("Αυτή η ενέργεια δεν υπάρχει για «" + heading(row).textContent + "».");
        return;
      }
      if (key === "x") {
        control.click();
        kit.say(heading(row).textContent + (control.checked ? ": επιλέχθηκε." : ": δεν είναι πια επιλεγμένη."));
        return;
      }
      var menu = control.hasAttribute("data-needs-reason") && control.form && control.form.querySelector("select");
      if (!menu) { control.click(); return; }
      pick({ title: "Λόγος: " + control.textContent.trim().toLowerCase(), about: heading(row).textContent,
        confirm: control.textContent.trim(), reason: menu.value }, function (reason, note) {
        menu.value = reason;
        var noteField = control.form.querySelector("input[type=text]");
        if (note && noteField) { noteField.value = note; }
        control.click();
      });
    }

    function selection(key) {
      var control = $("mod-select").querySelector('[data-key="' + key + '"]');
      if (!control || control.disabled || $("mod-select").hidden) {
        kit.say("Αυτή η ενέργεια δεν υπάρχει για τις επιλεγμένες.");
        return;
      }
      control.click();
    }

    function help() {
      $("mod-keys-list").open = true;
      $("mod-keys-title").focus();
    }

    var KEYS = {
      j: function () { move(1); }, k: function () { move(-1); },
      a: act, r: act, h: act, o: act, x: act,
      A: selection, R: selection, H: selection, "?": help
    };

    document.addEventListener("keydown", function (event) {
      var key = event.key;
      var active = document.activeElement;
      if (!on() || $("mod-work").hidden || picker.open || event.defaultPrevented || event.isComposing ||
          event.ctrlKey || event.altKey || event.metaKey || typing(active)) { return; }
      if (key === "ArrowDown" || key === "ArrowUp") {  // only from a row's heading: else they scroll
        if (event.shiftKey || !active || active.tagName !== "H3" || !active.closest(ROW)) { return; }
        key = key === "ArrowDown" ? "j" : "k";
      }
      if (!KEYS[key] && key.length === 1 && /^Key[A-Z]$/.test(event.code || "")) {
        key = event.shiftKey ? event.code.charAt(3) : event.code.charAt(3).toLowerCase();  // Greek layout
      }
      var run = KEYS[key];
      if (!run || (event.shiftKey && !/^[A-Z?]$/.test(key))) { return; }
      event.preventDefault();
      run(key);
    });
    $("mod-items").addEventListener("focusin", function (event) {
      var row = event.target.closest(ROW);
      if (!row) { return; }
      Array.prototype.forEach.call(document.querySelectorAll(ROW + ".mod-current"), function (li) {
        if (li !== row) { li.classList.remove("mod-current"); }
      });
      row.classList.add("mod-current");
    });

    /* --- the reason picker: a modal dialog; arrows choose, Enter confirms, Esc cancels -------- */
    var form = $("mod-picker-form");
    var error = $("mod-picker-error");

    function radios() { return Array.prototype.slice.call(form.querySelectorAll("input[type=radio]")); }

    function problem(text) {
      error.textContent = text;
      error.hidden = !text;
      $("mod-picker-field").classList.toggle("govgr-field__error", Boolean(text));
      radios().forEach(function (radio) {
        if (text) { radio.setAttribute("aria-invalid", "true"); } else { radio.removeAttribute("aria-invalid"); }
      });
    }

    /* The reasons, from the summary (each sign-in). */
    function setup() {
      var list = $("mod-picker-reasons");
      var reasons = kit.labels().reasons;
      list.textContent = "";
      Object.keys(reasons).forEach(function (code) {
        var radio = el("input", { type: "radio", "class": "govgr-radios__input", id: "mod-picker-r-" + code,
          name: "mod-picker-reason", value: code });
        list.appendChild(el("div", { "class": "govgr-radios__item" },
          [radio, el("label", { "class": "govgr-radios__label", "for": radio.id, text: reasons[code] })]));
      });
      var note = $("mod-picker-note");
      if (kit.labels().limits.note) { note.setAttribute("maxlength", String(kit.labels().limits.note)); }
    }

    /* Opens the picker: ``spec`` {title, about, confirm, reason?}; ``done(reason, note)`` once
       confirmed. The focus goes to the chosen (or first) reason, and back where it was after. */
    function pick(spec, done) {
      $("mod-picker-title").textContent = spec.title;
      $("mod-picker-for").textContent = spec.about;
      $("mod-picker-ok").textContent = spec.confirm;
      $("mod-picker-note").value = "";
      problem("");
      radios().forEach(function (radio) { radio.checked = radio.value === spec.reason; });
      chosen = done;
      picker.showModal();
      (radios().filter(function (radio) { return radio.checked; })[0] || radios()[0] || $("mod-picker-ok")).focus();
    }

    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.type === "radio") {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = radios().filter(function (radio) { return radio.checked; })[0];
      if (!reason) {
        problem("Επιλέξτε λόγο με τα βέλη και πατήστε Enter.");
        radios()[0].focus();
        kit.say(error.textContent);
        return;
      }
      var done = chosen;
      chosen = null;
      picker.close();
      done(reason.value, $("mod-picker-note").value.trim());
    });
    function cancel() {
      if (!chosen) { return; }
      chosen = null;
      kit.say("Ακυρώθηκε· δεν άλλαξε τίποτε.");
    }
    picker.addEventListener("cancel", cancel);  // Esc
    $("mod-picker-cancel").addEventListener("click", function () { cancel(); picker.close(); });

    return { keyed: keyed, pick: pick, setup: setup };
  };
})();
