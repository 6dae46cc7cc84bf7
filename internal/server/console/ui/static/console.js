// rolecall console: small progressive enhancements only. Every page works without this file;
// the server checks everything this script hints at.
"use strict";

// Typed confirmations: say, as the admin types, whether the text matches what the server
// will require (the organization's name). The server still refuses a mismatch.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-must-equal]").forEach(function (input) {
    var want = input.getAttribute("data-must-equal");
    var status = document.createElement("p");
    status.className = "hint live";
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", status);
    var update = function () {
      if (input.value === "") {
        status.textContent = "";
        input.removeAttribute("aria-invalid");
      } else if (input.value === want) {
        status.textContent = "✓ Matches the organization's name.";
        input.setAttribute("aria-invalid", "false");
      } else {
        status.textContent = "Does not match yet: type " + want + " exactly.";
        input.setAttribute("aria-invalid", "true");
      }
    };
    input.addEventListener("input", update);
    update();
  });
});
