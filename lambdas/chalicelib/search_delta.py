"""The search index's delta: the pages changed since their bundle was indexed, when nothing
published was taken back, indexed on their own into ``pagefind/delta/`` (chalicelib.search_bundles
decides which; docs/search.md).

**Guards.** The search page searches the delta when a query matches in one of the bundles its
pages come from (its *owners*), or in the delta's own vocabulary pages, which hold only the
delta's words its owners do not have (chalicelib.search_vocabulary). So a publish whose pages
bring no word new to their consultation changes no vocabulary partition. For that the delta
must never fall back to a shorter word where one whole-site index would not (Pagefind #780): it
is indexed with its owners' vocabulary pages beside its pages (``GUARD``), so it holds every
word its owners hold. The search page drops the guards' results (``replaced``).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from chalicelib import pagefind_cli, tree
from chalicelib import search_vocabulary as vocabulary
from chalicelib.pagefind_cli import ENTRY, ROOT

DELTA = "delta"
DELTA_FOLDER = f"{ROOT}/{DELTA}/"
DELTA_ID = f"{DELTA}/"  # its name on the search page
# Past this many pages in the delta, the bundles with the most changed pages are indexed again
# (compacted) and leave it.
DELTA_PAGES = 200
DELTA_SITE = "delta-pages"  # .<output>-delta-pages/: the delta's pages, linked, for Pagefind
# In that folder, the owners' vocabulary pages: a folder no page of the site has (its pages are
# under the URL settings' folders; Pagefind leaves out any path naming its own folder).
GUARD = "_guard/"
GUARD_URL = f"/{GUARD}"


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


def index(
    cmd: list[str],
    output: Path,
    pages: list[str],
    hashes: dict[str, list],
    guards: Iterable[Path],
    previous: str | None,
    version: str,
) -> tuple[str | None, bool]:
    """Index the delta's ``pages`` with the ``guards`` (the owners' vocabulary pages) into its
    folder, when they or their bytes changed: (its digest, whether it was indexed)."""
    folder = output / DELTA_FOLDER
    if not pages:
        shutil.rmtree(folder, ignore_errors=True)
        return None, False
    if any(page.startswith(GUARD) for page in pages):
        raise pagefind_cli.BundleError(f"A page of the site is in the delta's guards: {GUARD}")
    guarded = {f"{GUARD}{p.parent.name}-{p.name}": p for p in guards}
    sources = [(p, hashes[p][2]) for p in pages]
    sources += [(rel, hashlib.sha256(p.read_bytes()).hexdigest()) for rel, p in guarded.items()]
    digest = pagefind_cli.digest(version, DELTA, sorted(sources))
    if digest == previous and (folder / ENTRY).is_file():
        return digest, False
    pagefind_cli.clear(folder)
    # Pagefind walks all of --site to match a glob: the delta's pages are linked into a folder
    # of their own (same paths, so the same URLs) and indexed from there.
    site = output.parent / f".{output.name}-{DELTA_SITE}"
    tree.linked(output, pages, site)
    for rel, path in guarded.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, site / rel)
    pagefind_cli.index(cmd, site, "**/*.html", folder)
    shutil.rmtree(site, ignore_errors=True)
    pagefind_cli.prune(folder, fragments=True)
    return digest, True


def replaced(
    waiting: dict[str, list[str]], ids: dict[str, dict[str, str]], delta: Path | None
) -> list[str]:
    """The ids of the results the search page drops: the bundles' pages that the delta holds
    anew or that are gone, and the delta's guards. A page whose indexed text did not change
    keeps its id in the delta too (Pagefind's id is a hash of it), and is not dropped."""
    held = vocabulary.page_urls(delta) if delta else {}
    own = {found for url, found in held.items() if not url.startswith(GUARD_URL)}
    guards = {found for url, found in held.items() if url.startswith(GUARD_URL)}
    found = {
        ids.get(folder, {}).get(vocabulary.page_url(page))
        for folder, pages in waiting.items()
        for page in pages
    }
    return sorted({i for i in found if i and i not in own} | guards)
