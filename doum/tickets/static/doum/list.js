// The ticket list: keeps the side panel's current view in step with partial updates, and asks
// for confirmation on bulk buttons that carry data-confirm (app.js confirms whole forms only).
(function () {
  "use strict";

  function currentView() {
    const list = document.getElementById("ticket-list");
    return list ? list.dataset.view : "";
  }

  function markCurrent() {
    const key = currentView();
    if (!key) return;
    document.querySelectorAll(".sidenav a[data-view]").forEach((link) => {
      if (link.dataset.view === key) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    const counts = document.getElementById("view-counts");
    if (counts && counts.dataset.poll) {
      const url = new URL(counts.dataset.poll, window.location.href);
      url.searchParams.set("view", key);
      counts.dataset.poll = url.pathname + url.search;
    }
    const title = document.getElementById("list-title");
    if (title) {
      const parts = document.title.split(" · ");
      document.title = title.textContent.trim() + " · " + parts[parts.length - 1];
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("doum:swapped", markCurrent);
})();
