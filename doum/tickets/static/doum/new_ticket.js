// The new-ticket page: show the phone call's fields only when the channel is phone, and
// default the first message of a logged call to an internal note. Without this file every
// field shows and the server checks the combination.
(function () {
  "use strict";
  function update(form, changed) {
    const channel = form.querySelector("#id_channel");
    const call = form.querySelector("#call-fieldset");
    if (!channel || !call) return;
    const phone = channel.value === "phone";
    call.hidden = !phone && !call.querySelector(".error");
    if (changed) {
      const internal = form.querySelector("#id_visibility_internal");
      const pub = form.querySelector("#id_visibility_public");
      if (phone && internal) internal.checked = true;
      if (!phone && pub) pub.checked = true;
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("new-ticket-form");
    if (!form) return;
    update(form, false);
    form.querySelector("#id_channel").addEventListener("change", () => update(form, true));
  });
})();
