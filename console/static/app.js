// Progressive enhancement only: every page works without this file.
(function () {
  // Copy buttons: <button data-copy="#id"> copies the text of the element.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.querySelector(b.getAttribute("data-copy"));
      if (!el) return;
      var text = el.textContent.trim();
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {
        var r = document.createRange(); r.selectNodeContents(el);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
        try { document.execCommand("copy"); done(); } catch (e) {}
      }
    });
  });
  // Live refresh: reloads the region marked data-live every 5 s while the box is ticked.
  var live = document.getElementById("live");
  var region = document.querySelector("[data-live]");
  if (live && region) {
    live.parentElement.hidden = false;
    setInterval(function () {
      if (!live.checked) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live]");
        if (fresh) region.innerHTML = fresh.innerHTML;
      });
    }, 5000);
  }
})();
