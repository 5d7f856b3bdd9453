// Dialogs: a link or form that targets #modal-body opens the page's modal with
// the server's answer; the same URLs work as full pages without JavaScript.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "modal-body") {
      var element = document.getElementById("modal");
      bootstrap.Modal.getOrCreateInstance(element).show();
    }
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "modal") {
      document.getElementById("modal-body").innerHTML = "";
    }
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-modal-close]");
    if (closer) {
      var element = document.getElementById("modal");
      var modal = bootstrap.Modal.getInstance(element);
      if (modal) { event.preventDefault(); modal.hide(); }
    }
  });
})();
