/* Agents' console: the "Imprimer la fiche" button (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest('[data-action="print"]') : null;
    if (button) {
      window.print();
    }
  });
})();
