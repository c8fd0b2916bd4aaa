"""Walking the built site: a publish at ten times the 1× site walks 20,000+ files several times
(the search bundles, the sitemap, the upload's hashes), and a walk through pathlib spent seconds
making path objects; this one keeps to strings and scandir's entries."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def files(
    directory: str | Path,
    skip: frozenset[str] = frozenset(),
    *,
    under: str = "",
    sealed: frozenset[str] = frozenset(),
) -> Iterator[tuple[str, str]]:
    """(site-relative POSIX path, absolute path) of every file under ``directory`` (or its
    folder ``under``, ending with /), in no set order; dot files and folders are the
    machinery's and left out, as are the top-level folders named in ``skip`` and the folders
    in ``sealed`` (site-relative, ending with /: their files are known otherwise)."""
    start = os.path.join(os.fspath(directory), under)
    if under and not os.path.isdir(start):
        return
    stack = [(under, start)]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or (not rel and name in skip):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if f"{rel}{name}/" not in sealed:
                        stack.append((f"{rel}{name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield rel + name, entry.path


def hashed(
    directory: str | Path, files: Iterable[str], cache: dict[str, Any]
) -> dict[str, list[Any]]:
    """site-relative path -> [size, mtime_ns, sha256] of ``files`` under ``directory``: a file
    whose size and modification time are those ``cache`` (an earlier answer) has keeps its hash,
    so a publish reads only the files its build wrote."""
    found, root = {}, os.fspath(directory)
    for rel in files:
        path = os.path.join(root, rel)
        stat = os.stat(path)
        known = cache.get(rel)
        if (
            isinstance(known, list)
            and len(known) == 3
            and known[:2] == [stat.st_size, stat.st_mtime_ns]
        ):
            found[rel] = known
        else:
            with open(path, "rb") as file:
                sha = hashlib.file_digest(file, "sha256").hexdigest()
            found[rel] = [stat.st_size, stat.st_mtime_ns, sha]
    return found


def linked(directory: str | Path, files: Iterable[str], folder: Path) -> None:
    """``folder`` made afresh with ``files`` of ``directory`` at their own site-relative paths,
    hard-linked (copied where a link cannot be made), for a tool that walks all it is given."""
    shutil.rmtree(folder, ignore_errors=True)
    for rel in files:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(os.path.join(directory, rel), folder / rel)
        except OSError:  # another file system
            shutil.copy2(os.path.join(directory, rel), folder / rel)
