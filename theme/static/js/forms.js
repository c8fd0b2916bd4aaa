// Progressive enhancement of the submission forms. Without this script the forms post as plain
// HTML forms and the API answers with its own pages (the form again with what must be corrected,
// or a confirmation). With it: the project's own Greek checks (the wording comes from
// limits.json through the form's data-msg-* attributes), an error summary that takes focus, the
// answer in place, drafts kept on this device, and the paragraph and reply links set the form
// in place instead of opening the API's form page.
(function () {
  "use strict";
  var DRAFT_FIELDS = ["body", "title", "location"];
  var storage = (function () {
    try { localStorage.setItem("_t", "1"); localStorage.removeItem("_t"); return localStorage; }
    catch (e) { return null; }
  })();

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function draftKey(form) { return "draft:" + location.pathname + ":" + form.dataset.kind; }

  function saveDraft(form) {
    if (!storage) return;
    var data = {};
    DRAFT_FIELDS.forEach(function (name) { if (form.elements[name]) data[name] = form.elements[name].value; });
    storage.setItem(draftKey(form), JSON.stringify(data));
  }

  function restoreDraft(form) {
    if (!storage) return;
    var data = JSON.parse(storage.getItem(draftKey(form)) || "{}");
    Object.keys(data).forEach(function (name) {
      var el = form.elements[name];
      if (el && !el.value && DRAFT_FIELDS.indexOf(name) >= 0) el.value = data[name];
    });
  }

  function section(form) { return form.closest(".form-section"); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  // The control a message belongs to: a radio group's first radio (its id is f-<name>).
  function control(form, name) {
    var el = form.elements[name];
    if (el && el.length && !el.tagName) el = el[0];
    return el && el.type !== "hidden" ? el : null;
  }

  // What the API would refuse, checked here first; the API checks again whatever this says.
  function problems(form) {
    var msg = form.dataset, found = {};
    var organisation = (form.querySelector("input[name=respondent_type]:checked") || {}).value === "organisation";
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "radio" || found[el.name]) return;
      if (el.closest(".hp") || (el.closest(".org-fields") && !organisation)) return;
      var label = el.dataset.label || "";
      var value = el.type === "checkbox" ? "" : el.value.trim();
      var needed = el.required || el.closest(".org-fields");
      if (el.type === "checkbox") {
        if (el.required && !el.checked) found[el.name] = el.name === "consent" ? msg.msgConsent : fill(msg.msgRequired, { label: label });
      } else if (!value) {
        if (needed) found[el.name] = fill(msg.msgRequired, { label: label });
      } else if (el.minLength > 0 && value.length < el.minLength) {
        found[el.name] = fill(msg.msgTooShort, { label: label, min: el.minLength });
      } else if (el.maxLength > 0 && value.length > el.maxLength) {
        found[el.name] = fill(msg.msgTooLong, { label: label, max: el.maxLength });
      } else if (el.type === "email" && !/^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/.test(value)) {
        found[el.name] = msg.msgEmail;
      }
    });
    return found;
  }

  function clearErrors(form) {
    var summary = section(form).querySelector("[data-error-summary]");
    summary.hidden = true;
    summary.querySelector("ul").textContent = "";
    form.querySelectorAll(".govgr-error-message").forEach(function (p) {
      var field = p.closest(".govgr-field");
      if (field) field.classList.remove("govgr-field__error");
      form.querySelectorAll("[aria-describedby~='" + p.id + "']").forEach(function (el) {
        var rest = el.getAttribute("aria-describedby").split(" ").filter(function (id) { return id !== p.id; });
        if (rest.length) el.setAttribute("aria-describedby", rest.join(" ")); else el.removeAttribute("aria-describedby");
        el.removeAttribute("aria-invalid");
        el.classList.remove("govgr-error-input");
      });
      p.remove();
    });
  }

  function showError(form, name, message) {
    var el = control(form, name);
    if (!el) return null;
    var id = "f-" + name + "-error";
    var p = document.createElement("p");
    p.className = "govgr-error-message";
    p.id = id;
    var hidden = document.createElement("span");
    hidden.className = "vh";
    hidden.textContent = "Σφάλμα: ";
    p.appendChild(hidden);
    p.appendChild(document.createTextNode(message));
    var field = el.closest(".govgr-field");
    var before = field.querySelector(".govgr-radios, .govgr-checkboxes, input, select, textarea");
    field.insertBefore(p, before);
    field.classList.add("govgr-field__error");
    if (el.type !== "radio" && el.type !== "checkbox") el.classList.add("govgr-error-input");
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + id).trim());
    return el;
  }

  // The summary lists the problems in the form's own order and takes focus; each links to its
  // field. A problem with no field of its own (a general one) is said without a link.
  function showProblems(form, found, general) {
    var summary = section(form).querySelector("[data-error-summary]");
    var list = summary.querySelector("ul");
    if (general) {
      var li = document.createElement("li");
      li.textContent = general;
      list.appendChild(li);
    }
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      if (!name || !(name in found) || control(form, name) !== el) return;
      if (!showError(form, name, found[name])) return;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "govgr-link";
      link.href = "#" + el.id;
      link.textContent = found[name];
      link.addEventListener("click", function (event) { event.preventDefault(); el.focus(); });
      item.appendChild(link);
      list.appendChild(item);
      delete found[name];
    });
    Object.keys(found).forEach(function (name) {  // about a field the form does not show
      var li = document.createElement("li");
      li.textContent = found[name];
      list.appendChild(li);
    });
    summary.hidden = !list.children.length;
    if (!summary.hidden) summary.focus();
  }

  function payload(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "return_to" || value === "") return;
      data[name] = form.elements[name].type === "checkbox" ? true : value;
    });
    return data;
  }

  function announce(form, message) { form.querySelector(".status").textContent = message; }

  function succeeded(form, reference) {
    var place = section(form);
    if (storage) storage.removeItem(draftKey(form));
    form.reset();
    cancelReply(form);
    form.elements.submission_key.value = newKey();
    toggleOrganisation(form);
    announce(form, "");
    place.querySelector("[data-success-reference]").textContent = reference || "";
    place.querySelector("[data-success-next]").hidden = false;
    var panel = place.querySelector("[data-success]");
    panel.hidden = false;
    panel.focus();
  }

  function submit(event) {
    var form = event.target;
    event.preventDefault();
    clearErrors(form);
    section(form).querySelector("[data-success]").hidden = true;
    section(form).querySelector("[data-success-next]").hidden = true;
    var found = problems(form);
    if (Object.keys(found).length) { showProblems(form, found); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    announce(form, "Αποστολή…");
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload(form))
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 202) { succeeded(form, body.reference); return; }
        var error = body.error || {};
        var fields = error.fields || {};
        announce(form, "");
        var general = Object.keys(fields).length && error.code === "validation" ? null
          : (error.message || "Η υποβολή δεν καταχωρίστηκε.") + " Το κείμενό σας φυλάχθηκε σε αυτή τη συσκευή.";
        showProblems(form, fields, general);
      });
    }).catch(function () {
      announce(form, "");
      showProblems(form, {}, "Δεν ήταν δυνατή η σύνδεση. Το κείμενό σας φυλάχθηκε σε αυτή τη συσκευή· δοκιμάστε ξανά σε λίγο.");
    }).then(function () { button.disabled = false; });
  }

  function toggleOrganisation(form) {
    var org = form.querySelector(".org-fields");
    var checked = form.querySelector("input[name=respondent_type]:checked");
    if (org) org.hidden = !checked || checked.value !== "organisation";
  }

  function replyBox(form) { return form.querySelector("[data-reply-to]"); }

  function cancelReply(form) {
    var box = replyBox(form);
    if (!box) return;
    form.elements.parent.value = "";
    box.hidden = true;
  }

  // «Απάντηση» and «Σχόλιο στην §N»: set the form on this page instead of opening the API's.
  function aim(link) {
    var form = document.querySelector("form.submission[data-kind=comment]");
    if (!form) return;
    var tools = link.closest(".para-tools");
    var paragraph = link.getAttribute("data-paragraph") ||
      (tools && tools.querySelector("[data-paragraph]") ? tools.querySelector("[data-paragraph]").getAttribute("data-paragraph") : "");
    if (form.elements.paragraph) form.elements.paragraph.value = paragraph || "";
    var parent = link.getAttribute("data-parent");
    if (parent) {
      form.elements.parent.value = parent;
      var box = replyBox(form);
      var to = box.querySelector("[data-reply-link]");
      to.textContent = link.getAttribute("data-reference") || "";
      to.href = "#" + link.closest("li[id]").id;
      box.querySelector("[data-cancel-reply]").hidden = false;
      box.hidden = false;
    } else {
      cancelReply(form);
    }
    section(form).scrollIntoView();
    form.elements.body.focus();
  }

  document.querySelectorAll("form.submission").forEach(function (form) {
    form.noValidate = true;
    form.elements.submission_key.value = newKey();
    restoreDraft(form);
    toggleOrganisation(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { toggleOrganisation(form); });
    form.addEventListener("submit", submit);
    var cancel = form.querySelector("[data-cancel-reply]");
    if (cancel) cancel.addEventListener("click", function () { cancelReply(form); form.elements.body.focus(); });
  });
  document.querySelectorAll("a[data-parent], a[data-paragraph]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); aim(link); });
  });
})();
