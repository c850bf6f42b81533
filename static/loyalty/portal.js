// Progressive enhancement of the member portal: every page works without it.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied") || label;
        button.setAttribute("aria-live", "polite");
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, done);
      } else {
        var field = document.createElement("textarea");
        field.value = text;
        document.body.appendChild(field);
        field.select();
        try { document.execCommand("copy"); } finally { document.body.removeChild(field); }
        done();
      }
    });
  });
  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!navigator.share) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ title: button.getAttribute("data-share-title"), url: button.getAttribute("data-share") }).catch(function () {});
    });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var submit = select.form.querySelector("button[type=submit]");
    if (submit) { submit.hidden = true; }
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
