// A form marked data-once submits once per page view: a second click while the first
// request is on its way does nothing (the server is double-submit safe as well).
// The button then reads the attribute's text ("Redirecting…", "Uploading…").
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    setTimeout(function () {
      button.disabled = true;
      button.textContent = form.getAttribute("data-once");
    }, 0);
  });
});
