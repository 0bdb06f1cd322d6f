// The ticket page: reply/note mode shortcuts, keeping every form's version in step after
// the agent's own changes, refreshing the side panel after a reply, and telling the live
// poll whether the agent is typing. Works with app.js (partial updates, polling).
(function () {
  "use strict";

  function setMode(mode) {
    const radio = document.querySelector('#reply-form input[name="mode"][value="' + mode + '"]');
    if (radio) radio.checked = true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-reply-mode]");
    if (!link) return;
    event.preventDefault();
    setMode(link.dataset.replyMode);
    const body = document.getElementById("reply-body");
    if (body) body.focus();
  });

  // Forms the agent has edited but not sent are never replaced behind their back.
  document.addEventListener("input", (event) => {
    const form = event.target.closest("form");
    if (form) form.dataset.dirty = "1";
    if (event.target.id === "reply-body") updatePoll();
  });

  function updatePoll(version) {
    const box = document.getElementById("ticket-activity");
    if (!box || !box.dataset.poll) return;
    const url = new URL(box.dataset.poll, window.location.href);
    if (version) url.searchParams.set("version", version);
    const body = document.getElementById("reply-body");
    if (body && body.value.trim()) url.searchParams.set("typing", "1");
    else url.searchParams.delete("typing");
    box.dataset.poll = url.pathname + url.search;
  }

  // <template data-replaces="#id"> in a fresh fragment carries a newer copy of another part
  // of the page (the side panel, the status badge in the header); put each in place unless
  // the agent has unsaved edits there.
  function applyTemplates(root) {
    root.querySelectorAll("template[data-replaces]").forEach((template) => {
      const target = document.querySelector(template.dataset.replaces);
      const dirty = target && target.querySelector('form[data-dirty="1"]');
      if (target && !dirty) {
        const copy = template.content.firstElementChild;
        if (copy) {
          const node = document.importNode(copy, true);
          target.replaceWith(node);
          applyTemplates(node);
          if (window.Doum) window.Doum.init(node);
        }
      }
      template.remove();
    });
  }

  // After the agent's own successful change (data-synced-version), the other forms on the
  // page take the new version, so the agent's next change is not refused as stale.
  document.addEventListener("doum:swapped", (event) => {
    const fresh = event.target;
    const synced = fresh.dataset ? fresh.dataset.syncedVersion : undefined;
    if (!synced) return;
    applyTemplates(fresh);
    document.querySelectorAll('input[name="version"]').forEach((input) => {
      if (!fresh.contains(input)) input.value = synced;
    });
    updatePoll(synced);
  });
})();
