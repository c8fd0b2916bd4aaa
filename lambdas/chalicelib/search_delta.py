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
from pathlib import Path
from typing import Any

from chalicelib import pagefind_cli, tree
from chalicelib import search_vocabulary as vocabulary
from chalicelib.pagefind_cli import ENTRY, ROOT
from chalicelib.site_files import beside

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
    guards: dict[str, str],
    previous: dict[str, Any],
    version: str,
) -> dict[str, Any]:
    """Index the delta's ``pages`` with the ``guards`` (name -> page: its owners' words) into
    its folder, when they or their bytes changed. Its state: the digest of what it was indexed
    from, the guards' ids, and whether it was indexed now (``indexed``)."""
    folder = output / DELTA_FOLDER
    if not pages:
        shutil.rmtree(folder, ignore_errors=True)
        return {}
    if any(page.startswith(GUARD) for page in pages):
        raise pagefind_cli.BundleError(f"A page of the site is in the delta's guards: {GUARD}")
    sources = [(p, hashes[p][2]) for p in pages]
    sources += [
        (GUARD + name, hashlib.sha256(text.encode()).hexdigest()) for name, text in guards.items()
    ]
    digest = pagefind_cli.digest(version, DELTA, sorted(sources))
    known = previous.get("guards")
    if previous.get("digest") == digest and isinstance(known, list) and (folder / ENTRY).is_file():
        return {"digest": digest, "guards": known, "indexed": False}
    pagefind_cli.clear(folder)
    # Pagefind walks all of --site to match a glob: the delta's pages are linked into a folder
    # of their own (same paths, so the same URLs) and indexed from there.
    site = beside(output, DELTA_SITE)
    tree.linked(output, pages, site)
    (site / GUARD).mkdir(parents=True, exist_ok=True)
    for name, text in guards.items():
        (site / GUARD / name).write_text(text, encoding="utf-8")
    pagefind_cli.index(cmd, site, "**/*.html", folder)
    shutil.rmtree(site, ignore_errors=True)
    pagefind_cli.prune(folder, fragments=True)
    # The guards' own text is never shown: their index entries stay, their fragments go.
    ids = []
    for url, found in vocabulary.page_urls(folder).items():
        if url.startswith(GUARD_URL):
            ids.append(found)
            (folder / "fragment" / f"{found}.pf_fragment").unlink()
    return {"digest": digest, "guards": sorted(ids), "indexed": True}


def replaced(
    waiting: dict[str, list[str]],
    ids: dict[str, dict[str, str]],
    delta: Path | None,
    guards: list[str],
) -> list[str]:
    """The ids of the results the search page drops: the bundles' pages that the delta holds
    anew or that are gone, and the delta's ``guards``. A page whose indexed text did not change
    keeps its id in the delta too (Pagefind's id is a hash of it), and is not dropped."""
    own = set(vocabulary.page_urls(delta).values()) if delta else set()
    found = {
        ids.get(folder, {}).get(vocabulary.page_url(page))
        for folder, pages in waiting.items()
        for page in pages
    }
    return sorted({i for i in found if i and i not in own} | set(guards))
