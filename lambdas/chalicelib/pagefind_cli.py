"""Running Pagefind on one bundle: the search bundles, the delta and the vocabulary's partitions
(chalicelib.search_bundles, search_delta, search_vocabulary) are each a folder Pagefind indexes
on its own, from a set of pages it is pointed at, and are kept only as far as the search page
reads them."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = "pagefind"  # the site bundle's folder, where the search page loads Pagefind from
ENTRY = "pagefind-entry.json"  # every bundle has one: its absence means an unfinished bundle
# What Pagefind writes into a bundle's folder besides files named pagefind*/wasm.*: a
# consultation bundle's first folder must not be one of these (nor the list).
PAGEFIND_FOLDERS = frozenset({"index", "fragment", "filter", "playground"})


class BundleError(RuntimeError):
    """Pagefind failed, or a bundle's folder would collide with another's."""


def digest(version: str, glob: str, files: list[tuple[str, str]]) -> str:
    """What a bundle was indexed from: Pagefind's version, the glob, (file, content hash)."""
    return hashlib.sha256(json.dumps([version, glob, files]).encode("utf-8")).hexdigest()


def version() -> str:
    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        return "unknown"


def command() -> list[str]:
    """The binary itself (2 ms to start) rather than ``python -m pagefind`` (70 ms): one start
    per bundle to re-index."""
    from pagefind.service import get_executable

    binary = get_executable()
    return [str(binary)] if binary else [sys.executable, "-m", "pagefind"]


def clear(folder: Path, keep: frozenset[str] = frozenset()) -> None:
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


def index(cmd: list[str], site: Path, glob: str, folder: Path) -> None:
    """Index the pages of ``site`` that ``glob`` matches into ``folder``."""
    args = [*cmd, "--site", str(site), "--glob", glob, "--output-path", str(folder)]
    done = subprocess.run([*args, "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not (folder / ENTRY).is_file():
        tail = (done.stderr or done.stdout)[-2000:]
        raise BundleError(f"pagefind failed on {folder} ({done.returncode}): {tail}")


def prune(folder: Path, *, fragments: bool = False) -> None:
    """A merged bundle is read through the site bundle's scripts and WebAssembly: keep only its
    index (the entry, the metadata and the chunk folders), 0.65 MB less per bundle. The
    vocabulary's pages are never shown: without ``fragments`` their text goes too."""
    for entry in folder.iterdir():
        if entry.is_file() and entry.name != ENTRY and not entry.name.endswith(".pf_meta"):
            entry.unlink()
        elif entry.name == "fragment" and not fragments:
            shutil.rmtree(entry)
