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
- ``pagefind/vocabulary/<partition>/``: which bundles hold which words, so that the merged
  bundles answer as one whole-site index would (chalicelib.search_vocabulary);
- ``pagefind/delta/``: the pages changed since their bundle was indexed (below,
  chalicelib.search_delta);
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

import json
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib import pagefind_cli, search_delta, tree
from chalicelib import search_vocabulary as vocabulary
from chalicelib.pagefind_cli import ENTRY, PAGEFIND_FOLDERS, ROOT, BundleError
from chalicelib.search_delta import DELTA, DELTA_FOLDER, DELTA_ID, outgrown
from chalicelib.site_files import beside
from plugins.consultations import urls

logger = logging.getLogger(__name__)

LIST_NAME = "bundles.json"
STATE_NAME = ".pagefind-state.json"  # in the output: the bundles' digests (small)
VOCABULARY_PAGES = "vocabulary"  # beside the output, .<output>-…/: the vocabulary's pages
# 2: each bundle's pages and their ids as indexed, the delta; 3: the vocabulary's partitions.
STATE_FORMAT = 3
HASH_CHARS = 16  # of a page's sha256 kept per bundle: enough to tell a change
SITE_ID = "site"  # the site bundle's name on the search page (a consultation's ends with /)
VOCABULARY = f"{ROOT}/{vocabulary.FOLDER}/"
GLOB_SPECIAL = re.compile(r"([\\*?\[\]{}<>(),:!$])")
SLUG = "\x00"  # stands for the slug while the consultation pattern is taken apart


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


def _gone(output: Path, settings: dict[str, Any], current: set[str], recorded: set[str]) -> set:
    """Folders of consultation bundles no page needs any more (recorded, or found on disk)."""
    before, after = _consultation_pattern(settings)
    on_disk = {
        p.relative_to(output).as_posix() + "/"
        for p in output.glob(f"{ROOT}/{before}*{after}".rstrip("/"))
        if (p / ENTRY).is_file() and p != output / ROOT
    }
    special = {f"{ROOT}/", DELTA_FOLDER}
    return {
        f
        for f in on_disk | recorded
        if f not in special and f not in current and not f.startswith(VOCABULARY)
    }


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
    version = pagefind_cli.version()
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
    command = pagefind_cli.command()
    for folder in sorted(again):
        bundle = bundles[folder]
        pagefind_cli.clear(output / folder, keep if folder == f"{ROOT}/" else frozenset())
        pagefind_cli.index(command, output, bundle.glob, output / folder)
        if folder != f"{ROOT}/":
            pagefind_cli.prune(output / folder, fragments=True)
        base[folder], ids[folder] = now[folder], vocabulary.page_urls(output / folder)
        result.indexed.append(folder)
    waiting = {f: c for f, c in waiting.items() if f not in again}
    result.delta = sorted(p for f, c in waiting.items() for p in c if p in now[f])
    owners = sorted({bundle_id(f) for f, c in waiting.items() if any(p in now[f] for p in c)})

    # The vocabulary's pages of the bundles, then the delta with its owners' pages as guards,
    # then its own: the words its owners lack (chalicelib.search_delta).
    sources, fresh = beside(output, VOCABULARY_PAGES), {bundle_id(f) for f in result.indexed}
    bundle_folders = {bundle_id(f): output / f for f in bundles}
    pages_of = vocabulary.refresh(sources, bundle_folders, fresh, keep=frozenset({DELTA_ID}))
    guards = vocabulary.merged_pages(sources, pages_of, owners) if result.delta else {}
    before = state.get("delta")
    delta = search_delta.index(
        command,
        output,
        result.delta,
        hashes,
        guards,
        before if isinstance(before, dict) else {},
        version,
    )
    indexed = bool(delta.get("indexed"))
    if indexed:
        result.indexed.append(DELTA_FOLDER)
    if result.delta:
        bundle_folders[DELTA_ID] = output / DELTA_FOLDER
    pages_of = vocabulary.refresh(
        sources,
        bundle_folders,
        {DELTA_ID} if indexed else set(),
        minus={DELTA_ID: owners},
    )
    previous = state.get("vocabulary")
    previous = previous if same and isinstance(previous, dict) else {}
    digests, words_of, partitions = vocabulary.index(
        command, output / VOCABULARY, sources, pages_of, previous, version
    )
    result.indexed += [f"{VOCABULARY}{code}/" for code in partitions]
    delta_folder = output / DELTA_FOLDER if result.delta else None
    replaced = search_delta.replaced(waiting, ids, delta_folder, delta.get("guards", []))
    merged = sorted(b for b in bundle_folders if b != SITE_ID)
    _write_list(output, merged, digests, words_of, replaced, owners if result.delta else [])
    vocabulary_state = {"digests": digests, "ids": words_of}
    state = {"format": STATE_FORMAT, "version": version, "pages": base, "ids": ids,
             "delta": {k: v for k, v in delta.items() if k != "indexed"},
             "vocabulary": vocabulary_state}  # fmt: skip
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


def _write_list(
    output: Path,
    merged: list[str],
    partitions: dict[str, str],
    words_of: dict[str, dict[str, str]],
    replaced: list[str],
    owners: list[str],
) -> None:
    """What the search page merges, relative to the site bundle: the consultation bundles (and
    the delta, with the bundles whose matches bring it in), the vocabulary's partitions by
    letter and whose words each of their pages holds, and the results it drops; rewritten only
    when it changes."""
    path = output / ROOT / LIST_NAME
    listing: dict[str, Any] = {
        "bundles": merged,
        "vocabulary": {chr(int(code, 16)): f"{vocabulary.FOLDER}/{code}/" for code in partitions},
        "words_of": {found: b for ids in words_of.values() for found, b in ids.items()},
    }
    if owners:
        listing["delta"] = {"bundle": DELTA_ID, "owners": owners}
    if replaced:
        listing["replaced"] = replaced
    data = json.dumps(listing, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != data:
        path.write_text(data, encoding="utf-8")
