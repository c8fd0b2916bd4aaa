/* Διαβούλευση — the moderation page's selection: a checkbox on every row of the list (an item, or
   a group's members on this page), «select all on this page», and one decision for the selected
   items, taken as one conditional decision per item (POST /v1/moderation/items/{id}, with the
   version read): one that changed meanwhile (409) is reported by its reference in Greek and stays
   selected; the others go on. The result of this and of a group's decision is shown above the
   list (``result``). Loaded before moderation.js, which calls window.ModerationSelect(kit). */
(function () {
  "use strict";

  window.ModerationSelect = function (kit) {
    var $ = kit.$;
    var el = kit.el;
    var status = null;  // the list's status: the actions offered are those allowed from it

    function labels() { return kit.labels(); }

    function boxes() {
      return Array.prototype.slice.call($("mod-items").querySelectorAll("input.mod-pick-box, input.mod-pick-group"));
    }

    /* The selected items' ids (a group's box stands for its members on this page). */
    function selected() {
      return boxes().filter(function (box) { return box.checked; }).reduce(function (ids, box) {
        return ids.concat(box.classList.contains("mod-pick-group") ? box.getAttribute("data-ids").split(" ") : [box.value]);
      }, []);
    }

    /* The checkbox after a row's heading: ``ids`` one item, or a group's members on this page. */
    function box(article, ids, group) {
      var heading = article.querySelector("h3");
      var input = el("input", { type: "checkbox", id: group ? "mod-pick-g-" + group : "mod-pick-" + ids[0],
        "class": "govgr-checkboxes__input " + (group ? "mod-pick-group" : "mod-pick-box"),
        "data-ref": heading.textContent });
      if (group) { input.setAttribute("data-ids", ids.join(" ")); } else { input.value = ids[0]; }
      kit.keyed(input, "x");
      var label = el("label", { "class": "govgr-checkboxes__label", "for": input.id,
        text: group ? "Επιλογή της ομάδας (τα μέλη της σε αυτή τη σελίδα)" : "Επιλογή (" + heading.textContent + ")" });
      article.insertBefore(el("div", { "class": "govgr-checkboxes mod-pick" },
        [el("div", { "class": "govgr-checkboxes__item" }, [input, label])]), heading.nextSibling);
      return input;
    }

    function counted() {
      var all = boxes();
      var picked = all.filter(function (b) { return b.checked; });
      var every = $("mod-select-all");
      var ids = selected();
      every.checked = all.length > 0 && picked.length === all.length;
      every.indeterminate = picked.length > 0 && picked.length < all.length;
      $("mod-select").hidden = all.length === 0 || !$("mod-select-actions").children.length;
      $("mod-select-all-wrap").hidden = !$("mod-pick-all-wrap").hidden;  // one «select all» at a time
      $("mod-select-count").textContent = "Επιλεγμένες υποβολές: " + ids.length + ".";
    }

    /* A new list of items in ``listStatus``: one button per action allowed from it (not the
       redaction, which needs the item's own form), each with its shortcut. */
    function listing(listStatus) {
      status = listStatus;
      var actions = $("mod-select-actions");
      var all = labels();
      actions.textContent = "";
      (all.transitions[status] || []).forEach(function (action) {
        var spec = all.actions[action];
        if (!spec || spec.to === status) { return; }
        var kind = kit.kind(action);
        var button = el("button", { type: "button", "class": "govgr-btn " + kind.style },
          [kit.icon(kind.icon), document.createTextNode(kit.capital(spec.label) + " των επιλεγμένων")]);
        kit.keyed(button, kind.key.toUpperCase());
        button.addEventListener("click", function () { start(action, button); });
        actions.appendChild(button);
      });
      result(null);
      counted();
    }

    function start(action, button) {
      var spec = labels().actions[action];
      var ids = selected();
      if (!ids.length) {
        var text = "Δεν έχετε επιλέξει υποβολές: το πλαίσιο «Επιλογή» κάθε γραμμής ή το πλήκτρο x.";
        result([text]);
        $("mod-result").focus();
        kit.say(text);
        return;
      }
      if (!spec.needs_reason) { run(action, ids, null, null); return; }
      kit.pick({ title: "Λόγος: " + spec.label + " των επιλεγμένων", about: "Επιλεγμένες υποβολές: " + ids.length + ".",
        confirm: button.textContent }, function (reason, note) { run(action, ids, reason, note); });
    }

    function reference(id) {
      var item = kit.item(id);
      return item ? kit.kindLabel(item) + " " + (item.reference || id) : id;
    }

    /* One conditional decision per item, one after the other; the list reloads after them. */
    function run(action, ids, reason, note) {
      var spec = labels().actions[action];
      var done = [];
      var failed = [];
      var stopped = false;
      buttons(true);
      kit.say("Απόφαση για " + ids.length + " υποβολές…");
      ids.reduce(function (chain, id, n) {
        return chain.then(function () {
          var item = kit.item(id);
          if (stopped || !item) { return null; }
          var body = { action: action, version: item.version };
          if (reason) { body.reason = reason; }
          if (note) { body.note = note; }
          return kit.call("POST", "/v1/moderation/items/" + encodeURIComponent(id), body).then(function () {
            done.push(id);
            if ((n + 1) % 10 === 0) { kit.say("Έγιναν " + (n + 1) + " από " + ids.length + "…"); }
          }, function (error) {
            if (error.status === 401) { stopped = true; return; }
            failed.push({ id: id, error: error });
          });
        });
      }, Promise.resolve()).then(function () {
        if (stopped) { return null; }
        var lines = [kit.capital(spec.label) + " των επιλεγμένων: έγινε σε " + done.length + ", δεν έγινε σε " + failed.length + "."];
        var details = failed.map(function (f) {
          return reference(f.id) + ": " + (f.error.status === 409 ?
            "άλλαξε στο μεταξύ (από άλλο μέλος του προσωπικού ή τον συντάκτη) και δεν κρίθηκε· " : "") + f.error.message;
        });
        if (failed.length) { details.push("Όσες δεν κρίθηκαν έμειναν επιλεγμένες."); }
        var again = failed.map(function (f) { return f.id; });
        return kit.reload().then(function () {
          boxes().forEach(function (b) {
            b.checked = (b.classList.contains("mod-pick-group") ? b.getAttribute("data-ids").split(" ") : [b.value])
              .some(function (id) { return again.indexOf(id) >= 0; });
          });
          counted();
          kit.changed();
          result(lines, details);
          $("mod-result").focus();
          kit.say(lines.concat(details).join(" "));
        });
      }).then(function () { buttons(false); }, function () { buttons(false); });
    }

    function buttons(disabled) {
      Array.prototype.forEach.call($("mod-select-actions").querySelectorAll("button"), function (b) { b.disabled = disabled; });
    }

    /* The last bulk or group result above the list: its lines, then a list of details (or none). */
    function result(lines, details) {
      var box = $("mod-result");
      box.textContent = "";
      box.hidden = !lines;
      if (!lines) { return; }
      lines.forEach(function (line, n) { box.appendChild(el("p", { "class": n ? "" : "mod-result-line", text: line })); });
      if (details && details.length) {
        box.appendChild(el("ul", {}, details.map(function (line) { return el("li", { text: line }); })));
      }
    }

    function all(on) {
      boxes().forEach(function (b) { b.checked = on; });
      counted();
    }

    $("mod-select-all").addEventListener("change", function () { all($("mod-select-all").checked); });
    $("mod-pick-all").addEventListener("change", function () { all($("mod-pick-all").checked); });
    $("mod-items").addEventListener("change", function (event) {
      if (event.target.type === "checkbox") { counted(); }
    });

    return { box: box, listing: listing, listed: counted, result: result, selected: selected };
  };
})();
