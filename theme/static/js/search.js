// Pagefind's own UI, self-hosted under /pagefind/: no third-party requests. No thumbnails (the
// pages have none: an empty column would take a third of a phone's width); site.css gives the
// results the site's font, and titles that look like the links they are.
// The index comes in bundles (chalicelib/search_bundles.py, docs/search.md), listed in
// bundles.json beside the site's: the UI loads search/pagefind.js (data-ui), which merges them
// and searches them as one whole-site index.
(function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined" || !window.fetch) return;
  var base = new URL(box.dataset.base, document.baseURI).pathname;

  function start(listing) {
    window.DIAVOULEFSI_SEARCH = Object.assign({ base: base }, listing);
    new PagefindUI({
      element: "#search",
      showImages: false,
      showSubResults: true,
      excerptLength: 24,
      bundlePath: new URL(box.dataset.ui, document.baseURI).pathname
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
  }

  // Without the list the search would quietly miss every consultation: say so instead.
  fetch(base + "bundles.json")
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(start)
    .catch(function () {
      var failed = document.getElementById("search-failed");
      if (failed) failed.hidden = false;
    });
})();
