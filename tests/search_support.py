"""Searching a built site in Chromium the way its search page does: through
theme/static/js/search/pagefind.js, which merges the site's Pagefind bundles (bundles.json) and
searches them as one whole-site index would (chalicelib.search_bundles)."""

from __future__ import annotations

from typing import Any

# (url, indexed text) of each hit, best first. ``bundle`` is the site bundle's folder, or a
# plain Pagefind bundle (``merged=False``, e.g. a whole-site index built for comparison).
SEARCH_JS = """async ([bundle, merged, term]) => {
    let pf;
    if (merged) {
        if (!window.DIAVOULEFSI_SEARCH) {
            const listing = await (await fetch(bundle + 'bundles.json')).json();
            window.DIAVOULEFSI_SEARCH = {base: bundle, ...listing};
        }
        pf = await import('/theme/js/search/pagefind.js');
    } else {
        pf = await import(bundle + 'pagefind.js');
    }
    const found = await pf.search(term);
    const data = await Promise.all(found.results.map(r => r.data()));
    return data.map(d => [d.url, d.content]);
}"""


def searcher(page: Any, bundle: str = "/pagefind/", *, merged: bool = True) -> Any:
    """A function term -> [(url, text)] searching in ``page`` (already on the served site)."""

    def run(term: str) -> list[tuple[str, str]]:
        return [tuple(hit) for hit in page.evaluate(SEARCH_JS, [bundle, merged, term])]

    return run
