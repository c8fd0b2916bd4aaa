/* Διαβούλευση — the moderation page's answers: the municipality's answer to an approved comment
   or proposal (given or changed on one item, or the same answer on the items selected in the
   list) and each item's history of decisions and answers. Loaded before moderation.js, which
   calls window.ModerationAnswers(kit) with its helpers. The dispositions and their labels, the
   status whose items can be answered and the answer's limits come from the API's summary
   (GET /v1/moderation/summary): this file keeps no copy of them. */
(function () {
  "use strict";

  window.ModerationAnswers = function (kit) {
    var $ = kit.$;
    var el = kit.el;
    var answering = false;  // the list shows items that can be answered: checkboxes, bulk form
    var bulk = null;        // the bulk form's fields, built once the summary is known

    function labels() { return kit.labels(); }
    function answerable(item) { return item.status === labels().answerable; }
    function disposition(code) { return labels().dispositions[code] || code; }
    function put(node, text) { node.textContent = text; node.hidden = !text; }
    function api(id, tail) { return "/v1/moderation/items/" + encodeURIComponent(id) + (tail || ""); }

    /* The disposition radios in a fieldset, the text with its limit and a visible count, the
       API's Greek message beside each, and one more line for any other problem. */
    function fields(prefix, current) {
      var limit = labels().limits.answer;
      var choices = labels().dispositions;
      var choiceError = el("p", { id: prefix + "-disposition-error", "class": "govgr-error-message", hidden: "" });
      var list = el("div", { "class": "govgr-radios" });
      var group = el("fieldset", { "class": "govgr-fieldset mod-dispositions", "aria-describedby": choiceError.id },
        [el("legend", { "class": "govgr-fieldset__legend", text: "Έκβαση" }), choiceError, list]);
      var choiceField = el("div", { "class": "govgr-field" }, [group]);
      var radios = Object.keys(choices).map(function (code) {
        var radio = el("input", { type: "radio", "class": "govgr-radios__input", id: prefix + "-d-" + code,
          name: prefix + "-disposition", value: code });
        radio.checked = Boolean(current && current.disposition === code);
        list.appendChild(el("div", { "class": "govgr-radios__item" },
          [radio, el("label", { "class": "govgr-radios__label", "for": radio.id, text: choices[code] })]));
        return radio;
      });
      var text = el("textarea", { id: prefix + "-text", "class": "govgr-textarea", rows: "4", maxlength: String(limit.max) });
      text.value = current ? current.text || "" : "";
      var count = el("p", { id: prefix + "-count", "class": "govgr-hint mod-count" });
      var textError = el("p", { id: prefix + "-text-error", "class": "govgr-error-message", hidden: "" });
      var general = el("p", { id: prefix + "-error", "class": "govgr-error-message", hidden: "" });
      function counted() {
        count.textContent = "Χαρακτήρες: " + text.value.length + " από " + limit.max +
          " (τουλάχιστον " + limit.min + ").";
      }
      text.addEventListener("input", counted);
      counted();
      text.setAttribute("aria-describedby", count.id);
      var wrap = el("div", { "class": "govgr-field" },
        [el("label", { "class": "govgr-label", "for": text.id, text: limit.label }), textError, text, count]);
      function marked() {  // the design system's error state of each field follows its message
        choiceField.classList.toggle("govgr-field__error", !choiceError.hidden);
        wrap.classList.toggle("govgr-field__error", !textError.hidden);
        text.classList.toggle("govgr-error-input", !textError.hidden);
      }
      return {
        nodes: [choiceField, wrap, general],
        general: general,
        values: function () {
          var body = { text: text.value };
          radios.forEach(function (radio) { if (radio.checked) { body.disposition = radio.value; } });
          return body;
        },
        reset: function () {
          radios.forEach(function (radio) { radio.checked = false; });
          text.value = "";
          counted();
        },
        clear: function () {
          [choiceError, textError, general].forEach(function (node) { put(node, ""); });
          radios.forEach(function (radio) { radio.removeAttribute("aria-invalid"); });
          text.removeAttribute("aria-invalid");
          text.setAttribute("aria-describedby", count.id);
          marked();
        },
        /* Places the field messages of an API error; answers the control to focus (or null)
           and the messages that belong to no field here. */
        show: function (fieldErrors) {
          var rest = [];
          var focus = null;
          Object.keys(fieldErrors || {}).forEach(function (name) {
            if (name === "disposition") {
              put(choiceError, fieldErrors[name]);
              radios.forEach(function (radio) { radio.setAttribute("aria-invalid", "true"); });
            } else if (name === "text") {
              put(textError, fieldErrors[name]);
              text.setAttribute("aria-invalid", "true");
              text.setAttribute("aria-describedby", textError.id + " " + count.id);
            } else {
              rest.push(fieldErrors[name]);
            }
          });
          marked();
          if (!choiceError.hidden) {
            focus = radios.filter(function (radio) { return radio.checked; })[0] || radios[0];
          } else if (!textError.hidden) {
            focus = text;
          }
          return { focus: focus, rest: rest };
        }
      };
    }

    function problem(error, rest) {
      return [error.message].concat(rest || []).join(" ") +
        (error.status === 409 ? " Πατήστε «Εμφάνιση» για να ανανεώσετε τη λίστα." : "");
    }

    /* The item's answer as staff see it: the disposition's label (as text), the answer, when
       and who; or that none has been given yet. */
    function answerView(item, suffix) {
      var given = item.answer;
      var heading = el("h4", { id: "mod-answer-h-" + item.id + suffix, tabindex: "-1",
        text: labels().limits.answer.label + ": " + (given ? disposition(given.disposition) : "δεν έχει δοθεί ακόμη") });
      var box = el("div", { "class": "mod-answer" }, [heading]);
      if (given) {
        box.appendChild(el("div", { "class": "mod-body", text: given.text || "" }));
        box.appendChild(el("p", { "class": "meta",
          text: "Δόθηκε " + kit.when(given.answered_at) + " από " + (given.answered_by || "—") + "." }));
      }
      return box;
    }

    function answerForm(item, suffix) {
      var ui = fields("mod-ans-" + item.id + suffix, item.answer);
      var save = el("button", { type: "submit", "class": "govgr-btn govgr-btn-primary",
        text: item.answer ? "Αποθήκευση της αλλαγής" : "Αποθήκευση της απάντησης" });
      var form = el("form", { "class": "mod-answer-form", novalidate: "" },
        ui.nodes.slice(0, 2).concat([el("div", { "class": "mod-actions" }, [save]), ui.general]));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        ui.clear();
        var body = ui.values();
        body.version = item.version;
        save.disabled = true;
        kit.call("POST", api(item.id, "/answer"), body).then(function (data) {
          return kit.call("GET", api(item.id)).catch(function () { return { item: data.item, audit: null }; });
        }).then(function (fresh) {
          var node = kit.replaceItem(fresh.item, suffix);
          if (fresh.audit) { fillTrail(node.querySelector(".mod-history"), fresh.audit, true); }
          kit.say(kit.kind(fresh.item) + " " + (fresh.item.reference || item.id) + ": η απάντηση καταχωρίστηκε (" +
            disposition(fresh.item.answer.disposition) + ").");
          $("mod-answer-h-" + item.id + suffix).focus();
          kit.refreshUnpublished();
        }).catch(function (error) {
          save.disabled = false;
          if (error.status === 401) { return; }
          var shown = ui.show(error.fields);
          put(ui.general, problem(error, shown.rest));
          (shown.focus || save).focus();
          kit.say(ui.general.textContent);
        });
      });
      var details = el("details", { "class": "govgr-details mod-answer-edit" },
        [el("summary", { "class": "govgr-details__summary", text: item.answer ? "Αλλαγή της απάντησης" : "Καταχώριση απάντησης" }),
          el("div", { "class": "govgr-details__summary-text" }, [form])]);
      return details;
    }

    /* --- the history: decisions and answers, oldest first, loaded when first opened --------- */
    function history(item, suffix) {
      var list = el("ol", { "class": "mod-trail" });
      var details = el("details", { "class": "govgr-details mod-history", id: "mod-trail-" + item.id + suffix },
        [el("summary", { "class": "govgr-details__summary", text: "Ιστορικό αποφάσεων και απαντήσεων" }),
          el("div", { "class": "govgr-details__summary-text" }, [list])]);
      details.addEventListener("toggle", function () {
        if (!details.open || details.hasAttribute("data-loaded")) { return; }
        details.setAttribute("data-loaded", "");
        list.textContent = "";
        list.appendChild(el("li", { text: "Φόρτωση…" }));
        kit.call("GET", api(item.id)).then(function (data) { fillTrail(details, data.audit, false); })
          .catch(function (error) {
            details.removeAttribute("data-loaded");
            list.textContent = "";
            list.appendChild(el("li", { "class": "govgr-error-message", text: error.message }));
          });
      });
      return details;
    }

    function fillTrail(details, audit, open) {
      if (!details) { return; }
      var list = details.querySelector("ol");
      details.setAttribute("data-loaded", "");
      list.textContent = "";
      audit.forEach(function (entry) { list.appendChild(trailEntry(entry)); });
      if (!audit.length) { list.appendChild(el("li", { text: "Καμία απόφαση ακόμη." })); }
      if (open) { details.open = true; }
    }

    function trailEntry(entry) {
      var statuses = labels().status_labels;
      var head = kit.when(entry.at) + " · " + (entry.by || "—") + " · ";
      var more = [];
      if (entry.disposition) {  // an answer (audit action "answer")
        head += labels().limits.answer.label + ": " + disposition(entry.disposition);
        more.push(el("div", { "class": "mod-body", text: entry.answer_text || "" }));
        if (entry.previous_disposition) {
          more.push(el("p", { "class": "meta", text: "Αντικατέστησε την προηγούμενη: " +
            disposition(entry.previous_disposition) + " — " + (entry.previous_answer_text || "") }));
        }
      } else {
        var action = labels().actions[entry.action];
        head += kit.capital(action ? action.label : entry.action || "");
        if (entry.from_status && entry.to_status) {
          head += " (" + (statuses[entry.from_status] || entry.from_status) + " → " +
            (statuses[entry.to_status] || entry.to_status) + ")";
        }
        if (entry.redacted) { head += ", με απαλοιφή"; }
        if (entry.reason) { more.push(el("p", { "class": "meta", text: "Λόγος: " + (labels().reasons[entry.reason] || entry.reason) })); }
        if (entry.note) { more.push(el("p", { "class": "meta", text: "Σημείωση: " + entry.note })); }
      }
      return el("li", {}, [el("p", { "class": "mod-trail-head", text: head })].concat(more));
    }

    /* --- the bulk answer: the items selected in the list, one answer ----------------------- */
    function boxes() {
      return Array.prototype.slice.call($("mod-items").querySelectorAll("input.mod-pick-box"));
    }

    function counted() {
      var all = boxes();
      var picked = all.filter(function (box) { return box.checked; });
      var every = $("mod-pick-all");
      every.checked = all.length > 0 && picked.length === all.length;
      every.indeterminate = picked.length > 0 && picked.length < all.length;
      $("mod-pick-all-wrap").hidden = !answering || all.length === 0;
      $("mod-bulk").hidden = !answering || all.length === 0;
      $("mod-bulk-count").textContent = "Επιλεγμένες: " + picked.length + " από " + all.length + ".";
      return picked;
    }

    function report(data, refs) {
      var result = $("mod-bulk-result");
      var line = "Απαντήθηκαν: " + data.answered.length + ". Δεν απαντήθηκαν: " + data.failed.length + ".";
      result.textContent = "";
      result.appendChild(el("p", { "class": "mod-result-line", text: line }));
      if (data.failed.length) {
        result.appendChild(el("ul", {}, data.failed.map(function (failed) {
          return el("li", { text: (refs[failed.id] || failed.id) + ": " + failed.message });
        })));
        result.appendChild(el("p", { "class": "govgr-hint", text: "Όσες δεν απαντήθηκαν έμειναν επιλεγμένες." }));
      }
      result.hidden = false;
      return line + data.failed.map(function (failed) {
        return " " + (refs[failed.id] || failed.id) + ": " + failed.message;
      }).join("");
    }

    function submitBulk(event) {
      event.preventDefault();
      var button = $("mod-bulk-submit");
      var idsError = $("mod-bulk-ids-error");
      bulk.clear();
      put(idsError, "");
      var refs = {};
      var body = bulk.values();
      body.ids = counted().map(function (box) { refs[box.value] = box.getAttribute("data-ref"); return box.value; });
      button.disabled = true;
      kit.call("POST", "/v1/moderation/answers", body).then(function (data) {
        var said = report(data, refs);
        var again = data.failed.map(function (failed) { return failed.id; });
        if (!again.length) { bulk.reset(); }
        return kit.reload().then(function () {
          boxes().forEach(function (box) { box.checked = again.indexOf(box.value) >= 0; });
          counted();
          button.disabled = false;
          $("mod-bulk-result").focus();
          kit.say(said);
          kit.refreshUnpublished();
        });
      }).catch(function (error) {
        button.disabled = false;
        if (error.status === 401) { return; }
        var fieldErrors = error.fields || {};
        if (fieldErrors.ids) { put(idsError, fieldErrors.ids); delete fieldErrors.ids; }
        var shown = bulk.show(fieldErrors);
        put(bulk.general, problem(error, shown.rest));
        (shown.focus || (idsError.hidden ? button : $("mod-pick-all"))).focus();
        kit.say([bulk.general.textContent, idsError.textContent].join(" "));
      });
    }

    $("mod-pick-all").addEventListener("change", function () {
      var on = $("mod-pick-all").checked;
      boxes().forEach(function (box) { box.checked = on; });
      counted();
    });
    $("mod-items").addEventListener("change", function (event) {
      if (event.target.classList.contains("mod-pick-box")) { counted(); }
    });
    $("mod-bulk-form").addEventListener("submit", submitBulk);

    return {
      /* Once the summary is known (each sign-in): the bulk form's fields and its hint. */
      setup: function () {
        bulk = fields("mod-bulk-answer", null);
        var box = $("mod-bulk-fields");
        box.textContent = "";
        bulk.nodes.forEach(function (node) { box.appendChild(node); });
        $("mod-bulk-hint").textContent = "Η ίδια απάντηση καταχωρίζεται σε καθεμία από τις επιλεγμένες υποβολές, " +
          "έως " + labels().limits.answer_ids + " σε μία φορά. Όσες δεν απαντηθούν μένουν επιλεγμένες, με τον λόγο.";
      },
      /* A new first page of the list, of items in ``status``; ``keep``: leave the last bulk
         result shown (the list reloads after a bulk answer). */
      listing: function (status, keep) {
        answering = status === labels().answerable;
        if (!keep) { put($("mod-bulk-result"), ""); }
      },
      /* After the list changed (a page more, an item decided away). */
      listed: function () { counted(); },
      /* In renderItem: the answer and its form, in the item's article (the row's checkbox,
         which the bulk answer reads, is moderation-select.js's). */
      decorate: function (article, item, withActions, suffix) {
        if (!answerable(item) && !item.answer) { return; }
        var box = article.appendChild(answerView(item, suffix));
        if (withActions && answerable(item)) { box.appendChild(answerForm(item, suffix)); }
      },
      history: history,
      fields: fields  // the answer's fields, for a group's answer (moderation-groups.js)
    };
  };
})();
