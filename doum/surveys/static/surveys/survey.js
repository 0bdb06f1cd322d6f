/* The survey page (doum/surveys/templates/surveys/public/rate.html).
 *
 * 1. When the page was opened from a rating link (the form says data-autorecord="1"), post
 *    the chosen score at once, so one click in the mail records the rating. Link scanners
 *    that fetch the page without running scripts record nothing.
 * 2. Show the reasons only with a bad score.
 * No inline script anywhere: the Content-Security-Policy forbids it.
 */
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) {
    return;
  }
  var status = document.getElementById("survey-status");
  var reasons = document.getElementById("survey-reasons");

  function chosen() {
    return form.querySelector("input[name=score]:checked");
  }

  function showReasons() {
    if (!reasons) {
      return;
    }
    var input = chosen();
    reasons.hidden = !(input && input.getAttribute("data-detractor") === "1");
  }

  function say(text, ok) {
    if (!status) {
      return;
    }
    status.textContent = text;
    status.hidden = false;
    status.classList.toggle("success", ok);
    status.classList.toggle("error", !ok);
  }

  function record(input) {
    var data = new FormData();
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    var source = form.querySelector("input[name=source]");
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    data.append("source", source ? source.value : "mail");
    data.append("score", input.value);
    data.append("quick", "1");
    form.setAttribute("data-recording", "1");
    return fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        say(String(body.message || ""), response.ok);
        form.setAttribute("data-recorded", response.ok ? input.value : "");
      });
    }).catch(function () {
      form.removeAttribute("data-recording");
    });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "score") {
      showReasons();
    }
  });
  showReasons();

  var first = chosen();
  if (form.getAttribute("data-autorecord") === "1" && first) {
    record(first);
  }
})();
