// The module PagefindUI loads (its bundlePath points here): Pagefind's own pagefind.js with the
// site's search bundles merged into it, searched as one whole-site index would be.
//
// The index comes in bundles, one per consultation and one for the rest of the site, so that a
// publish re-indexes only what changed (chalicelib/search_bundles.py, docs/search.md). Merged as
// they are, Pagefind would search each bundle on its own: a word missing from a bundle makes
// that bundle fall back to the longest indexed prefix of the word (Pagefind #780), and the
// results fill with pages matching some other, shorter word. So every search first asks the
// vocabulary bundle, one page per bundle holding that bundle's words, which bundles would match
// in a whole-site index (the same stemming, the same fallback, over the whole site's words),
// and then searches only those (chalicelib/search_vocabulary.py).
//
// A publish that only added comments indexes just the changed pages, into one more bundle (the
// delta, listed among the bundles with its vocabulary page); the older copies of those pages
// stay in their consultation's bundle until it is indexed again, and their results are dropped
// here (``replaced``), as is a second result with the same id (a page whose text did not change).
//
// window.DIAVOULEFSI_SEARCH (set by search.js): bundles.json and its folder (base):
// {base, bundles, vocabulary, words_of: {vocabulary page id: bundle}, replaced: [page id]}.
const BUNDLE = "__bundle"; // synthetic filter: which bundle a page came from
const SITE = "site";

let loading = null;
let queue = Promise.resolve(); // one operation at a time: a bundle is merged before it is searched

function serial(operation) {
  const run = queue.then(operation, operation);
  queue = run.catch(() => {});
  return run;
}

function hidden(counts) {
  if (!counts) return counts;
  const shown = { ...counts };
  delete shown[BUNDLE];
  return shown;
}

// The site bundle and the vocabulary at once; a consultation's bundle when a search first
// needs it (a word only some consultations have fetches only their indexes).
function load() {
  if (!loading) {
    loading = (async () => {
      const config = window.DIAVOULEFSI_SEARCH;
      const pagefind = await import(config.base + "pagefind.js");
      await pagefind.options({ mergeFilter: { [BUNDLE]: SITE } });
      await pagefind.mergeIndex(config.base + config.vocabulary);
      return {
        pagefind,
        config,
        all: [SITE, ...config.bundles],
        merged: new Set([SITE]),
        replaced: new Set(config.replaced || []),
      };
    })();
  }
  return loading;
}

async function merge(state, bundles) {
  const missing = bundles.filter((bundle) => !state.merged.has(bundle));
  await Promise.all(
    missing.map((path) =>
      state.pagefind.mergeIndex(state.config.base + path, { mergeFilter: { [BUNDLE]: path } })
    )
  );
  missing.forEach((bundle) => state.merged.add(bundle));
}

function exact(term) {
  return /^\s*".+"\s*$/.test(term || ""); // Pagefind's own test: no fallback when quoted
}

export function options(opts) {
  return serial(async () => (await load()).pagefind.options(opts));
}

export function mergeIndex(path, opts) {
  return serial(async () => (await load()).pagefind.mergeIndex(path, opts));
}

export function filters() {
  return serial(async () => hidden(await (await load()).pagefind.filters()));
}

export function preload(term, opts) {
  return serial(async () => (await load()).pagefind.preload(term, opts));
}

export function destroy() {
  return serial(async () => {
    if (!loading) return;
    const { pagefind } = await loading;
    loading = null;
    return pagefind.destroy();
  });
}

export function search(term, opts = {}) {
  return serial(async () => {
    const state = await load();
    let allowed = state.all;
    if (term && !exact(term)) {
      const probe = await state.pagefind.search(term);
      const wordsOf = state.config.words_of;
      const matched = new Set((probe ? probe.results : []).map((r) => wordsOf[r.id]));
      allowed = state.all.filter((bundle) => matched.has(bundle));
    }
    await merge(state, allowed);
    const found = await state.pagefind.search(term, {
      ...opts,
      filters: { ...(opts.filters || {}), [BUNDLE]: { any: allowed.length ? allowed : ["-"] } },
    });
    if (found) {
      const seen = new Set(state.replaced);
      const kept = found.results.filter((r) => !seen.has(r.id) && seen.add(r.id));
      found.unfilteredResultCount -= found.results.length - kept.length;
      found.results = kept;
      found.filters = hidden(found.filters);
      found.totalFilters = hidden(found.totalFilters);
    }
    return found;
  });
}
