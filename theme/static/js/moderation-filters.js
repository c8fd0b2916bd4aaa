/* Διαβούλευση — the moderation page's filters and the counts beside them: status, consultation,
   text, paragraph, order, group and age, kept in the address (?status=…&group=…) so that a reload
   or a shared link shows the same list; the consultations, their texts and paragraphs from the
   site's consultations.json; how many items wait per consultation (the summary's ``waiting``),
   always shown above the list. Loaded before moderation.js, which calls
   window.ModerationFilters(kit). */
(function () {
  "use strict";

  var NAMES = ["status", "consultation", "text", "paragraph", "order", "group", "older_than"];
  var FIELDS = { older_than: "mod-filter-age" };  // the rest: mod-filter-<name>
  var GROUP = /^[0-9a-z]{1,64}$/;

  window.ModerationFilters = function (kit) {
    var $ = kit.$;
    var el = kit.el;
    var asked = new URLSearchParams(window.location.search);  // applied once each menu is filled
    var consultations = [];
    var waitingShown = null;

    function field(name) { return $(FIELDS[name] || "mod-filter-" + name); }

    /* A value from the address, once, if the menu offers it (a stale link never picks nothing). */
    function take(name) {
      var value = asked.get(name);
      var control = field(name);
      if (value === null) { return; }
      if (control.tagName === "SELECT") {
        var offered = Array.prototype.some.call(control.options, function (o) { return o.value === value; });
        if (!offered) { return; }
      }
      control.value = value;
      asked.delete(name);
    }

    function options(select, all, pairs) {
      select.textContent = "";
      select.appendChild(el("option", { value: "", text: all }));
      pairs.forEach(function (pair) { select.appendChild(el("option", { value: pair[0], text: pair[1] })); });
      select.disabled = pairs.length === 0;
    }

    function chosen(list, slug) { return (list || []).filter(function (x) { return x.slug === slug; })[0]; }

    /* The text and paragraph menus follow the chosen consultation and text (the manifest has
       the paragraphs' ids, in order, not their words: "Παράγραφος 2 (p-1a2b3c4d)"). */
    function showTexts() {
      var c = chosen(consultations, field("consultation").value);
      options(field("text"), "Όλα", (c ? c.texts || [] : []).map(function (t) { return [t.slug, t.title]; }));
      take("text");
      showParagraphs();
    }

    function showParagraphs() {
      var c = chosen(consultations, field("consultation").value);
      var t = c && chosen(c.texts, field("text").value);
      options(field("paragraph"), "Όλες", (t ? t.paragraphs || [] : []).map(function (p, n) {
        return [p, "Παράγραφος " + (n + 1) + " (" + p + ")"];
      }));
      take("paragraph");
    }

    /* Resolves once the consultations are in their menu (or could not be read). */
    var ready = fetch(new URL(kit.site.replace(/\/$/, "") + "/consultations.json", window.location.href).toString())
      .then(function (answer) { return answer.ok ? answer.json() : { consultations: [] }; })
      .then(function (data) {
        var select = field("consultation");
        consultations = data.consultations || [];
        consultations.forEach(function (c) {
          select.appendChild(el("option", { value: c.slug, text: c.title }));
        });
        take("consultation");
        showTexts();
        if (waitingShown) { showWaiting(waitingShown); }
      }).catch(function () {});
    ["order", "group", "older_than"].forEach(take);

    function title(slug) {
      var c = chosen(consultations, slug);
      return c ? c.title : slug;
    }

    /* The summary's statuses, in its order, in their menu (the address's one if it is offered). */
    function statuses(labels) {
      var select = field("status");
      var current = select.value;
      select.textContent = "";
      Object.keys(labels).forEach(function (key) {
        select.appendChild(el("option", { value: key, text: labels[key] }));
      });
      if (labels[current]) { select.value = current; }
      take("status");
    }

    /* The form's filters (empty ones left out); null, with the field's message said, when the
       group is not an id. */
    function read() {
      var params = new URLSearchParams();
      var group = field("group");
      group.value = group.value.trim().toLowerCase();
      var wrong = group.value && !GROUP.test(group.value);
      group.closest(".govgr-field").classList.toggle("govgr-field__error", Boolean(wrong));
      group.classList.toggle("govgr-error-input", Boolean(wrong));
      $("mod-filter-group-error").hidden = !wrong;
      if (wrong) {
        group.setAttribute("aria-invalid", "true");
        group.setAttribute("aria-describedby", "mod-filter-group-hint mod-filter-group-error");
        group.focus();
        kit.say($("mod-filter-group-error").textContent);
        return null;
      }
      group.removeAttribute("aria-invalid");
      group.setAttribute("aria-describedby", "mod-filter-group-hint");
      NAMES.forEach(function (name) {
        var control = field(name);
        if (control.value && !control.disabled) { params.set(name, control.value); }
      });
      return params;
    }

    /* The list's filters in the address (this entry of the history, not a new one). */
    function remember(params) {
      var kept = new URLSearchParams();
      NAMES.forEach(function (name) { if (params.get(name)) { kept.set(name, params.get(name)); } });
      var search = kept.toString();
      window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : "") + window.location.hash);
    }

    /* How many wait per consultation, the site's consultations first, in its order. */
    function showWaiting(waiting) {
      var box = $("mod-waiting-box");
      var list = $("mod-waiting");
      waitingShown = waiting || null;
      box.hidden = !waiting;
      if (!waiting) { return; }
      var order = consultations.map(function (c) { return c.slug; });
      var slugs = Object.keys(waiting).sort(function (a, b) {
        var x = order.indexOf(a), y = order.indexOf(b);
        return (x < 0 ? order.length : x) - (y < 0 ? order.length : y) || (a < b ? -1 : a > b ? 1 : 0);
      });
      list.textContent = "";
      slugs.forEach(function (slug) {
        list.appendChild(el("li", { "data-consultation": slug }, [
          document.createTextNode(title(slug) + ": "),
          el("strong", { "class": "mod-waiting-count", text: String(waiting[slug]) })]));
      });
      if (!slugs.length) { list.appendChild(el("li", { text: "Καμία υποβολή δεν περιμένει απόφαση." })); }
    }

    field("consultation").addEventListener("change", showTexts);
    field("text").addEventListener("change", showParagraphs);

    return { ready: ready, statuses: statuses, read: read, remember: remember, waiting: showWaiting, title: title };
  };
})();
