"""The search index in bundles: one Pagefind bundle per consultation and one for the rest of the
site, merged in the browser; a build re-indexes only what changed, so the indexing work of a
publish follows the change, not the site (docs/search.md has the numbers).

Layout, in the output folder:

- ``pagefind/``: the site bundle (every page outside a consultation) with Pagefind's scripts,
  the one the search page loads;
- ``pagefind/`` + the consultation's URL (CONSULTATION_URL): a consultation's bundle, every page
  under that URL whatever its type (text, comment pages, proposals, results), its index only
  (the site bundle's scripts read it). Its first folder is checked against the site bundle's
  own names, so no slug can mix with them;
- ``pagefind/vocabulary/``: which bundles hold which words, so that the merged bundles answer
  as one whole-site index would (chalicelib.search_vocabulary);
- ``pagefind/delta/``: the pages changed since their bundle was indexed (below);
- ``pagefind/bundles.json``: what the search page merges (theme/static/js/search/pagefind.js);
- ``.pagefind-state.json`` (a dot file: never published, kept by a cold start's archive): each
  bundle's pages (a short hash each) and their Pagefind ids when it was indexed. Beside the
  output folder: the vocabulary's pages, made again from the site when missing. The pages and
  their hashes come from the build's list of its files (chalicelib.site_files).

A page written with other bytes, added or deleted is a change. When something published was
taken back (``compact``: a comment hidden or redacted, a text edited; the publish step knows),
the changed bundles are re-indexed from an emptied folder, so that nothing of a hidden comment
stays searchable. When pages only gained something (approvals), only the changed pages are
indexed, into ``pagefind/delta/``, which the search page merges like any bundle, dropping the
bundles' older copies of those pages (``replaced``: their Pagefind ids). The delta is bounded
(``DELTA_PAGES``). Pagefind runs as its binary, one process per bundle (2 ms to start).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from chalicelib import search_vocabulary as vocabulary
from chalicelib import tree
from plugins.consultations import urls

logger = logging.getLogger(__name__)

ROOT = "pagefind"  # the site bundle's folder, where the search page loads Pagefind from
LIST_NAME = "bundles.json"
STATE_NAME = ".pagefind-state.json"  # in the output: the bundles' digests (small)
VOCABULARY_PAGES = "vocabulary"  # beside the output, .<output>-…/: the vocabulary bundle's pages
DELTA_SITE = "delta-pages"  # and .<output>-delta-pages/: the delta's pages, linked, for Pagefind
STATE_FORMAT = 2  # 2: each bundle's pages and their ids as indexed, the delta
HASH_CHARS = 16  # of a page's sha256 kept per bundle: enough to tell a change
SITE_ID = "site"  # the site bundle's name on the search page (a consultation's ends with /)
VOCABULARY = f"{ROOT}/{vocabulary.FOLDER}/"
# Pages changed since their bundle was indexed, indexed on their own (pagefind/delta/): a
# publish after a few approvals indexes a few pages. Past this many, the bundles with the most
# changed pages are indexed again (compacted) and leave it.
DELTA = "delta"
DELTA_FOLDER = f"{ROOT}/{DELTA}/"
DELTA_ID = f"{DELTA}/"  # its name on the search page
DELTA_PAGES = 200
ENTRY = "pagefind-entry.json"  # every bundle has one: its absence means an unfinished bundle
# What Pagefind writes into a bundle's folder besides files named pagefind*/wasm.*: a
# consultation bundle's first folder must not be one of these (nor the list).
PAGEFIND_FOLDERS = frozenset({"index", "fragment", "filter", "playground"})
GLOB_SPECIAL = re.compile(r"([\\*?\[\]{}<>(),:!$])")
SLUG = "\x00"  # stands for the slug while the consultation pattern is taken apart


class BundleError(RuntimeError):
    """Pagefind failed, or a bundle's folder would collide with another's."""


@dataclass
class Bundle:
    folder: str  # relative to the output, ends with "/"
    glob: str  # Pagefind's --glob, relative to the output
    pages: list[str] = field(default_factory=list)


@dataclass
class IndexResult:
    bundles: int = 0
    indexed: list[str] = field(default_factory=list)  # folders re-indexed by this build
    removed: list[str] = field(default_factory=list)  # folders of consultations that are gone
    delta: list[str] = field(default_factory=list)  # pages the delta holds


def _glob_escape(path: str) -> str:
    return GLOB_SPECIAL.sub(r"\\\1", path)


def _consultation_pattern(settings: dict[str, Any]) -> tuple[str, str]:
    """(before, after) the slug in CONSULTATION_URL: a page under ``before + slug + after`` is the
    consultation's, whatever page type it is (text, comment page, proposal, results)."""
    pattern = urls.url(settings, "CONSULTATION", slug=SLUG)
    before, _, after = pattern.partition(SLUG)
    if not after.endswith("/") or SLUG in after:
        raise BundleError(f"CONSULTATION_URL must end with / and name the slug once: {pattern}")
    return before, after


def plan(settings: dict[str, Any], pages: list[str]) -> dict[str, Bundle]:
    """The bundles of the built ``pages`` (site-relative HTML paths), by folder."""
    before, after = _consultation_pattern(settings)
    owner = re.compile(re.escape(before) + r"([^/]+)" + re.escape(after))
    site = Bundle(f"{ROOT}/", "")
    bundles: dict[str, Bundle] = {site.folder: site}
    for page in sorted(pages):
        found = owner.match(page)
        if not found:
            site.pages.append(page)
            continue
        prefix = found.group(0)
        folder = f"{ROOT}/{prefix}"
        if folder not in bundles:
            first = prefix.split("/")[0]
            reserved = PAGEFIND_FOLDERS | {LIST_NAME, vocabulary.FOLDER, DELTA}
            if first in reserved or first.startswith(ROOT):
                raise BundleError(f"The search bundle {folder} would mix with Pagefind's files")
            bundles[folder] = Bundle(folder, _glob_escape(prefix) + "**/*.html")
        bundles[folder].pages.append(page)
    if not site.pages:
        raise BundleError("No page outside the consultations to search from (the home page?)")
    # A handful of pages (home, about, open data): listed one by one.
    site.glob = "{" + ",".join(_glob_escape(p) for p in site.pages) + "}"
    return bundles


def html_pages(output: Path) -> list[str]:
    """Every HTML page of the site, site-relative; not Pagefind's, not the machinery's."""
    return sorted(rel for rel, _ in tree.files(output, frozenset({ROOT})) if rel.endswith(".html"))


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        logger.warning("Unreadable search state %s: indexing every bundle", path)
        return {}
    return state if isinstance(state, dict) and state.get("format") == STATE_FORMAT else {}


def beside(output: Path, name: str) -> Path:
    """A file of the build's beside the output folder, as the render cache is."""
    return output.parent / f".{output.name}-{name}"


def _digest(version: str, glob: str, files: list[tuple[str, str]]) -> str:
    """What a bundle was indexed from: Pagefind's version, the glob, (file, content hash)."""
    return hashlib.sha256(json.dumps([version, glob, files]).encode("utf-8")).hexdigest()


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        return "unknown"


def _pagefind_command() -> list[str]:
    """The binary itself (2 ms to start) rather than ``python -m pagefind`` (70 ms): one start
    per bundle to re-index."""
    from pagefind.service import get_executable

    binary = get_executable()
    return [str(binary)] if binary else [sys.executable, "-m", "pagefind"]


def _clear(folder: Path, keep: frozenset[str] = frozenset()) -> None:
    """Empty a bundle's folder, so that nothing of a page it no longer holds stays searchable
    (but for ``keep``: the bundles inside the site bundle's folder)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _index(command: list[str], site: Path, glob: str, folder: Path) -> None:
    cmd = [*command, "--site", str(site), "--glob", glob, "--output-path", str(folder)]
    done = subprocess.run([*cmd, "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (folder / ENTRY).is_file():
        tail = (done.stderr or done.stdout)[-2000:]
        raise BundleError(f"pagefind failed on {folder} ({done.returncode}): {tail}")


def _prune(folder: Path, *, fragments: bool = False) -> None:
    """A merged bundle is read through the site bundle's scripts and WebAssembly: keep only its
    index (the entry, the metadata and the chunk folders), 0.65 MB less per bundle. The
    vocabulary's pages are never shown: without ``fragments`` their text goes too."""
    for entry in folder.iterdir():
        if entry.is_file() and entry.name != ENTRY and not entry.name.endswith(".pf_meta"):
            entry.unlink()
        elif entry.name == "fragment" and not fragments:
            shutil.rmtree(entry)


def _gone(output: Path, settings: dict[str, Any], current: set[str], recorded: set[str]) -> set:
    """Folders of consultation bundles no page needs any more (recorded, or found on disk)."""
    before, after = _consultation_pattern(settings)
    on_disk = {
        p.relative_to(output).as_posix() + "/"
        for p in output.glob(f"{ROOT}/{before}*{after}".rstrip("/"))
        if (p / ENTRY).is_file() and p != output / ROOT
    }
    special = {f"{ROOT}/", VOCABULARY, DELTA_FOLDER}
    return {f for f in on_disk | recorded if f not in special and f not in current}


def bundle_id(folder: str) -> str:
    """How the search page names a bundle: ``site``, or its folder inside the site bundle's."""
    return SITE_ID if folder == f"{ROOT}/" else folder[len(ROOT) + 1 :]


def index_site(
    output: Path, settings: dict[str, Any], *, compact: bool = True, listed: dict | None = None
) -> IndexResult:
    """Bring the search bundles of ``output`` up to date with its pages.

    ``compact``: every bundle whose pages changed is indexed again (a page's old words leave at
    once: what a hidden or corrected comment needs). Without it, changed pages go to the delta
    (re-indexed alone, a few pages), unless it would outgrow ``DELTA_PAGES``. ``listed``: the
    build's list of its files with their hashes (chalicelib.site_files); without it every page
    is read."""
    output = Path(output)
    state_path = output / STATE_NAME
    state = _read_state(state_path)
    state_path.unlink(missing_ok=True)  # a build that fails half-way re-indexes next time
    if listed is None:
        listed = tree.hashed(output, html_pages(output), {})
    hashes = {rel: found for rel, found in listed.items() if rel.endswith(".html")}
    bundles = plan(settings, list(hashes))
    version = _pagefind_version()
    same = state.get("version") == version
    base: dict[str, dict[str, str]] = state.get("pages", {}) if same else {}
    ids: dict[str, dict[str, str]] = state.get("ids", {}) if same else {}
    result = IndexResult(bundles=len(bundles))
    for folder in sorted(_gone(output, settings, set(bundles), set(base))):
        shutil.rmtree(output / folder, ignore_errors=True)
        result.removed.append(folder)
    base = {f: pages for f, pages in base.items() if f in bundles}
    ids = {f: found for f, found in ids.items() if f in bundles}
    now = {f: {p: hashes[p][2][:HASH_CHARS] for p in b.pages} for f, b in bundles.items()}
    changes = {f: _changed(now[f], base.get(f, {})) for f in bundles}
    unknown = {f for f in bundles if f not in base or not (output / f / ENTRY).is_file()}
    waiting = {f: c for f, c in changes.items() if c and f not in unknown}
    again = unknown | (set(waiting) if compact else outgrown(waiting, now))
    inner = {bundle_id(f).split("/")[0] for f in bundles} - {SITE_ID}
    keep = frozenset(inner | {LIST_NAME, vocabulary.FOLDER, DELTA})
    command = _pagefind_command()
    for folder in sorted(again):
        bundle = bundles[folder]
        _clear(output / folder, keep if folder == f"{ROOT}/" else frozenset())
        _index(command, output, bundle.glob, output / folder)
        if folder != f"{ROOT}/":
            _prune(output / folder, fragments=True)
        base[folder], ids[folder] = now[folder], vocabulary.page_urls(output / folder)
        result.indexed.append(folder)
    waiting = {f: c for f, c in waiting.items() if f not in again}
    result.delta = sorted(p for f, c in waiting.items() for p in c if p in now[f])
    delta_digest = _index_delta(command, output, result, state.get("delta"), hashes, version)

    listed = {bundle_id(f): output / f for f in bundles}
    if result.delta:
        listed[DELTA_ID] = output / DELTA_FOLDER
    previous = state if same else {}
    vocabulary_digest, words_of = _index_vocabulary(
        command, output, listed, previous, result, version
    )
    replaced = _replaced(waiting, ids, output / DELTA_FOLDER if result.delta else None)
    _write_list(output, sorted(b for b in listed if b != SITE_ID), words_of, replaced)
    state = {"format": STATE_FORMAT, "version": version, "pages": base, "ids": ids,
             "delta": delta_digest, "vocabulary": vocabulary_digest,
             "vocabulary_pages": words_of}  # fmt: skip
    state_path.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    logger.info(
        "Search: %s bundles, %s re-indexed %s, %s removed, %s pages in the delta",
        result.bundles,
        len(result.indexed),
        result.indexed,
        len(result.removed),
        len(result.delta),
    )
    return result


def _changed(now: dict[str, str], base: dict[str, str]) -> list[str]:
    """A bundle's pages added, rewritten with other bytes or deleted since it was indexed."""
    return sorted(p for p in now.keys() | base.keys() if now.get(p) != base.get(p))


def outgrown(waiting: dict[str, list[str]], now: dict[str, dict[str, str]]) -> set[str]:
    """The bundles to index again rather than carry in the delta: one whose changed pages are
    half of it or more, then the most changed ones until the delta holds ``DELTA_PAGES``."""
    again = {f for f, c in waiting.items() if 2 * len(c) >= max(len(now[f]), 1)}
    sizes = sorted(((len(c), f) for f, c in waiting.items() if f not in again), reverse=True)
    total = sum(size for size, _ in sizes)
    for size, folder in sizes:
        if total <= DELTA_PAGES:
            break
        again.add(folder)
        total -= size
    return again


def _index_delta(
    command: list[str],
    output: Path,
    result: IndexResult,
    previous: str | None,
    hashes: dict,
    version: str,
) -> str | None:
    """Index the delta's pages into its own bundle, when they or their bytes changed."""
    folder = output / DELTA_FOLDER
    if not result.delta:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    digest = _digest(version, DELTA, [(p, hashes[p][2]) for p in result.delta])
    if digest != previous or not (folder / ENTRY).is_file():
        _clear(folder)
        # Pagefind walks all of --site to match a glob: the delta's pages are linked into a
        # folder of their own (same paths, so the same URLs) and indexed from there.
        site = beside(output, DELTA_SITE)
        tree.linked(output, result.delta, site)
        _index(command, site, "**/*.html", folder)
        shutil.rmtree(site, ignore_errors=True)
        _prune(folder, fragments=True)
        result.indexed.append(DELTA_FOLDER)
    return digest


def _index_vocabulary(
    command: list[str],
    output: Path,
    listed: dict[str, Path],
    previous: dict[str, Any],
    result: IndexResult,
    version: str,
) -> tuple[str, dict[str, str]]:
    """The vocabulary's pages for the ``listed`` bundles (read again from those just indexed),
    and its bundle indexed again when they changed: (its digest, page id -> bundle)."""
    pages = beside(output, VOCABULARY_PAGES)
    fresh = {bundle_id(f) for f in result.indexed}
    sources = vocabulary.refresh(pages, listed, fresh)
    digest = _digest(version, "*.html", sorted(sources.items()))
    words_of: dict[str, str] = previous.get("vocabulary_pages", {})
    if (
        previous.get("vocabulary") == digest
        and words_of
        and (output / VOCABULARY / ENTRY).is_file()
    ):
        return digest, words_of
    _clear(output / VOCABULARY)
    _index(command, pages, "*.html", output / VOCABULARY)
    words_of = vocabulary.page_ids(pages, output / VOCABULARY)
    _prune(output / VOCABULARY)
    result.indexed.append(VOCABULARY)
    return digest, words_of


def _replaced(
    waiting: dict[str, list[str]], ids: dict[str, dict[str, str]], delta: Path | None
) -> list[str]:
    """The ids of the bundles' pages that the delta holds anew or that are gone: the search
    page drops those results. A page whose indexed text did not change keeps its id in the
    delta too (Pagefind's id is a hash of it), and is not dropped."""
    own = set(vocabulary.page_urls(delta).values()) if delta else set()
    found = {
        ids.get(folder, {}).get(vocabulary.page_url(page))
        for folder, pages in waiting.items()
        for page in pages
    }
    return sorted(i for i in found if i and i not in own)


def _write_list(
    output: Path, merged: list[str], words_of: dict[str, str], replaced: list[str]
) -> None:
    """What the search page merges, relative to the site bundle: the consultation bundles (and
    the delta), the vocabulary and whose words each of its pages holds, and the results the
    delta replaces; rewritten only when it changes."""
    path = output / ROOT / LIST_NAME
    listing = {"bundles": merged, "vocabulary": f"{vocabulary.FOLDER}/", "words_of": words_of}
    if replaced:
        listing["replaced"] = replaced
    data = json.dumps(listing, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != data:
        path.write_text(data, encoding="utf-8")
