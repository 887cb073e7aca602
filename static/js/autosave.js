// Autosave for exercise answers and diary entries, on top of htmx (loaded by base.html).
//
// Forms marked data-autosave="answer" post while the participant types (hx-trigger on the
// form); forms marked data-autosave="entry" post on submit. Either way, nothing typed is lost:
//  - every edit is kept as a draft in localStorage until the server confirms it;
//  - a network error or a server error retries with a growing delay, and again when the
//    browser comes back online;
//  - a session that has ended (401, a CSRF refusal after signing in elsewhere, or a redirect to
//    the sign-in page) keeps the draft, offers a sign-in link in a new tab, and re-sends the
//    draft as soon as /programme/session/ says the participant is back;
//  - a save based on an old revision is refused by the server (409), which shows the newer
//    text beside this window's text; nothing is overwritten silently.
// Every page works without this file: the forms are ordinary forms.
(function () {
  "use strict";

  var RETRY_DELAYS = [2000, 5000, 10000, 30000, 60000];
  var SESSION_POLL = 5000;
  var DRAFT_PREFIX = "icbt-draft:";
  var storage = openStorage();
  var waitingForSignIn = [];
  var sessionTimer = null;

  function openStorage() {
    try {
      var probe = DRAFT_PREFIX + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function autosaveForm(element) {
    var form = element && element.closest ? element.closest("form[data-autosave]") : null;
    return form && document.body.contains(form) ? form : null;
  }

  function state(form) {
    if (!form._autosave) {
      form._autosave = { edits: 0, sentEdits: 0, retries: 0, timer: null, inFlight: false, submitter: null };
    }
    return form._autosave;
  }

  // --- Drafts ---------------------------------------------------------------------------

  function isDraftField(name) {
    return name.indexOf("a-") === 0 || name === "entry_token";
  }

  function fieldPairs(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (isDraftField(name)) pairs.push([name, String(value)]);
    });
    return pairs;
  }

  function revisionInput(form) {
    return form.querySelector("input[name=revision]");
  }

  function draftKey(form) {
    return DRAFT_PREFIX + form.dataset.draftKey;
  }

  function saveDraft(form) {
    if (!storage) return;
    var revision = revisionInput(form);
    var draft = { pairs: fieldPairs(form), revision: revision ? revision.value : null, at: Date.now() };
    try {
      storage.setItem(draftKey(form), JSON.stringify(draft));
    } catch (error) {
      // Storage full or blocked: the server copy is still the one being saved.
    }
  }

  function readDraft(form) {
    if (!storage) return null;
    try {
      return JSON.parse(storage.getItem(draftKey(form)) || "null");
    } catch (error) {
      return null;
    }
  }

  function clearDraft(form) {
    if (storage) storage.removeItem(draftKey(form));
  }

  function samePairs(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function applyPairs(form, pairs) {
    var values = {};
    pairs.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || !isDraftField(element.name)) return;
      var mine = values[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = mine.indexOf(element.value) !== -1;
        if (element.checked) revealRow(element);
      } else {
        element.value = mine.length ? mine[0] : "";
        if (element.value) revealRow(element);
      }
    });
  }

  function revealRow(element) {
    var row = element.closest("[data-row]");
    if (row) row.hidden = false;
  }

  // --- Status messages (texts come from the page, so they are translated) -----------------

  function statusRegion(form) {
    return form.querySelector(".save-status");
  }

  function say(form, key) {
    var region = statusRegion(form);
    if (!region) return;
    region.textContent = region.getAttribute("data-msg-" + key) || "";
  }

  function saySignedOut(form, loginUrl) {
    var region = statusRegion(form);
    if (!region) return;
    region.textContent = "";
    var message = document.createElement("p");
    message.textContent = region.getAttribute("data-msg-signed-out") || "";
    var link = document.createElement("a");
    link.href = loginUrl || "/accounts/login/";
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = region.getAttribute("data-msg-sign-in") || "";
    var after = document.createElement("p");
    after.textContent = region.getAttribute("data-msg-sign-in-done") || "";
    region.appendChild(message);
    region.appendChild(link);
    region.appendChild(after);
  }

  // --- Sending again --------------------------------------------------------------------

  function resend(form) {
    if (!document.body.contains(form)) return;
    window.htmx.trigger(form, "autosave:retry");
  }

  function scheduleRetry(form) {
    var s = state(form);
    clearTimeout(s.timer);
    var delay = RETRY_DELAYS[Math.min(s.retries, RETRY_DELAYS.length - 1)];
    s.retries += 1;
    s.timer = setTimeout(function () { resend(form); }, delay);
  }

  function waitForSignIn(form, loginUrl) {
    saySignedOut(form, loginUrl);
    if (waitingForSignIn.indexOf(form) === -1) waitingForSignIn.push(form);
    if (!sessionTimer) sessionTimer = setInterval(checkSession, SESSION_POLL);
  }

  function checkSession() {
    if (!waitingForSignIn.length) return;
    var url = waitingForSignIn[0].dataset.sessionUrl;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, redirect: "manual", cache: "no-store" })
      .then(function (response) {
        if (response.status !== 200) return null;
        return response.json();
      })
      .then(function (data) {
        if (!data || !data.csrf) return;
        useCsrfToken(data.csrf);
        clearInterval(sessionTimer);
        sessionTimer = null;
        var forms = waitingForSignIn.splice(0);
        forms.forEach(function (form) { resend(form); });
      })
      .catch(function () { /* still offline or signed out: try again on the next tick */ });
  }

  // Signing in again issues a new CSRF token; the page still holds the old one.
  function useCsrfToken(token) {
    var headers = {};
    try {
      headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (error) {
      headers = {};
    }
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = token;
    });
  }

  // --- htmx events ----------------------------------------------------------------------

  function onEdit(event) {
    var form = autosaveForm(event.target);
    if (!form) return;
    state(form).edits += 1;
    saveDraft(form);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (!form) return;
    var s = state(form);
    s.inFlight = true;
    s.sentEdits = s.edits;
    say(form, "saving");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (!form) return;
    var xhr = event.detail.xhr;
    var problem = xhr.getResponseHeader("X-Autosave-Error");
    var confirmed = xhr.getResponseHeader("X-Answer-Revision") || xhr.getResponseHeader("X-Entry-Saved");
    if (xhr.status === 400 || xhr.status === 409) {
      // The page shows what is wrong (400) or both versions of the answer (409).
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (xhr.status === 200 && !confirmed && !problem) {
      // A redirect was followed, most likely to the sign-in page: not saved.
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = autosaveForm(event.detail.elt) || event.detail.elt;
    if (!form || !form.dataset || !form.dataset.autosave) return;
    var s = state(form);
    s.inFlight = false;
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status === 0) return; // handled by htmx:sendError
    var problem = xhr.getResponseHeader("X-Autosave-Error");
    var confirmed = xhr.getResponseHeader("X-Answer-Revision") || xhr.getResponseHeader("X-Entry-Saved");
    if (xhr.status === 200 && confirmed) {
      s.retries = 0;
      var revision = xhr.getResponseHeader("X-Answer-Revision");
      if (revision && revisionInput(form)) revisionInput(form).value = revision;
      if (s.edits === s.sentEdits) {
        clearDraft(form);
      } else {
        saveDraft(form);
      }
      if (s.submitter) {
        var submitter = s.submitter;
        s.submitter = null;
        form.requestSubmit(submitter);
      }
    } else if (xhr.status === 409) {
      // The server kept this window's text beside the newer answer and shows both.
      clearDraft(form);
    } else if (xhr.status === 400) {
      // Kept: the participant fixes the field and the next save replaces the draft.
    } else if (problem === "read-only") {
      say(form, "read-only");
    } else if (xhr.status === 401 || xhr.status === 403 || (xhr.status === 200 && !confirmed)) {
      var login = null;
      try {
        login = JSON.parse(xhr.responseText).login_url;
      } catch (error) {
        login = null;
      }
      waitForSignIn(form, login);
    } else {
      say(form, "retry");
      scheduleRetry(form);
    }
  });

  function onNetworkError(event) {
    var form = autosaveForm(event.detail.elt);
    if (!form) return;
    state(form).inFlight = false;
    say(form, "retry");
    scheduleRetry(form);
  }

  document.addEventListener("htmx:sendError", onNetworkError);
  document.addEventListener("htmx:timeout", onNetworkError);

  // After a 409 the answer form is replaced; the new one has no draft to keep.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.querySelector) {
      target.querySelectorAll("form[data-autosave]").forEach(function (form) { state(form); });
    }
  });

  // "Save and continue" while a save is on its way: wait for it, so that the plain post
  // carries the newest revision.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || form.dataset.autosave !== "answer") return;
    var s = state(form);
    if (s.inFlight) {
      event.preventDefault();
      s.submitter = event.submitter || null;
    }
  });

  // "Add a row" shows the next empty row instead of posting the page.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-row]") : null;
    if (!button) return;
    var table = button.closest("fieldset.exercise-table");
    var next = table ? table.querySelector("[data-row][hidden]") : null;
    if (!next) return;
    event.preventDefault();
    next.hidden = false;
    var first = next.querySelector("input, textarea, select");
    if (first) first.focus();
    if (!table.querySelector("[data-row][hidden]")) button.hidden = true;
  });

  // Signing out on purpose: do not leave answers behind in this browser.
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("action");
    if (!storage || !action || action.indexOf("logout") === -1) return;
    for (var index = storage.length - 1; index >= 0; index -= 1) {
      var key = storage.key(index);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) storage.removeItem(key);
    }
  });

  window.addEventListener("online", function () {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      if (readDraft(form) && state(form).timer) resend(form);
    });
  });

  window.addEventListener("focus", checkSession);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkSession();
  });

  // A draft left from an earlier visit (closed tab, lost connection, ended session).
  function restoreDrafts() {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var draft = readDraft(form);
      if (!draft || !draft.pairs) return;
      if (samePairs(draft.pairs, fieldPairs(form))) {
        clearDraft(form);
        return;
      }
      applyPairs(form, draft.pairs);
      if (form.dataset.autosave === "answer") {
        // Sent with the revision it was typed against: if the answer has moved on since, the
        // server answers 409 and shows both versions instead of overwriting.
        if (draft.revision !== null && revisionInput(form)) revisionInput(form).value = draft.revision;
        say(form, "restored");
        resend(form);
      } else {
        say(form, "restored");
      }
    });
  }

  // After htmx has read the page's hx- attributes (htmx also starts on DOMContentLoaded, and
  // registered first), so that a restored draft can be sent at once.
  if (document.readyState === "complete") {
    restoreDrafts();
  } else {
    document.addEventListener("DOMContentLoaded", restoreDrafts);
  }
})();
