"""The vocabulary bundle: what lets merged search bundles answer as one whole-site index would.

Pagefind searches each merged bundle on its own, and a word a bundle lacks makes that bundle fall
back to the longest indexed prefix of the word (Pagefind #780, no option to turn it off): merged
as they are, 30 consultation bundles would answer «πλατεια» with every page holding «π…». So
beside the bundles the build writes one more, ``pagefind/vocabulary/``: one page per bundle (and
language) holding every word that bundle's pages were indexed with, tagged with the bundle. The
search page (theme/static/js/search/pagefind.js) asks it first which bundles the query matches,
with Pagefind's own stemming and fallback over the whole site's words, then searches only those
bundles: the same results as one index of the whole site (tests/test_site_search_shards.py).

The words of a bundle are read back from its fragments (the text Pagefind indexed) when the
bundle is indexed, and kept as pages in ``.<output>-vocabulary/`` beside the output folder (not
in it: never published, never taken for a page of the site); the vocabulary bundle is indexed
again only when some bundle's words changed.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FOLDER = "vocabulary"  # inside the site bundle's folder (pagefind/vocabulary/)
INDEX_PAGE = "index.html"  # Pagefind records a/b/index.html as /a/b/
SIGNATURE = b"pagefind_dcd"  # what a decompressed Pagefind file starts with
# Stripped from either end of a word, as Pagefind does: «Πλατεία,» and «πλατεία» are one word to
# it, so one word in the vocabulary (which then changes only when a bundle gains or loses one).
PUNCTUATION = ".,;:!?\u037e\u0387\u00b7«»\"“”„'‘’()[]{}<>…–—-/*"  # \u037e: the Greek question mark


def _fragment(path: Path) -> dict[str, Any]:
    data = gzip.decompress(path.read_bytes())
    data = data[len(SIGNATURE) :] if data.startswith(SIGNATURE) else data
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def _normal(text: str) -> set[str]:
    found = {word.strip(PUNCTUATION).lower() for word in text.split()}
    found.discard("")
    return found


def words(bundle: Path) -> dict[str, list[str]]:
    """language -> the distinct words of a bundle's indexed pages (their text and metadata)."""
    found: dict[str, set[str]] = {}
    folder = bundle / "fragment"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        language = path.name.split("_", 1)[0]  # fragments are named <language>_<hash>
        fragment = _fragment(path)
        bag = found.setdefault(language, set())
        bag |= _normal(str(fragment.get("content", "")))
        for value in (fragment.get("meta") or {}).values():
            bag |= _normal(str(value))
    return {language: sorted(bag) for language, bag in found.items()}


def source_name(bundle_id: str, language: str) -> str:
    return hashlib.sha256(f"{bundle_id}\0{language}".encode()).hexdigest()[:20] + ".html"


def page(language: str, vocabulary: list[str]) -> str:
    """A vocabulary page: the bundle's words in one paragraph and nothing else (no title, no
    filter: each word of it is searchable, and no other). Its file name says whose it is."""
    text = html.escape(" ".join(vocabulary))
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"</head><body><p>{text}</p></body></html>\n"
    )


def refresh(sources: Path, bundles: dict[str, Path], indexed: set[str]) -> dict[str, str]:
    """Write into ``sources`` the vocabulary page of every bundle (id -> folder) that was just
    ``indexed`` or has none yet (a new work folder: read back from the bundle as published);
    remove those of bundles that are gone. Returns page name -> content digest."""
    sources.mkdir(parents=True, exist_ok=True)
    known = {p.name: p for p in sources.glob("*.html")}
    owners = _owners(sources)
    current: dict[str, str] = {}
    for bundle_id, folder in sorted(bundles.items()):
        names = owners.get(bundle_id, [])
        if bundle_id in indexed or not names or any(n not in known for n in names):
            for name in names:
                (sources / name).unlink(missing_ok=True)
            names = []
            for language, vocabulary in words(folder).items():
                name = source_name(bundle_id, language)
                (sources / name).write_text(page(language, vocabulary), "utf-8")
                names.append(name)
            owners[bundle_id] = names
        for name in names:
            current[name] = hashlib.sha256((sources / name).read_bytes()).hexdigest()
    for name in set(known) - set(current):
        (sources / name).unlink()
    owners = {b: n for b, n in owners.items() if b in bundles}
    (sources / ".owners.json").write_text(json.dumps(owners, sort_keys=True), "utf-8")
    return current


def page_ids(sources: Path, bundle: Path) -> dict[str, str]:
    """Pagefind's id of each vocabulary page (its fragment's name, what a search result
    carries) -> the bundle it stands for: how the search page reads a vocabulary hit."""
    owner = {name: b for b, names in _owners(sources).items() for name in names}
    named = {url.rsplit("/", 1)[-1]: found for url, found in page_urls(bundle).items()}
    return {found: owner[name] for name, found in named.items() if name in owner}


def page_urls(bundle: Path) -> dict[str, str]:
    """URL -> Pagefind's id of each page a bundle holds (its fragment's name, what a search
    result carries): the vocabulary's pages, and which results a newer copy of a page in the
    delta replaces (chalicelib.search_bundles)."""
    return {
        str(_fragment(path).get("url", "")): path.stem
        for path in sorted((bundle / "fragment").glob("*.pf_fragment"))
    }


def page_url(page: str) -> str:
    """The URL Pagefind records for a site-relative page: ``a/b/index.html`` is ``/a/b/``."""
    return "/" + (page[: -len(INDEX_PAGE)] if page.endswith(INDEX_PAGE) else page)


def _owners(sources: Path) -> dict[str, list[str]]:
    """bundle id -> its vocabulary pages (one per language), as the last build left them."""
    try:
        owners = json.loads((sources / ".owners.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return owners if isinstance(owners, dict) else {}
