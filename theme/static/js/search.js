// Pagefind's own UI, self-hosted under /pagefind/: no third-party requests.
(function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  new PagefindUI({ element: "#search", showSubResults: true, bundlePath: box.dataset.base });
  var tries = 0;
  (function label() {  // Pagefind's input has only a placeholder: give it a visible label
    var input = box.querySelector("input");
    if (!input) { if (tries++ < 40) setTimeout(label, 50); return; }
    input.id = "anazitisi-oros";
    var text = document.createElement("label");
    text.htmlFor = input.id;
    text.textContent = "Τι αναζητάτε;";
    box.parentNode.insertBefore(text, box);
  })();
})();
