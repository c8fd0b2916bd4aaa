// Pagefind's own UI, self-hosted under /pagefind/: no third-party requests. No thumbnails (the
// pages have none: an empty column would take a third of a phone's width); site.css gives the
// results the site's font, and titles that look like the links they are.
(function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  new PagefindUI({
    element: "#search",
    showImages: false,
    showSubResults: true,
    excerptLength: 24,
    bundlePath: box.dataset.base
  });
  var tries = 0;
  (function label() {  // Pagefind's input has only a placeholder: give it a visible label
    var input = box.querySelector("input");
    if (!input) { if (tries++ < 40) setTimeout(label, 50); return; }
    input.id = "anazitisi-oros";
    var text = document.createElement("label");
    text.htmlFor = input.id;
    text.className = "govgr-label";
    text.textContent = "Τι αναζητάτε;";
    box.parentNode.insertBefore(text, box);
  })();
})();
