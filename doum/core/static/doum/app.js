// Doum's page behaviour: partial page updates, polling, keyboard shortcuts and bulk
// selection, driven by data- attributes that the server-rendered templates set.
// Pages work without this file (plain links and forms); it only avoids full reloads.
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Replace `target` with the HTML of a response. data-swap="inner" keeps the element.
  function swap(target, html, mode) {
    if (mode === "inner") {
      target.innerHTML = html;
      init(target);
      return target;
    }
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const fresh = holder.firstElementChild;
    if (!fresh) return target;
    target.replaceWith(fresh);
    init(fresh);
    return fresh;
  }

  async function request(url, options, target, mode) {
    const headers = Object.assign({ "X-Doum-Partial": "1" }, options.headers || {});
    if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let response;
    try {
      response = await fetch(url, Object.assign({}, options, { headers, credentials: "same-origin" }));
    } catch (err) {
      showError(target, document.documentElement.dataset.offlineMessage || "Network error");
      return;
    }
    const redirect = response.headers.get("X-Doum-Redirect");
    if (redirect) {
      window.location.assign(redirect);
      return;
    }
    if (response.status === 204) return;
    const text = await response.text();
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("text/html")) {
      showError(target, response.status + " " + response.statusText);
      return;
    }
    const fresh = swap(target, text, mode);
    fresh.dispatchEvent(new CustomEvent("doum:swapped", { bubbles: true, detail: { status: response.status } }));
  }

  function showError(target, message) {
    let box = target.querySelector(":scope > .notice.error[data-client]");
    if (!box) {
      box = document.createElement("p");
      box.className = "notice error";
      box.dataset.client = "1";
      box.setAttribute("role", "alert");
      target.prepend(box);
    }
    box.textContent = message;
  }

  function targetOf(el) {
    const selector = el.dataset.target;
    return selector ? document.querySelector(selector) : null;
  }

  function onSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const message = form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    const target = targetOf(form);
    if (!target) return; // an ordinary form: let the browser submit it
    event.preventDefault();
    const method = (form.getAttribute("method") || "GET").toUpperCase();
    const data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    let done;
    if (method === "GET") {
      const url = new URL(form.action || window.location.href, window.location.href);
      url.search = new URLSearchParams(data).toString();
      if (form.dataset.pushUrl !== undefined) history.pushState({}, "", url);
      done = request(url, { method: "GET" }, target, form.dataset.swap);
    } else {
      done = request(form.action, { method, body: data }, target, form.dataset.swap);
    }
    done.finally(() => buttons.forEach((b) => { b.disabled = false; }));
  }

  function onClick(event) {
    const link = event.target.closest("a[data-target]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    const target = targetOf(link);
    if (!target) return;
    event.preventDefault();
    if (link.dataset.pushUrl !== undefined) history.pushState({}, "", link.href);
    request(link.href, { method: "GET" }, target, link.dataset.swap);
  }

  // data-poll="URL" data-interval="seconds": refresh the element's content while visible.
  const pollers = new WeakSet();
  function startPolling(el) {
    if (pollers.has(el)) return;
    pollers.add(el);
    const seconds = Math.max(5, parseInt(el.dataset.interval || "30", 10));
    const timer = window.setInterval(() => {
      if (!document.body.contains(el)) { window.clearInterval(timer); return; }
      if (document.hidden) return;
      request(el.dataset.poll, { method: "GET" }, el, "inner");
    }, seconds * 1000);
  }

  // Bulk selection: a checkbox with data-select-all toggles every checkbox named by its value.
  function onChange(event) {
    const el = event.target;
    if (el.matches("input[data-select-all]")) {
      const scope = el.closest("form") || document;
      scope.querySelectorAll('input[type=checkbox][name="' + el.dataset.selectAll + '"]').forEach((box) => {
        box.checked = el.checked;
      });
    }
    if (el.matches("select[data-autosubmit], input[data-autosubmit]")) {
      const form = el.closest("form");
      if (form) form.requestSubmit();
    }
    updateSelection(el.closest("form"));
  }

  function updateSelection(form) {
    if (!form) return;
    const boxes = form.querySelectorAll("input[type=checkbox][data-selectable]");
    let count = 0;
    boxes.forEach((box) => {
      if (box.checked) count += 1;
      const row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
    });
    form.querySelectorAll("[data-selected-count]").forEach((el) => { el.textContent = String(count); });
    form.querySelectorAll("[data-needs-selection]").forEach((el) => { el.disabled = count === 0; });
  }

  // Keyboard shortcuts: any element with data-shortcut="k" is clicked (or focused, for fields)
  // when k is pressed outside a text field; "?" opens the list of shortcuts on this page.
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function shortcutHelp() {
    const dialog = document.getElementById("shortcut-help");
    if (!dialog) return;
    const body = dialog.querySelector("tbody");
    body.textContent = "";
    const seen = new Set();
    document.querySelectorAll("[data-shortcut][data-shortcut-label]").forEach((el) => {
      const key = el.dataset.shortcut;
      if (seen.has(key)) return;
      seen.add(key);
      const row = document.createElement("tr");
      const k = document.createElement("td");
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      k.appendChild(kbd);
      const label = document.createElement("td");
      label.textContent = el.dataset.shortcutLabel;
      row.append(k, label);
      body.appendChild(row);
    });
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (typing(document.activeElement)) return;
    if (event.key === "?") {
      event.preventDefault();
      shortcutHelp();
      return;
    }
    const el = Array.from(document.querySelectorAll("[data-shortcut]")).find(
      (candidate) => candidate.dataset.shortcut === event.key && !candidate.disabled
    );
    if (!el) return;
    event.preventDefault();
    if (typing(el)) {
      el.focus();
    } else if (el.dataset.shortcutFocus) {
      const field = document.querySelector(el.dataset.shortcutFocus);
      el.click();
      if (field) field.focus();
    } else {
      el.click();
    }
  }

  function init(root) {
    root.querySelectorAll("[data-poll]").forEach(startPolling);
    if (root.matches && root.matches("[data-poll]")) startPolling(root);
    root.querySelectorAll("form").forEach(updateSelection);
  }

  document.addEventListener("submit", onSubmit);
  document.addEventListener("click", onClick);
  document.addEventListener("change", onChange);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", () => window.location.reload());
  document.addEventListener("DOMContentLoaded", () => init(document));
  window.Doum = { request, swap, init };
})();
