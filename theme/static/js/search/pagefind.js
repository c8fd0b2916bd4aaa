// The module PagefindUI loads (its bundlePath points here): Pagefind's own pagefind.js with the
// site's search bundles merged into it, searched as one whole-site index would be.
//
// The index comes in bundles, one per consultation and one for the rest of the site, so that a
// publish re-indexes only what changed (chalicelib/search_bundles.py, docs/search.md). Merged as
// they are, Pagefind would search each bundle on its own: a word missing from a bundle makes
// that bundle fall back to the longest indexed prefix of the word (Pagefind #780), and the
// results fill with pages matching some other, shorter word. So every search first asks the
// vocabulary, pages holding each bundle's words, which bundles would match in a whole-site
// index (the same stemming, the same fallback, over the whole site's words), and then searches
// only those (chalicelib/search_vocabulary.py). The vocabulary is split by a word's first letter
// (accents dropped, lower case): each word of a query is asked in its letter's partition, which
// holds every word a fallback from it could reach, and the bundles every word matched are kept.
//
// A publish that only added comments indexes just the changed pages, into one more bundle (the
// delta), searched when a query matches in a bundle its pages come from (its owners) or in its
// own vocabulary pages (the words its owners lack; chalicelib/search_delta.py). The older copies
// of those pages stay in their consultation's bundle until it is indexed again, and their results
// are dropped here (``replaced``, with the delta's guards), as is a second result with the same
// id (a page whose text did not change).
//
// window.DIAVOULEFSI_SEARCH (set by search.js): bundles.json and its folder (base): {base,
// bundles, vocabulary: {letter: partition folder}, words_of: {vocabulary page id: bundle},
// delta: {bundle, owners}, replaced: [page id]}.
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

// The site bundle at once; a vocabulary partition or a consultation's bundle when a search
// first needs it (a word only some consultations have fetches only their indexes).
function load() {
  if (!loading) {
    loading = (async () => {
      const config = window.DIAVOULEFSI_SEARCH;
      const pagefind = await import(config.base + "pagefind.js");
      await pagefind.options({ mergeFilter: { [BUNDLE]: SITE } });
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

// A word's partition: its first letter or digit, accents dropped, lower case
// (chalicelib/search_vocabulary.py, initial); none for a word of symbols alone.
function initial(word) {
  const bare = word.toLowerCase().normalize("NFD");
  return (bare.match(/[\p{L}\p{N}]/u) || [""])[0];
}

// The bundles whose words match one word of a query, asked in the word's partition.
async function probe(state, word) {
  const folder = state.config.vocabulary[initial(word)];
  if (!folder) return new Set();
  await merge(state, [folder]);
  const found = await state.pagefind.search(word, { filters: { [BUNDLE]: { any: [folder] } } });
  const wordsOf = state.config.words_of;
  return new Set((found ? found.results : []).map((r) => wordsOf[r.id]).filter(Boolean));
}

// The bundles a query matches in: those every word of it matches in, and the delta when one of
// them is a bundle its pages come from.
async function matching(state, term) {
  let matched = null;
  for (const word of term.split(/\s+/).filter(initial)) {  // symbols alone: not indexed
    const found = await probe(state, word);
    matched = matched ? new Set([...matched].filter((b) => found.has(b))) : found;
  }
  if (!matched) return new Set(state.all); // no word to ask: as Pagefind has it
  const delta = state.config.delta;
  if (delta && delta.owners.some((owner) => matched.has(owner))) matched.add(delta.bundle);
  return matched;
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
      const matched = await matching(state, term);
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
