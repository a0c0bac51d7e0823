/* Content editor: publishing or restoring validates, commits and rebuilds the knowledge base,
   which takes several seconds. A form marked data-busy-label says that it is working: its
   button is disabled and relabelled, the form is aria-busy, and a live region reads the
   message out. No inline script (the CSP forbids it); without JavaScript the form works as is. */
(function () {
  "use strict";

  function reset(form) {
    form.removeAttribute("aria-busy");
    var button = form.querySelector('button[type="submit"]');
    if (button && button.hasAttribute("data-idle-label")) {
      button.textContent = button.getAttribute("data-idle-label");
      button.disabled = false;
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) {
      status.textContent = "";
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy-label]")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already sent: never twice
      return;
    }
    form.setAttribute("aria-busy", "true");
    var button = form.querySelector('button[type="submit"]');
    if (button) {
      button.setAttribute("data-idle-label", button.textContent);
      button.textContent = form.getAttribute("data-busy-label");
      // Disabled after the browser has taken the form's data: the submission goes on.
      button.disabled = true;
    }
    var status = form.querySelector("[data-busy-status]");
    if (status) {
      status.textContent = form.getAttribute("data-busy-message") || form.getAttribute("data-busy-label");
    }
  });

  // Back to a page kept in the browser's cache: the form can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.querySelectorAll("form[data-busy-label]"), reset);
    }
  });
})();
