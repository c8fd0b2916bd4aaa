"""Every file a build leaves in its output, listed once per build with its size, modification
time and sha256: the search step takes the pages from the list, the upload the whole of it.

At ten times the 1× site the output holds 41,700 files, half of them Pagefind's, and a publish
walked it three times (the search step, the upload, the sitemap), reading each walk's own hashes.
Now a build walks what Pelican wrote once, outside Pagefind's folder, before the search step;
then Pagefind's folder, without entering the folders of a bundle Pagefind has not indexed again
since the list was made (``sealed``): their files are the list's.

The list is kept beside the output (``.<output>-hashes.marshal``): a file whose size and
modification time are the ones listed keeps its hash, so a build reads only the files it wrote.
It is written with ``marshal`` (at ten times the site, 41,700 entries: 0.03 s read and written,
against 0.12 s as JSON); another Python that cannot read it makes every file hashed again, once.
Dot files belong to the machinery (the build's states, the target's manifest), not to the site.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from chalicelib import tree
from chalicelib.pagefind_cli import ENTRY, PAGEFIND_FOLDERS, ROOT

Listed = dict[str, list[Any]]  # site-relative path -> [size, mtime_ns, sha256]


def beside(output: Path, name: str) -> Path:
    """A file of the build's beside the output folder (``.<output>-<name>``): never uploaded,
    never taken for a page of the site."""
    return Path(output).parent / f".{Path(output).name}-{name}"


def path(output: Path) -> Path:
    return beside(output, "hashes.marshal")


def read(output: Path) -> Listed:
    """The list the last build left; empty (every file hashed again) if there is none or it
    cannot be read."""
    try:
        listed = marshal.loads(path(output).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return listed if isinstance(listed, dict) else {}


def write(output: Path, listed: Listed) -> None:
    path(output).write_bytes(marshal.dumps(listed))


def pages_and_assets(output: Path, known: Listed) -> Listed:
    """Every file outside Pagefind's folder (the pages, the open data, the theme's files)."""
    walked = (rel for rel, _ in tree.files(output, frozenset({ROOT})))
    return tree.hashed(output, walked, known)


def search_index(output: Path, known: Listed) -> Listed:
    """Every file of Pagefind's folder; a sealed folder's as ``known`` lists them."""
    sealed = tuple(_sealed(output, known))
    walked = (rel for rel, _ in tree.files(output, under=f"{ROOT}/", sealed=frozenset(sealed)))
    listed = tree.hashed(output, walked, known)
    if sealed:
        listed.update((rel, found) for rel, found in known.items() if rel.startswith(sealed))
    return listed


def _sealed(output: Path, known: Listed) -> list[str]:
    """Pagefind's own folders (fragments, index chunks, filters) of each bundle whose entry file
    is the one ``known`` lists. Pagefind writes a bundle's entry every time it indexes it, into
    an emptied folder (chalicelib.search_bundles), so the rest of such a bundle is as listed."""
    found = []
    for rel, entry in known.items():
        if not rel.startswith(f"{ROOT}/") or not rel.endswith(f"/{ENTRY}"):
            continue
        try:
            stat = os.stat(os.path.join(output, rel))
        except OSError:
            continue
        if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            folder = rel[: -len(ENTRY)]
            found += [f"{folder}{sub}/" for sub in sorted(PAGEFIND_FOLDERS)]
    return found


def manifest(listed: Listed) -> dict[str, str]:
    """site-relative path -> sha256, sorted: what the target's manifest records."""
    return {rel: listed[rel][2] for rel in sorted(listed)}
