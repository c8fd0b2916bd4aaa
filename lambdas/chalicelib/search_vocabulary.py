"""The vocabulary: what lets merged search bundles answer as one whole-site index would.

Pagefind searches each merged bundle on its own, and a word a bundle lacks makes that bundle fall
back to the longest indexed prefix of the word (Pagefind #780, no option to turn it off): merged
as they are, 30 consultation bundles would answer «πλατεια» with every page holding «π…». So
beside the bundles the build writes the vocabulary: pages holding every word each bundle's pages
were indexed with, one page per bundle (and language) and partition, tagged with the bundle. The
search page (theme/static/js/search/pagefind.js) asks it first which bundles the query matches,
with Pagefind's own stemming and fallback over the whole site's words, then searches only those
bundles: the same results as one index of the whole site (tests/test_site_search_shards.py).

**Partitions.** Pagefind only ever falls back to a start of the word it was asked, and every word
such a start matches begins with the same letter. So the vocabulary is split by a word's first
letter or digit (``initial``: accents dropped, lower case), one Pagefind bundle per letter under
``pagefind/vocabulary/<the letter's code point, hex>/``; the search page asks each word of a
query in its letter's partition and keeps the bundles every word matched. A word with inner
punctuation (``ns-y9bdqe``, which Pagefind also indexes by its parts) is in the partition of
each part's letter too. A publish then indexes again only the partitions whose words changed:
at ten times the 1× site the whole vocabulary (49,000 words) took 0.45 s, every publish.

The words of a bundle are read back from its fragments (the text Pagefind indexed) when the
bundle is indexed, and kept as pages in ``.<output>-vocabulary/<partition>/`` beside the output
folder (not in it: never published, never taken for a page of the site), with their digests in
``.owners.json``.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
import re
import shutil
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from chalicelib import pagefind_cli

logger = logging.getLogger(__name__)

FOLDER = "vocabulary"  # inside the site bundle's folder: pagefind/vocabulary/<partition>/
INDEX_PAGE = "index.html"  # Pagefind records a/b/index.html as /a/b/
SIGNATURE = b"pagefind_dcd"  # what a decompressed Pagefind file starts with
OWNERS = ".owners.json"  # bundle id -> {page: sha256}, beside the pages
# Stripped from either end of a word, as Pagefind does: «Πλατεία,» and «πλατεία» are one word to
# it, so one word in the vocabulary (which then changes only when a bundle gains or loses one).
PUNCTUATION = ".,;:!?\u037e\u0387\u00b7«»\"“”„'‘’()[]{}<>…–—-/*"  # \u037e: the Greek question mark
INNER = re.compile(r"[\W_]+")  # what splits a word into the parts Pagefind indexes too

Owners = dict[str, dict[str, str]]  # bundle id -> {page name: sha256 of its bytes}


def _fragment(path: Path) -> dict[str, Any]:
    data = gzip.decompress(path.read_bytes())
    data = data[len(SIGNATURE) :] if data.startswith(SIGNATURE) else data
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def _normal(text: str) -> set[str]:
    found = {word.strip(PUNCTUATION).lower() for word in text.split()}
    found.discard("")
    return found


def initial(word: str) -> str:
    """The partition of a word: its first letter or digit, accents dropped, lower case (the
    search page takes a query word's the same way); none for a word of symbols alone, which
    Pagefind does not index."""
    for char in unicodedata.normalize("NFD", word.lower()):
        if char.isalnum():
            return char
    return ""


def initials(word: str) -> set[str]:
    """Every partition a word belongs to: its own, and each inner part's."""
    return {initial(part) for part in [word, *INNER.split(word)] if part} - {""}


def partition(char: str) -> str:
    """A partition's folder name: its letter's code point, in hex."""
    return f"{ord(char):x}"


def words(bundle: Path) -> dict[str, list[str]]:
    """language -> the distinct words of a bundle's indexed pages (their text and metadata; the
    delta's guards keep no fragment, chalicelib.search_delta)."""
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


def page(language: str, vocabulary: list[str]) -> str:
    """A vocabulary page: words in one paragraph and nothing else (no title, no filter: each
    word of it is searchable, and no other). Its file name says whose it is. It is all body
    (``data-pagefind-body``): as a guard of the delta, it is indexed beside the site's pages,
    and Pagefind leaves out the pages without one when some page has one."""
    text = html.escape(" ".join(vocabulary))
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"</head><body data-pagefind-body><p>{text}</p></body></html>\n"
    )


def page_words(path: Path) -> set[str]:
    """The words a vocabulary page holds."""
    return _read_page(path)[1]


def _read_page(path: Path) -> tuple[str, set[str]]:
    """A vocabulary page's language and words."""
    text = path.read_text(encoding="utf-8")
    language = re.search(r'<html lang="([^"]*)"', text)
    found = re.search(r"<p>(.*)</p>", text, re.S)
    words = set(html.unescape(found.group(1)).split()) if found else set()
    return html.unescape(language.group(1)) if language else "", words


def merged_pages(sources: Path, owners: Owners, bundle_ids: list[str]) -> dict[str, str]:
    """One page per bundle and language holding all the words of those bundles' pages: the
    delta's guards (chalicelib.search_delta). File name -> page."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for bundle_id in bundle_ids:
        for name in owners.get(bundle_id, {}):
            language, held = _read_page(sources / name)
            found[bundle_id, language] |= held
    return {
        hashlib.sha256(f"{b}\0{lang}".encode()).hexdigest()[:20] + ".html": page(lang, sorted(ws))
        for (b, lang), ws in sorted(found.items())
    }


def _write(sources: Path, bundle_id: str, by_language: dict[str, list[str]]) -> dict[str, str]:
    """A bundle's pages, one per language and partition: page name -> sha256."""
    written = {}
    for language, vocabulary in sorted(by_language.items()):
        parts: dict[str, list[str]] = defaultdict(list)
        for word in vocabulary:
            for char in initials(word):
                parts[partition(char)].append(word)
        stem = hashlib.sha256(f"{bundle_id}\0{language}".encode()).hexdigest()[:20]
        for code, part in sorted(parts.items()):
            data = page(language, part).encode("utf-8")
            name = f"{code}/{stem}.html"
            (sources / code).mkdir(parents=True, exist_ok=True)
            (sources / name).write_bytes(data)
            written[name] = hashlib.sha256(data).hexdigest()
    return written


def refresh(
    sources: Path,
    bundles: dict[str, Path],
    indexed: set[str],
    *,
    keep: frozenset[str] = frozenset(),
    minus: dict[str, list[str]] | None = None,
) -> Owners:
    """Write into ``sources`` the vocabulary pages of every bundle (id -> folder) that was just
    ``indexed`` or has none yet (a new work folder: read back from the bundle as published);
    remove those of bundles that are gone (but for ``keep``). A bundle in ``minus`` (the delta)
    holds only its words that the pages of the bundles it names do not. Returns every
    bundle's pages."""
    sources.mkdir(parents=True, exist_ok=True)
    owners = _owners(sources)
    minus = minus or {}
    for bundle_id in sorted(bundles, key=lambda b: (b in minus, b)):  # the others' pages first
        pages = owners.get(bundle_id)
        if bundle_id in indexed or pages is None or any(not (sources / n).is_file() for n in pages):
            for name in pages or {}:
                (sources / name).unlink(missing_ok=True)
            found = words(bundles[bundle_id])
            if bundle_id in minus:
                held = set().union(
                    *(page_words(sources / n) for b in minus[bundle_id] for n in owners.get(b, {}))
                )
                found = {lang: [w for w in ws if w not in held] for lang, ws in found.items()}
            owners[bundle_id] = _write(sources, bundle_id, found)
    gone = [b for b in owners if b not in bundles and b not in keep]
    for bundle_id in gone:
        for name in owners.pop(bundle_id):
            (sources / name).unlink(missing_ok=True)
    for stale in sources.glob("*.html"):  # pages of the unpartitioned vocabulary (before)
        stale.unlink()
    (sources / OWNERS).write_text(json.dumps(owners, sort_keys=True), "utf-8")
    return owners


def partitions(owners: Owners) -> dict[str, list[tuple[str, str]]]:
    """partition -> its pages (name, sha256), sorted: what its bundle is indexed from."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pages in owners.values():
        for name, sha in pages.items():
            found[name.split("/", 1)[0]].append((name, sha))
    return {code: sorted(pages) for code, pages in sorted(found.items())}


def index(
    cmd: list[str],
    output: Path,
    sources: Path,
    owners: Owners,
    previous: dict[str, Any],
    version: str,
) -> tuple[dict[str, str], dict[str, dict[str, str]], list[str]]:
    """Index again each partition whose pages changed, into ``output`` (pagefind/vocabulary/),
    and remove the partitions no word needs any more: (each partition's digest, each
    partition's page ids -> bundle, the partitions indexed)."""
    digests: dict[str, str] = previous.get("digests") or {}
    ids: dict[str, dict[str, str]] = previous.get("ids") or {}
    fresh_digests: dict[str, str] = {}
    fresh_ids: dict[str, dict[str, str]] = {}
    indexed: list[str] = []
    owner = {name: b for b, pages in owners.items() for name in pages}
    for code, pages in partitions(owners).items():
        digest = pagefind_cli.digest(version, "*.html", pages)
        folder = output / code
        if digests.get(code) == digest and code in ids and (folder / pagefind_cli.ENTRY).is_file():
            fresh_digests[code], fresh_ids[code] = digest, ids[code]
            continue
        pagefind_cli.clear(folder)
        pagefind_cli.index(cmd, sources / code, "*.html", folder)
        named = {url.rsplit("/", 1)[-1]: found for url, found in page_urls(folder).items()}
        fresh_ids[code] = {found: owner[f"{code}/{n}"] for n, found in named.items()}
        pagefind_cli.prune(folder)
        fresh_digests[code] = digest
        indexed.append(code)
    for stale in output.iterdir() if output.is_dir() else ():
        if stale.name in fresh_digests:
            continue
        if stale.is_dir():  # a partition no word needs, or the vocabulary before partitions
            shutil.rmtree(stale)
        else:
            stale.unlink()
    return fresh_digests, fresh_ids, indexed


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


def _owners(sources: Path) -> Owners:
    """bundle id -> its vocabulary pages and their digests, as the last build left them."""
    try:
        owners = json.loads((sources / OWNERS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(owners, dict) or not all(isinstance(p, dict) for p in owners.values()):
        return {}  # an older layout: every page written again
    return owners
