/* Διαβούλευση — the staff moderation page. Talks JSON with the moderation API, with the staff
   token kept in sessionStorage (this tab only). No libraries, no third-party requests.
   Statuses, the actions allowed from each, reasons and limits come from the API's summary
   (GET /v1/moderation/summary): this page keeps no copy of them. The municipality's answers
   and each item's history are in moderation-answers.js, the decision form and the last
   decision in moderation-decisions.js, the filters (kept in the address) and the counts per
   consultation in moderation-filters.js, the shortcuts and the reason picker in
   moderation-keys.js, the selection in moderation-select.js, campaign groups in
   moderation-groups.js: all loaded first. */
(function () {
  "use strict";
  var root = document.getElementById("moderation");
  if (!root || !window.fetch) { return; }
  root.hidden = false;

  var API = root.getAttribute("data-api").replace(/\/$/, "");
  var SITE = root.getAttribute("data-site") || ".";
  var KEY = "diavoulefsi-staff-token";
  var $ = function (id) { return document.getElementById(id); };
  var status = $("mod-status");
  var labels = {
    reasons: {}, status_labels: {}, respondent_types: {}, actions: {}, transitions: {}, limits: {}
  };
  var cursor = null;
  var shown = null;  // the filters of the list on screen
  var known = {};  // the items on screen, by id (the selection's decisions need their version)
  var dateFormat = new Intl.DateTimeFormat("el-GR", {
    day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Europe/Athens"
  });

  function capital(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : ""; }
  function say(text) { status.textContent = ""; window.setTimeout(function () { status.textContent = text; }, 50); }
  function token() { return window.sessionStorage.getItem(KEY); }
  function when(iso) { return iso ? dateFormat.format(new Date(iso)) : "—"; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function call(method, path, body) {
    var init = { method: method, headers: { "Authorization": "Bearer " + token(), "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (answer.status === 401) { signOut("Το διακριτικό δεν έγινε δεκτό (άκυρο, ληγμένο ή ανακλημένο).", true); }
        if (!answer.ok) {
          var error = data.error || { message: "Σφάλμα " + answer.status + "." };
          error.status = answer.status;
          throw error;
        }
        return data;
      });
    }, function () {
      throw { message: "Η υπηρεσία εποπτείας δεν απαντά. Ελέγξτε τη σύνδεση και δοκιμάστε ξανά." };
    });
  }

  /* Signed out by the API (401) or by the person: the login form again, the token field empty
     and hidden again; a refused token is the field's error, as the form shows it. */
  function signOut(message, refused) {
    window.sessionStorage.removeItem(KEY);
    $("mod-work").hidden = true;
    $("mod-login").hidden = false;
    showToken(false);
    if (refused) {
      tokenError(message);
    } else {
      tokenError("");
      $("mod-login-title").focus();
    }
    say(message);
  }

  /* The token field's error: the design system's summary at the top, linked to the field, and
     the message beside the field; the summary takes the focus. Empty text clears both. */
  function tokenError(text) {
    var input = $("mod-token");
    $("mod-token-error").textContent = text ? "Σφάλμα: " + text : "";
    $("mod-token-error").hidden = !text;
    $("mod-token-error-link").textContent = text;
    $("mod-login-errors").hidden = !text;
    $("mod-token-field").classList.toggle("govgr-field__error", Boolean(text));
    input.classList.toggle("govgr-error-input", Boolean(text));
    if (text) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "mod-token-hint mod-token-error");
      $("mod-login-errors").focus();
    } else {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "mod-token-hint");
    }
  }

  /* The «Εμφάνιση» toggle: a real button whose pressed state says whether the token shows. */
  function showToken(on) {
    $("mod-token").type = on ? "text" : "password";
    $("mod-token-show").setAttribute("aria-pressed", on ? "true" : "false");
  }

  function signIn() {
    $("mod-login").hidden = true;
    $("mod-work").hidden = false;
    return call("GET", "/v1/moderation/summary").then(function (data) {
      labels = data;
      answers.setup();
      keys.setup();
      filters.statuses(data.status_labels);
      showSummary(data);
      var broken = showBuildError(data.build_error);
      var attention = showAttention(data.attention || []);
      (broken ? $("mod-build-error-title")
        : attention ? $("mod-attention-title") : $("mod-queue-title")).focus();
      return Promise.all([filters.ready.then(function () { return loadItems(false); }), loadUnpublished()]);
    }).catch(function (error) { if (error.status !== 401) { say(error.message); } });
  }

  /* Why the last publish did not build the site (a mistake in a content file): the file, the
     field, the problem and when, as the API gives them. Returns whether there is one. */
  function showBuildError(error) {
    var details = $("mod-build-error-details");
    details.textContent = "";
    if (error) {
      var rows = [];
      if (error.file) { rows.push(["Αρχείο", el("code", { text: error.file })]); }
      if (error.field) { rows.push(["Πεδίο", document.createTextNode(error.field)]); }
      rows.push(["Πρόβλημα", document.createTextNode(error.problem || "—")]);
      if (error.at) { rows.push(["Πότε", el("time", { datetime: error.at, text: when(error.at) })]); }
      details.appendChild(el("dl", { "class": "facts mod-facts" }, rows.reduce(function (nodes, row) {
        return nodes.concat([el("dt", { text: row[0] }), el("dd", {}, [row[1]])]);
      }, [])));
    }
    $("mod-build-error").hidden = !error;
    return Boolean(error);
  }

  /* What the last publish had to leave out: the problem in Greek, the id, and a button that
     opens the item here, with its decision form. Returns whether there is anything to show. */
  function showAttention(items) {
    var list = $("mod-attention-list");
    list.textContent = "";
    items.forEach(function (entry) {
      var problem = el("p", { id: "mod-attention-problem-" + entry.id, text: entry.problem });
      var open = el("button", { type: "button", "class": "govgr-btn govgr-btn-secondary",
        text: "Άνοιγμα για απόφαση", "aria-describedby": problem.id });
      var meta = el("p", { "class": "meta" }, [document.createTextNode("Αναγνωριστικό υποβολής: "),
        el("code", { text: entry.id })]);
      var li = el("li", { id: "mod-attention-" + entry.id }, [problem, meta, open]);
      open.addEventListener("click", function () { openAttention(entry.id, li, open); });
      list.appendChild(li);
    });
    $("mod-attention").hidden = items.length === 0;
    return items.length > 0;
  }

  function openAttention(id, li, button) {
    button.disabled = true;
    call("GET", "/v1/moderation/items/" + encodeURIComponent(id)).then(function (data) {
      var node = renderItem(data.item, true, "-a");
      li.appendChild(el("ol", { "class": "mod-items" }, [node]));
      button.parentNode.removeChild(button);
      node.querySelector("h3").focus();
    }).catch(function (error) {
      button.disabled = false;
      if (error.status !== 401) { say(error.message); }
    });
  }

  function showSummary(data) {
    var parts = Object.keys(data.counts).map(function (key) {
      return (data.status_labels[key] || key) + ": " + data.counts[key];
    });
    $("mod-summary").textContent = parts.join(" · ");
    filters.waiting(data.waiting);
  }

  function refreshSummary() {
    return call("GET", "/v1/moderation/summary").then(showSummary, function () {});
  }

  /* The list's filters are read from the form when it is shown (and kept in the address);
     "more" and the reloads after a bulk action keep those of the list on screen (the cursor
     belongs to them). Null when a filter is wrong (its message is shown). */
  function query(keep) {
    if (!keep || !shown) {
      var read = filters.read();
      if (!read) { return null; }
      shown = read;
      filters.remember(shown);
      shown.set("limit", "20");
    }
    var params = new URLSearchParams(shown);
    if (cursor) { params.set("cursor", cursor); }
    return params.toString();
  }

  /* ``quiet``: reload after a bulk answer, whose result stays shown and announced. A page may
     come back empty with a cursor (the filters of one text or paragraph): the next is read. */
  function loadItems(more, quiet) {
    if (!more) { cursor = null; }
    var asked = query(more || quiet);
    if (asked === null) { return Promise.resolve(); }
    return call("GET", "/v1/moderation/items?" + asked).then(function (data) {
      var list = $("mod-items");
      if (!more) {
        list.textContent = "";
        known = {};
        answers.listing(data.status, quiet);
        groups.listing(data.status);
        select.listing(data.status);
      }
      var before = list.children.length;
      var first = groups.place(list, data.items, data.groups || {});
      cursor = data.cursor;
      if (!data.items.length && cursor) { return loadItems(true, quiet); }
      if (before && first) { first.querySelector("h3").focus(); }
      $("mod-more").hidden = !cursor;
      listed();
      if (quiet) { return; }
      var folded = groups.counts();
      var count = list.children.length - folded.rows + folded.items;
      say(before ? "Φορτώθηκαν " + data.items.length + " ακόμη υποβολές." :
        "Υποβολές: " + count + (folded.rows ? ", από τις οποίες " + folded.items + " σε " +
          (folded.rows === 1 ? "1 ομάδα" : folded.rows + " ομάδες") : "") + (cursor ? " (υπάρχουν κι άλλες)." : "."));
    }).catch(function (error) { if (error.status !== 401) { say(error.message); } });
  }

  /* After the list changed (a page more, a row decided away, a group split). */
  function listed() {
    $("mod-empty").hidden = $("mod-items").children.length > 0;
    answers.listed();
    select.listed();
  }

  /* After a decision or an answer elsewhere than an item's form (a group, the selection). */
  function changed() {
    listed();
    refreshSummary();
    loadUnpublished();
  }

  function loadUnpublished() {
    return call("GET", "/v1/moderation/decided-unpublished?limit=50").then(function (data) {
      var list = $("mod-unpublished");
      list.textContent = "";
      data.items.forEach(function (item) { list.appendChild(renderItem(item, false, "-u")); });
      $("mod-unpublished-count").textContent = data.count === 0 ?
        "Όλες οι αποφάσεις έχουν δημοσιευτεί." :
        "Σε αναμονή δημοσίευσης: " + data.count + (data.watermark ? " · τελευταία δημοσίευση αποφάσεων έως " + when(data.watermark) : "");
    }).catch(function (error) { if (error.status !== 401) { say(error.message); } });
  }

  function kindLabel(item) { return item.kind === "proposal" ? "Πρόταση" : "Σχόλιο"; }

  function describe(item) {
    var ctx = item.context || {};
    var where = [ctx.consultation_title || item.consultation];
    if (ctx.text_title) { where.push(ctx.text_title); }
    if (ctx.proposal_title) { where.push("Πρόταση: " + ctx.proposal_title); }
    var meta = el("p", { "class": "meta", text: where.join(" › ") + " · υποβλήθηκε " + when(item.created_at) });
    var who = labels.respondent_types[item.respondent_type] || item.respondent_type || "";
    var name = item.display_name || "";
    if (item.organisation_name) { name += (name ? ", " : "") + item.organisation_name; }
    var person = el("p", { "class": "meta", text: who + " · " + name + (item.publish_name ? "" : " (ανώνυμη δημοσίευση)") });
    if (!ctx.url) { return [meta, person]; }
    // On a line of its own, as tall as a finger (WCAG 2.5.8), not inside the sentence.
    var linkText = item.paragraph ? "δείτε την παράγραφο στον ιστότοπο" : "δείτε τη σελίδα στον ιστότοπο";
    return [meta, person, el("p", { "class": "mod-link" }, [el("a", { "class": "govgr-link", href: ctx.url, text: linkText })])];
  }

  /* ``suffix`` keeps the ids unique when one item shows in two lists (queue, attention). */
  function renderItem(item, withActions, suffix) {
    var id = item.id;
    known[id] = item;
    var heading = el("h3", { id: "mod-h-" + id + suffix, tabindex: "-1",
      text: kindLabel(item) + " " + (item.reference || id) });
    var article = el("article", { "class": "mod-item", "aria-labelledby": heading.id }, [heading]);
    describe(item).forEach(function (node) { article.appendChild(node); });
    if (item.title) { article.appendChild(el("p", { "class": "mod-title", text: item.title })); }
    article.appendChild(el("div", { "class": "mod-body", text: item.body || "" }));
    var last = decisions.decided(item);
    if (last) { article.appendChild(last); }
    if (withActions && suffix === "") { select.box(article, [id]); }
    answers.decorate(article, item, withActions, suffix);
    if (withActions) {
      article.appendChild(decisions.form(item, suffix));
      article.appendChild(answers.history(item, suffix));
    }
    return el("li", { id: "mod-item-" + id + suffix }, [article]);
  }

  /* The item shown again from ``item`` (after an answer: new version, answer, history). */
  function replaceItem(item, suffix) {
    var old = $("mod-item-" + item.id + suffix);
    var box = old.querySelector("input.mod-pick-box");
    var current = old.classList.contains("mod-current");
    var node = renderItem(item, true, suffix);
    node.classList.toggle("mod-current", current);
    var fresh = node.querySelector("input.mod-pick-box");
    if (box && fresh) { fresh.checked = box.checked; }
    old.parentNode.replaceChild(node, old);
    return node;
  }

  /* A decision was taken (moderation-decisions.js): the item leaves the list, the focus goes
     to the next one (or the list's heading), and the counts and the unpublished list follow. */
  function decided(item, data, body, spec, suffix) {
    var li = $("mod-item-" + item.id + suffix);
    var next = li.nextElementSibling || li.previousElementSibling;
    li.parentNode.removeChild(li);
    if (suffix === "-a") {
      $("mod-attention-" + item.id).appendChild(el("p", { "class": "meta",
        text: "Η απόφαση καταχωρίστηκε· η επόμενη δημοσίευση θα τη λάβει υπόψη." }));
    }
    listed();
    var done = labels.status_labels[spec.to] || spec.to;
    say(kindLabel(item) + " " + (data.item.reference || item.id) + ": " + done.toLowerCase() +
      (body.redacted_body ? " με απαλοιφή" : "") + ".");
    var home = suffix === "-a" ? $("mod-attention-title") : $("mod-queue-title");
    (next ? next.querySelector("h3") : home).focus();
    refreshSummary();
    loadUnpublished();
  }

  function getLabels() { return labels; }
  var keys = window.ModerationKeys({ $: $, el: el, say: say, labels: getLabels });
  var filters = window.ModerationFilters({ $: $, el: el, say: say, site: SITE });
  var decisions = window.ModerationDecisions({
    el: el, call: call, say: say, when: when, capital: capital, keyed: keys.keyed,
    labels: getLabels,
    done: decided
  });
  var answers = window.ModerationAnswers({
    $: $, el: el, call: call, say: say, when: when, capital: capital, kind: kindLabel,
    labels: function () { return labels; },
    replaceItem: replaceItem,
    reload: function () { return loadItems(false, true); },
    refreshUnpublished: loadUnpublished
  });
  var parts = {
    $: $, el: el, call: call, say: say, when: when, capital: capital, labels: getLabels,
    keyed: keys.keyed, pick: keys.pick, kind: decisions.kind, icon: decisions.icon, kindLabel: kindLabel,
    describe: describe, renderItem: renderItem, answerFields: answers.fields, changed: changed,
    remember: function (item) { known[item.id] = item; },
    item: function (id) { return known[id]; },
    reload: function () { return loadItems(false, true); }
  };
  var select = window.ModerationSelect(parts);
  parts.box = select.box;
  parts.result = select.result;
  var groups = window.ModerationGroups(parts);

  $("mod-login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("mod-token");
    var value = input.value.trim();
    if (!/^[A-Za-z0-9_-]{20,256}$/.test(value)) {
      var text = value ? "Το διακριτικό δεν έχει τη σωστή μορφή: επικολλήστε το ακριβώς όπως σας δόθηκε."
        : "Επικολλήστε το διακριτικό σας.";
      tokenError(text);
      say(text);
      return;
    }
    tokenError("");
    window.sessionStorage.setItem(KEY, value);
    input.value = "";
    showToken(false);
    signIn();
  });
  $("mod-token-show").addEventListener("click", function () {
    showToken($("mod-token-show").getAttribute("aria-pressed") !== "true");
  });
  $("mod-token-error-link").addEventListener("click", function (event) {
    event.preventDefault();
    $("mod-token").focus();
  });
  $("mod-logout").addEventListener("click", function () { signOut("Αποσυνδεθήκατε."); });
  $("mod-filter").addEventListener("submit", function (event) { event.preventDefault(); loadItems(false); });
  $("mod-more").addEventListener("click", function () { loadItems(true); });
  $("mod-unpublished-refresh").addEventListener("click", function () {
    loadUnpublished().then(function () { say("Η λίστα ανανεώθηκε."); });
  });

  if (token()) { signIn(); } else { $("mod-login").hidden = false; }
})();
