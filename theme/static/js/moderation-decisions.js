/* Διαβούλευση — the moderation page's decisions: the form under each item (reason, note,
   redaction, one button per action the API allows from the item's status) and the last decision
   on an item as GET /v1/moderation/items returns it (status, reason, note, who, when). Loaded
   before moderation.js, which calls window.ModerationDecisions(kit) with its helpers. Actions,
   their labels, which need a reason, the reasons and the note's limit come from the API's
   summary (GET /v1/moderation/summary): this file keeps no copy of them. */
(function () {
  "use strict";

  /* What an action does, told from what the API says of it, not from its name: the one that
     leads to the publishable status publishes; of those that need a reason, the one also allowed
     on a published item takes it down (and can be undone), any other refuses publication. Each
     kind has its own style, icon, hint and shortcut key, so «Απόρριψη» and «Απόκρυψη» never look alike. */
  var KINDS = {
    publish: { style: "govgr-btn-primary", icon: "check", key: "a",
      hint: "Δημοσιεύεται στον ιστότοπο με την επόμενη ενημέρωσή του." },
    refuse: { style: "govgr-btn-warning", icon: "cross", key: "r",
      hint: "Δεν δημοσιεύεται. Ο συντάκτης ενημερώνεται για τον λόγο και μπορεί να υποβάλει νέο κείμενο." },
    takedown: { style: "govgr-btn-secondary", icon: "eye-off", key: "h",
      hint: "Δεν εμφανίζεται στον ιστότοπο· αν έχει δημοσιευτεί, αφαιρείται. Μπορείτε να την εμφανίσετε ξανά αργότερα." }
  };
  var REDACT_HINT = "Δημοσιεύεται ξανά, με το κείμενο όπως το διορθώσατε παραπάνω.";
  var ICONS = {  // one stroked path each, 24×24, in the button's text colour
    check: "M4 12.5l5 5L20 6.5",
    cross: "M6 6l12 12M18 6L6 18",
    "eye-off": "M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12zM9.5 12a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0-5 0M4 4l16 16"
  };

  window.ModerationDecisions = function (kit) {
    var el = kit.el;

    function labels() { return kit.labels(); }

    function kindOf(action, spec) {
      spec = spec || labels().actions[action];
      if (spec.to === labels().redactable) { return KINDS.publish; }
      var published = labels().transitions[labels().redactable] || [];
      return spec.needs_reason && published.indexOf(action) >= 0 ? KINDS.takedown : KINDS.refuse;
    }

    /* Parsed from a constant string (no person's text in it): the HTML parser puts it in the
       SVG namespace. */
    function icon(name) {
      var holder = document.createElement("span");
      holder.innerHTML = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" ' +
        'class="mod-icon" data-icon="' + name + '"><path d="' + ICONS[name] + '"/></svg>';
      return holder.firstChild;
    }

    /* A labelled field of the design system; ``error`` (optional) sits between hint and control. */
    function field(labelText, control, hint, error) {
      var wrap = el("div", { "class": "govgr-field" }, [el("label", { "class": "govgr-label", "for": control.id, text: labelText })]);
      [hint, error, control].forEach(function (node) { if (node) { wrap.appendChild(node); } });
      return wrap;
    }

    /* The last decision on the item, as the API returns it; null for an item never decided. */
    function decided(item) {
      if (!item.decided_at) { return null; }
      var all = labels();
      var tag = item.status === all.redactable ? "govgr-tag__primary" : "govgr-tag__gray";
      var rows = [["Απόφαση", el("strong", { "class": tag, text: all.status_labels[item.status] || item.status })]];
      if (item.decision_reason) {
        rows.push(["Λόγος", document.createTextNode(all.reasons[item.decision_reason] || item.decision_reason)]);
      }
      if (item.decision_note) { rows.push(["Σημείωση", document.createTextNode(item.decision_note)]); }
      if (item.redacted) { rows.push(["Κείμενο", document.createTextNode("Δημοσιεύεται με απαλοιφή")]); }
      rows.push(["Από", document.createTextNode(item.decided_by || "—")]);
      rows.push(["Πότε", el("time", { datetime: item.decided_at, text: kit.when(item.decided_at) })]);
      return el("dl", { "class": "mod-decided" }, rows.map(function (row) {
        return el("div", {}, [el("dt", { text: row[0] }), el("dd", {}, [row[1]])]);
      }));
    }

    /* The buttons are the actions the API allows from the item's status, each with its hint;
       the one that keeps an item in the redactable status republishes it with the edited text. */
    function form(item, suffix) {
      var id = item.id + suffix;
      var all = labels();
      var node = el("form", { "class": "mod-decision", "aria-label": "Απόφαση για " + (item.reference || id) });
      var reason = el("select", { id: "mod-reason-" + id, "class": "govgr-select" });
      reason.appendChild(el("option", { value: "", text: "— επιλέξτε λόγο —" }));
      Object.keys(all.reasons).forEach(function (key) {
        reason.appendChild(el("option", { value: key, text: all.reasons[key] }));
      });
      var reasonError = el("p", { id: "mod-reason-error-" + id, "class": "govgr-error-message", hidden: "" });
      var note = el("input", { type: "text", id: "mod-note-" + id, "class": "govgr-input", autocomplete: "off" });
      if (all.limits.note) { note.setAttribute("maxlength", String(all.limits.note)); }
      var redacted = el("textarea", { id: "mod-redact-" + id, "class": "govgr-textarea", rows: "5" });
      redacted.value = item.body || "";
      var error = el("p", { id: "mod-error-" + id, "class": "govgr-error-message", hidden: "" });
      var actions = el("div", { "class": "mod-actions" });
      var allowed = (all.transitions[item.status] || []).filter(function (action) { return all.actions[action]; });
      var redacting = item.status === all.redactable;
      var reasonField = field("Λόγος απόρριψης ή απόκρυψης", reason, null, reasonError);
      var ui = { reason: reason, reasonField: reasonField, reasonError: reasonError, note: note,
        redacted: redacted, error: error, buttons: actions, suffix: suffix };
      allowed.forEach(function (action) {
        var spec = all.actions[action];
        var kind = kindOf(action, spec);
        var again = redacting && spec.to === item.status;
        var hint = el("p", { id: "mod-act-" + action + "-" + id, "class": "govgr-hint", text: again ? REDACT_HINT : kind.hint });
        var button = el("button", { type: "button", "class": "govgr-btn " + kind.style + " mod-" + action,
          "aria-describedby": hint.id }, [icon(kind.icon),
          document.createTextNode(again ? "Δημοσίευση με απαλοιφή" : kit.capital(spec.label))]);
        if (!again) { kit.keyed(button, kind.key); }
        if (spec.needs_reason) { button.setAttribute("data-needs-reason", ""); }
        button.addEventListener("click", function () { decide(item, action, ui); });
        actions.appendChild(el("div", { "class": "mod-action" }, [button, hint]));
      });
      var needsReason = allowed.some(function (action) { return all.actions[action].needs_reason; });
      var publishes = allowed.some(function (action) { return all.actions[action].to === all.redactable; });
      var details = el("details", { "class": "govgr-details" }, [
        el("summary", { "class": "govgr-details__summary", text: "Απαλοιφή κειμένου πριν την έγκριση" }),
        el("div", { "class": "govgr-details__summary-text" }, [field("Κείμενο που θα δημοσιευτεί", redacted,
          el("p", { "class": "govgr-hint", text: "Αφαιρέστε προσωπικά δεδομένα. Το αρχικό κείμενο φυλάσσεται μόνο στο ιστορικό αποφάσεων." }))])]);
      if (redacting) { details.open = true; }
      if (needsReason) { node.appendChild(reasonField); }
      node.appendChild(field("Σημείωση (προαιρετική, μόνο για το προσωπικό)", note));
      if (publishes) { node.appendChild(details); }
      node.appendChild(actions);
      node.appendChild(error);
      node.addEventListener("submit", function (event) { event.preventDefault(); });
      return node;
    }

    function buttons(ui, disabled) {
      Array.prototype.forEach.call(ui.buttons.querySelectorAll("button"), function (b) { b.disabled = disabled; });
    }

    /* The reason's message beside its field (the design system's error state), or none. */
    function reasonError(ui, text) {
      ui.reasonError.textContent = text;
      ui.reasonError.hidden = !text;
      ui.reasonField.classList.toggle("govgr-field__error", Boolean(text));
      ui.reason.classList.toggle("govgr-error-input", Boolean(text));
      if (text) {
        ui.reason.setAttribute("aria-invalid", "true");
        ui.reason.setAttribute("aria-describedby", ui.reasonError.id);
      } else {
        ui.reason.removeAttribute("aria-invalid");
        ui.reason.removeAttribute("aria-describedby");
      }
    }

    function decide(item, action, ui) {
      var spec = labels().actions[action];
      var body = { action: action, version: item.version };
      ui.error.hidden = true;
      if (spec.needs_reason) {
        if (!ui.reason.value) {
          var text = "Επιλέξτε λόγο για την " + spec.label + ".";
          reasonError(ui, text);
          ui.reason.focus();
          kit.say(text);
          return;
        }
        body.reason = ui.reason.value;
      }
      reasonError(ui, "");
      if (ui.note.value.trim()) { body.note = ui.note.value.trim(); }
      if (spec.to === labels().redactable && ui.redacted.value.trim() !== (item.body || "").trim()) {
        body.redacted_body = ui.redacted.value;
      }
      buttons(ui, true);
      kit.call("POST", "/v1/moderation/items/" + encodeURIComponent(item.id), body).then(function (data) {
        kit.done(item, data, body, spec, ui.suffix);
      }).catch(function (error) {
        buttons(ui, false);
        if (error.status === 401) { return; }
        var text = error.message;
        if (error.fields) {
          Object.keys(error.fields).forEach(function (name) { text += " " + error.fields[name]; });
        }
        ui.error.textContent = text + (error.status === 409 ? " Πατήστε «Εμφάνιση» για να ανανεώσετε τη λίστα." : "");
        ui.error.hidden = false;
        kit.say(ui.error.textContent);
      });
    }

    return { form: form, decided: decided, kind: kindOf, icon: icon };
  };
})();
