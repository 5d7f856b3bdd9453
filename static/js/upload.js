// CSV upload drop zone: dropping a file on the zone puts it in the file input,
// which the form then posts as if the person had browsed for it. Loaded again
// each time htmx swaps the upload form in, hence the guard.
(function () {
  "use strict";
  if (window.handoffUploadReady) { return; }
  window.handoffUploadReady = true;

  function zoneOf(event) {
    return event.target.closest ? event.target.closest(".drop-zone") : null;
  }
  function showName(zone, input) {
    var label = zone.querySelector(".drop-zone-name");
    if (label && input.files.length) { label.textContent = input.files[0].name; }
  }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = zoneOf(event);
      if (!zone) { return; }
      event.preventDefault();
      zone.classList.add("border-primary", "bg-body-tertiary");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) {
      zone.classList.remove("border-primary", "bg-body-tertiary");
    }
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event);
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("border-primary", "bg-body-tertiary");
    var input = zone.querySelector("input[type=file]");
    if (input && event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showName(zone, input);
    }
  });
  document.addEventListener("change", function (event) {
    var zone = zoneOf(event);
    if (zone && event.target.type === "file") { showName(zone, event.target); }
  });
})();
