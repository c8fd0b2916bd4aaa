/* Διαβούλευση — the moderation page's campaign groups: the items of one group on the page shown as
   one row (its count, the representative text, what each member adds), decided or answered as a
   whole through the group routes (POST /v1/moderation/groups/{id} and …/answer, called again
   while ``remaining`` > 0, the progress said in the live region), opened (its members, GET
   /v1/moderation/groups/{id}) and an item split out of it (POST …/items/{id}/split). Items not in
   a group are moderation.js's. Loaded before moderation.js, which calls
   window.ModerationGroups(kit). */
(function () {
  "use strict";

  var ROUNDS = 500;   // a group route that never finishes stops here, resumable by a new click

  window.ModerationGroups = function (kit) {
    var $ = kit.$;
    var el = kit.el;
    var rows = {};      // group id → {id, summary, items: its members on this page, node, ui}
    var status = null;  // the list's status

    function labels() { return kit.labels(); }
    function api(id, tail) { return "/v1/moderation/groups/" + encodeURIComponent(id) + (tail || ""); }
    function members(n) { return n === 1 ? "1 μέλος" : n + " μέλη"; }
    function number(n, one, many) { return members(n) + " " + (n === 1 ? one : many); }  // the verb agrees
    function statusLabel(code) { return labels().status_labels[code] || code; }
    function ref(id) {
      var item = kit.item(id);
      return item ? kit.kindLabel(item) + " " + (item.reference || id) : id;
    }

    /* A group is one row while it has other members and this list's status among theirs. */
    function foldable(summary) {
      return Boolean(summary && summary.count > 1 && (summary.statuses || {})[status] > 0);
    }

    /* The page's items into the list: a group's into its row (made at its first member). */
    function place(list, items, groups) {
      var first = null;
      items.forEach(function (item) {
        var summary = item.group && groups && groups[item.group];
        var node;
        if (foldable(summary)) {
          kit.remember(item);
          var row = rows[item.group];
          if (row && row.node.parentNode) {
            row.items.push(item);
            paint(row);
            return;
          }
          row = rows[item.group] = { id: item.group, summary: summary, items: [item] };
          node = list.appendChild(render(row));
        } else {
          node = list.appendChild(kit.renderItem(item, true, ""));
        }
        first = first || node;
      });
      return first;
    }

    function render(row) {
      var gid = row.id;
      var ui = row.ui = {
        heading: el("h3", { id: "mod-gh-" + gid, tabindex: "-1" }),
        where: el("p", { "class": "meta" }),
        page: el("p", { "class": "meta" }),
        common: el("div", { "class": "mod-common" }),
        diffs: el("div", { "class": "mod-diffs" }),
        progress: el("p", { "class": "mod-progress", hidden: "" }),
        error: el("p", { "class": "govgr-error-message", id: "mod-gerr-" + gid, hidden: "" })
      };
      var article = el("article", { "class": "mod-item mod-group", "aria-labelledby": ui.heading.id },
        [ui.heading, ui.where, ui.page, ui.common, ui.diffs]);
      ui.box = kit.box(article, [], gid);
      article.appendChild(decisionButtons(row));
      article.appendChild(ui.progress);
      article.appendChild(ui.error);
      ui.answer = article.appendChild(el("div"));
      article.appendChild(membersBox(row));
      row.node = el("li", { id: "mod-group-" + gid, "class": "mod-group-row", "data-group": gid }, [article]);
      paint(row);
      return row.node;
    }

    /* What the row says, from its summary and its members on this page (again after a change). */
    function paint(row) {
      var ui = row.ui;
      var summary = row.summary;
      var rep = summary.representative || {};
      var all = labels();
      ui.heading.textContent = "Ομάδα " + summary.count + " σχεδόν ίδιων υποβολών";
      var ctx = rep.context || {};
      var target = summary.target || {};
      ui.where.textContent = [ctx.consultation_title || target.consultation || rep.consultation,
        ctx.text_title || (ctx.proposal_title && "Πρόταση: " + ctx.proposal_title)].filter(Boolean).join(" › ") + " · " +
        Object.keys(summary.statuses || {}).map(function (code) {
          return statusLabel(code) + ": " + summary.statuses[code];
        }).join(" · ");
      ui.page.textContent = "Σε αυτή τη σελίδα: " + row.items.map(function (item) {
        return item.reference || item.id;
      }).join(", ") + ".";
      ui.box.setAttribute("data-ids", row.items.map(function (item) { return item.id; }).join(" "));
      ui.common.textContent = "";
      ui.common.appendChild(el("h4", { text: "Κοινό κείμενο (η πρώτη υποβολή, " + kit.kindLabel(rep) + " " + (rep.reference || rep.id) + ")" }));
      if (rep.title) { ui.common.appendChild(el("p", { "class": "mod-title", text: rep.title })); }
      ui.common.appendChild(el("div", { "class": "mod-body", text: rep.body || "" }));
      var diffs = (summary.differences || []).filter(function (d) { return d.added && d.added.length; });
      ui.diffs.textContent = "";
      ui.diffs.appendChild(el("h4", { text: "Τι προσθέτουν τα μέλη" }));
      if (!diffs.length) { ui.diffs.appendChild(el("p", { "class": "meta", text: "Κανένα μέλος δεν προσθέτει κάτι στο κοινό κείμενο." })); }
      ui.diffs.appendChild(el("ul", { "class": "mod-added" }, diffs.map(function (d) {
        return el("li", {}, [el("strong", { text: ref(d.id) + ": " }),
          el("ul", {}, d.added.map(function (line) { return el("li", { text: "«" + line + "»" }); }))]);
      })));
      if ((summary.differences || []).length < summary.count - 1) {
        ui.diffs.appendChild(el("p", { "class": "govgr-hint", text: "Εξετάστηκαν τα πρώτα " +
          members((summary.differences || []).length) + "· όλα τα μέλη με την «Προβολή όλων των μελών»." }));
      }
      var answerable = (summary.statuses || {})[all.answerable] > 0;
      if (!answerable) { ui.answer.textContent = ""; } else if (!ui.answer.firstChild) { ui.answer.appendChild(answerForm(row)); }
    }

    /* --- one decision for the whole group ---------------------------------------------------- */
    function decisionButtons(row) {
      var all = labels();
      var scope = el("p", { id: "mod-gscope-" + row.id, "class": "govgr-hint", text: "Μία απόφαση για κάθε μέλος της " +
        "ομάδας σε «" + statusLabel(status) + "», και όσα δεν είναι σε αυτή τη σελίδα· όσα έχουν ήδη κριθεί κρατούν την απόφασή τους." });
      var box = el("div", { "class": "mod-actions" }, [scope]);
      (all.transitions[status] || []).forEach(function (action) {
        var spec = all.actions[action];
        if (!spec || spec.to === status) { return; }
        var kind = kit.kind(action);
        var hint = el("p", { id: "mod-gact-" + action + "-" + row.id, "class": "govgr-hint", text: kind.hint });
        var button = el("button", { type: "button", "class": "govgr-btn " + kind.style, "aria-describedby": hint.id + " " + scope.id },
          [kit.icon(kind.icon), document.createTextNode(kit.capital(spec.label) + " όλης της ομάδας")]);
        kit.keyed(button, kind.key);
        button.addEventListener("click", function () {
          if (!spec.needs_reason) { decide(row, action, null, null); return; }
          kit.pick({ title: "Λόγος: " + spec.label + " όλης της ομάδας", about: row.ui.heading.textContent,
            confirm: button.textContent }, function (reason, note) { decide(row, action, reason, note); });
        });
        box.appendChild(el("div", { "class": "mod-action" }, [button, hint]));
      });
      return box;
    }

    function busy(row, on) {
      Array.prototype.forEach.call(row.node.querySelectorAll(".mod-actions button, .mod-group-answer button"),
        function (b) { b.disabled = on; });
    }

    function failed(row, error) {
      busy(row, false);
      row.ui.progress.hidden = true;
      if (error.status === 401) { return; }
      row.ui.error.textContent = error.message + (error.status === 409 ?
        " Η ομάδα άλλαξε στο μεταξύ· πατήστε «Εμφάνιση» για να ανανεώσετε τη λίστα." : " Ό,τι έγινε μένει· πατήστε ξανά για να συνεχίσετε.");
      row.ui.error.hidden = false;
      kit.say(row.ui.error.textContent);
    }

    /* A group route called until nothing remains; ``lists`` are the answer's lists to add up. */
    function repeat(row, path, body, lists, said) {
      var total = {};
      lists.forEach(function (name) { total[name] = []; });
      var rounds = 0;
      function step() {
        return kit.call("POST", api(row.id, path), body).then(function (data) {
          var moved = 0;
          lists.forEach(function (name) {
            if (name === "already") { return; }
            total[name] = total[name].concat(data[name] || []);
            moved += (data[name] || []).length;
          });
          /* ``already`` is the group's state at each call: the last one's, less what this run did */
          var done = total[lists[0]];
          total.already = (data.already || []).filter(function (id) { return done.indexOf(id) < 0; });
          total.kept = data.kept || [];
          rounds += 1;
          if (!(data.remaining > 0)) { return total; }
          if (!moved || rounds >= ROUNDS) {
            throw { message: "Η εργασία στην ομάδα δεν ολοκληρώθηκε: απομένουν " + members(data.remaining) + "." };
          }
          var text = said(total) + " Απομένουν " + data.remaining + "…";
          row.ui.progress.textContent = text;
          row.ui.progress.hidden = false;
          kit.say(text);
          return step();
        });
      }
      row.ui.error.hidden = true;
      busy(row, true);
      return step();
    }

    /* «N μέλη είχαν ήδη κριθεί και κράτησαν την πρώτη απόφαση: …»: those the route found
       changed meanwhile and those decided otherwise before the run (``kept``), by reference. */
    function kept(list) {
      var named = list.map(function (c) { return ref(c.id) + " (" + statusLabel(c.status) + ")"; });
      var n = list.length;
      if (!n) { return []; }
      return [(n === 1 ? "1 μέλος είχε ήδη κριθεί και κράτησε την πρώτη απόφαση: " :
        n + " μέλη είχαν ήδη κριθεί και κράτησαν την πρώτη απόφαση: ") + named.join(", ") + "."];
    }

    function decide(row, action, reason, note) {
      var spec = labels().actions[action];
      var body = { action: action, status: status };
      if (reason) { body.reason = reason; }
      if (note) { body.note = note; }
      repeat(row, "", body, ["decided", "already", "conflicts"], function (t) {
        return kit.capital(spec.label) + " της ομάδας: " + members(t.decided.length + t.already.length) + " μέχρι τώρα.";
      }).then(function (total) {
        var lines = [row.ui.heading.textContent + " — " + spec.label + ": " + number(total.decided.length, "έγινε", "έγιναν") +
          " «" + statusLabel(spec.to) + "»."];
        if (total.already.length) { lines.push(number(total.already.length, "είχε", "είχαν") + " ήδη αυτή την απόφαση."); }
        lines = lines.concat(kept(total.conflicts.concat(total.kept)));
        var li = row.node;
        var next = li.nextElementSibling || li.previousElementSibling;
        li.parentNode.removeChild(li);
        delete rows[row.id];
        kit.result(lines);
        kit.say(lines.join(" "));
        (next ? next.querySelector("h3") : $("mod-queue-title")).focus();
        kit.changed();
      }).catch(function (error) { failed(row, error); });
    }

    /* --- one answer for the group's approved members ---------------------------------------- */
    function answerForm(row) {
      var ui = kit.answerFields("mod-gans-" + row.id, null);
      var save = el("button", { type: "submit", "class": "govgr-btn govgr-btn-primary", text: "Απάντηση σε όλα τα μέλη που μπορούν να απαντηθούν" });
      var done = el("p", { "class": "mod-result-line", tabindex: "-1", hidden: "" });
      var form = el("form", { "class": "mod-answer-form", novalidate: "" },
        ui.nodes.slice(0, 2).concat([el("div", { "class": "mod-actions" }, [save]), ui.general, done]));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        ui.clear();
        done.hidden = true;
        var body = ui.values();
        repeat(row, "/answer", body, ["answered", "already", "conflicts"], function (t) {
          return "Απάντηση στην ομάδα: " + members(t.answered.length + t.already.length) + " μέχρι τώρα.";
        }).then(function (total) {
          busy(row, false);
          row.ui.progress.hidden = true;
          var lines = [(total.answered.length === 1 ? "Απαντήθηκε " : "Απαντήθηκαν ") + members(total.answered.length) + " της ομάδας (" +
            (labels().dispositions[body.disposition] || body.disposition) + ")."];
          if (total.already.length) { lines.push(number(total.already.length, "είχε", "είχαν") + " ήδη αυτή την απάντηση."); }
          if (total.conflicts.length) {
            lines.push(number(total.conflicts.length, "δεν απαντήθηκε, γιατί άλλαξε", "δεν απαντήθηκαν, γιατί άλλαξαν") + " στο μεταξύ: " +
              total.conflicts.map(function (c) { return ref(c.id) + " (" + statusLabel(c.status) + ")"; }).join(", ") + ".");
          }
          done.textContent = lines.join(" ");
          done.hidden = false;
          done.focus();
          kit.say(done.textContent);
          ui.reset();
          kit.changed();
        }).catch(function (error) {
          busy(row, false);
          row.ui.progress.hidden = true;
          if (error.status === 401) { return; }
          var shown = ui.show(error.fields);
          ui.general.textContent = [error.message].concat(shown.rest).join(" ");
          ui.general.hidden = false;
          (shown.focus || save).focus();
          kit.say(ui.general.textContent);
        });
      });
      return el("details", { "class": "govgr-details mod-group-answer" },
        [el("summary", { "class": "govgr-details__summary", text: labels().limits.answer.label + " σε όλη την ομάδα" }),
          el("div", { "class": "govgr-details__summary-text" }, [
            el("p", { "class": "govgr-hint", text: "Η ίδια απάντηση σε κάθε μέλος που μπορεί να απαντηθεί (" +
              statusLabel(labels().answerable) + "), και όσα δεν είναι σε αυτή τη σελίδα." }), form])]);
    }

    /* --- the group opened: its members, and an item split out of it -------------------------- */
    function membersBox(row) {
      var gid = row.id;
      var heading = el("h4", { id: "mod-gmh-" + gid, tabindex: "-1", text: "Όλα τα μέλη της ομάδας" });
      var list = el("ol", { "class": "mod-members" });
      var more = el("button", { type: "button", "class": "govgr-btn govgr-btn-secondary", hidden: "", text: "Περισσότερα μέλη" });
      var error = el("p", { "class": "govgr-error-message", hidden: "" });
      var box = el("div", { id: "mod-gm-" + gid, "class": "mod-members-box", hidden: "" }, [heading, list, more, error]);
      var open = el("button", { type: "button", "class": "govgr-btn govgr-btn-secondary", "aria-expanded": "false",
        "aria-controls": box.id, text: "Προβολή όλων των μελών" });
      kit.keyed(open, "o");
      row.members = { box: box, list: list, more: more, error: error, heading: heading, cursor: null, loaded: false };
      function load() {
        var query = new URLSearchParams({ status: status, limit: "20" });
        if (row.members.cursor) { query.set("cursor", row.members.cursor); }
        error.hidden = true;
        return kit.call("GET", api(gid, "?" + query)).then(function (data) {
          row.summary = data.group || row.summary;
          paint(row);
          (data.items || []).forEach(function (item) { list.appendChild(member(row, item)); });
          row.members.cursor = data.cursor || null;
          row.members.loaded = true;
          more.hidden = !data.cursor;
          return data;
        }).catch(function (problem) {
          if (problem.status === 401) { return null; }
          error.textContent = problem.message;
          error.hidden = false;
          kit.say(problem.message);
          return null;
        });
      }
      open.addEventListener("click", function () {
        var opening = box.hidden;
        box.hidden = !opening;
        open.setAttribute("aria-expanded", opening ? "true" : "false");
        open.textContent = opening ? "Κλείσιμο της λίστας μελών" : "Προβολή όλων των μελών";
        if (!opening) { kit.say("Η λίστα μελών έκλεισε."); return; }
        (row.members.loaded ? Promise.resolve(true) : load()).then(function (data) {
          if (!data) { return; }
          heading.focus();
          kit.say(row.ui.heading.textContent + ": " + list.children.length + " μέλη στη λίστα" + (more.hidden ? "." : ", υπάρχουν κι άλλα."));
        });
      });
      more.addEventListener("click", function () {
        var before = list.children.length;
        load().then(function (data) {
          if (data && list.children[before]) { list.children[before].querySelector("h5").focus(); }
        });
      });
      return el("div", { "class": "mod-group-open" }, [el("p", {}, [open]), box]);
    }

    function member(row, item) {
      var heading = el("h5", { id: "mod-gmi-" + item.id, tabindex: "-1",
        text: kit.kindLabel(item) + " " + (item.reference || item.id) + " · " + statusLabel(item.status) });
      var added = item.added && item.added.length ?
        [el("p", { "class": "meta", text: "Προσθέτει στο κοινό κείμενο:" }),
          el("ul", { "class": "mod-added" }, item.added.map(function (line) { return el("li", { text: "«" + line + "»" }); }))] :
        [el("p", { "class": "meta", text: "Δεν προσθέτει τίποτε στο κοινό κείμενο." })];
      var split = el("button", { type: "button", "class": "govgr-btn govgr-btn-secondary", "aria-describedby": heading.id,
        text: "Αφαίρεση από την ομάδα" });
      var error = el("p", { "class": "govgr-error-message", hidden: "" });
      var li = el("li", { id: "mod-gmember-" + item.id, "class": "mod-member" },
        [heading].concat(kit.describe(item), [el("div", { "class": "mod-body", text: item.body || "" })], added,
          [el("p", {}, [split]), error]));
      if (item.title) { li.insertBefore(el("p", { "class": "mod-title", text: item.title }), li.querySelector(".mod-body")); }
      split.addEventListener("click", function () { splitOut(row, item, li, split, error); });
      return li;
    }

    /* The item leaves the group: its row of its own after the group's, if it is on this page;
       the group's summary read again (a group left with one member is no group any more). */
    function splitOut(row, item, li, button, error) {
      button.disabled = true;
      error.hidden = true;
      kit.call("POST", "/v1/moderation/items/" + encodeURIComponent(item.id) + "/split", { version: item.version }).then(function (data) {
        var onPage = row.items.some(function (i) { return i.id === item.id; });
        var own = null;
        li.parentNode.removeChild(li);
        row.items = row.items.filter(function (i) { return i.id !== item.id; });
        if (onPage && data.item.status === status) {
          own = kit.renderItem(data.item, true, "");
          row.node.parentNode.insertBefore(own, row.node.nextSibling);
        }
        var said = kit.kindLabel(item) + " " + (item.reference || item.id) + ": αφαιρέθηκε από την ομάδα" +
          (own ? " και εμφανίζεται πλέον χωριστά, μετά την ομάδα." : ".");
        return kit.call("GET", api(row.id, "?" + new URLSearchParams({ status: status, limit: "1" }))).then(function (fresh) {
          row.summary = fresh.group || row.summary;
        }, function () { row.summary.count -= 1; }).then(function () {
          if (!row.items.length || row.summary.count < 2) { unfold(row); } else { paint(row); }
          kit.say(said);
          (own ? own.querySelector("h3") : row.node.parentNode ? row.members.heading : $("mod-queue-title")).focus();
          kit.changed();
        });
      }).catch(function (problem) {
        button.disabled = false;
        if (problem.status === 401) { return; }
        error.textContent = problem.message + (problem.status === 409 ?
          " Η υποβολή άλλαξε στο μεταξύ· κλείστε και ανοίξτε ξανά τη λίστα μελών." : "");
        error.hidden = false;
        kit.say(error.textContent);
      });
    }

    /* The group's members on this page become rows of their own. */
    function unfold(row) {
      var li = row.node;
      row.items.forEach(function (item) { li.parentNode.insertBefore(kit.renderItem(item, true, ""), li); });
      li.parentNode.removeChild(li);
      delete rows[row.id];
    }

    return {
      listing: function (listStatus) { status = listStatus; rows = {}; },
      place: place,
      /* Items shown in group rows, and how many rows. */
      counts: function () {
        var shown = Object.keys(rows).filter(function (id) { return rows[id].node.parentNode; });
        return { rows: shown.length, items: shown.reduce(function (n, id) { return n + rows[id].items.length; }, 0) };
      }
    };
  };
})();
