// Progressive enhancement of the submission forms. Without this script the forms post as
// ordinary HTML forms and the API redirects back to a #apostoli-… notice.
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

  function clearErrors(form) {
    form.querySelectorAll(".error").forEach(function (p) {
      var target = form.querySelector("[aria-describedby~='" + p.id + "']");
      if (target) {
        target.setAttribute("aria-describedby", target.getAttribute("aria-describedby").replace(p.id, "").trim());
        target.removeAttribute("aria-invalid");
      }
      p.remove();
    });
  }

  function showError(form, name, message) {
    var el = form.elements[name];
    if (!el) return null;
    if (el.length && !el.tagName) el = el[0];  // radio group: the first radio
    var id = "err-" + name;
    var p = document.createElement("p");
    p.className = "error";
    p.id = id;
    p.textContent = message;
    var holder = el.closest(".field, .choice, fieldset") || el.parentNode;
    holder.appendChild(p);
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + id).trim());
    return el;
  }

  function payload(form) {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "return_to" || value === "") return;
      data[name] = form.elements[name].type === "checkbox" ? true : value;
    });
    return data;
  }

  function announce(form, message) {
    var status = form.querySelector(".status");
    status.textContent = message;
    return status;
  }

  function submit(event) {
    var form = event.target;
    event.preventDefault();
    clearErrors(form);
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    announce(form, "Αποστολή…");
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload(form))
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 202) {
          if (storage) storage.removeItem(draftKey(form));
          form.reset();
          form.elements.submission_key.value = newKey();
          announce(form, "Ευχαριστούμε, η υποβολή σας καταχωρίστηκε με αριθμό αναφοράς " +
            (body.reference || "") + ". Θα δημοσιευθεί μετά τον έλεγχο. Σας στείλαμε απόδειξη " +
            "στο ηλεκτρονικό σας ταχυδρομείο, με προσωπικό σύνδεσμο για να παρακολουθείτε την " +
            "υποβολή σας, να αφαιρέσετε το όνομά σας ή να την αποσύρετε.");
          return;
        }
        var error = body.error || {};
        var first = null;
        Object.keys(error.fields || {}).forEach(function (name) {
          var el = showError(form, name, error.fields[name]);
          first = first || el;
        });
        announce(form, (error.message || "Η υποβολή δεν καταχωρίστηκε.") + " Το κείμενό σας φυλάχθηκε σε αυτή τη συσκευή.");
        if (first) first.focus();
      });
    }).catch(function () {
      announce(form, "Δεν ήταν δυνατή η σύνδεση. Το κείμενό σας φυλάχθηκε σε αυτή τη συσκευή· δοκιμάστε ξανά σε λίγο.");
    }).then(function () { button.disabled = false; });
  }

  function toggleOrganisation(form) {
    var org = form.querySelector(".org-fields");
    var checked = form.querySelector("input[name=respondent_type]:checked");
    if (org) org.hidden = !checked || checked.value !== "organisation";
  }

  function preselect(selector, attribute, field) {
    document.querySelectorAll(selector).forEach(function (link) {
      link.addEventListener("click", function () {
        var select = document.querySelector("form.submission select[name=" + field + "]");
        if (select) select.value = link.getAttribute(attribute);
        if (field === "parent" && link.closest(".para-tools")) {
          var paragraph = document.querySelector("form.submission select[name=paragraph]");
          var tools = link.closest(".para-tools").querySelector("[data-paragraph]");
          if (paragraph && tools) paragraph.value = tools.getAttribute("data-paragraph");
        }
      });
    });
  }

  var ref = new URLSearchParams(location.search).get("ref");
  if (ref && /^[A-Z0-9-]{4,20}$/.test(ref)) {
    document.querySelectorAll("[data-ref]").forEach(function (el) { el.textContent = " " + ref; });
  }

  document.querySelectorAll("form.submission").forEach(function (form) {
    form.elements.submission_key.value = newKey();
    if (location.hash === "#apostoli-ok" && storage) storage.removeItem(draftKey(form));
    restoreDraft(form);
    toggleOrganisation(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { toggleOrganisation(form); });
    form.addEventListener("submit", submit);
  });
  preselect("a[data-paragraph]", "data-paragraph", "paragraph");
  preselect("a[data-parent]", "data-parent", "parent");
})();
