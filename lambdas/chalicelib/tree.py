"""Walking the built site: a publish at ten times the 1× site walks 20,000+ files several times
(the search bundles, the sitemap, the upload's hashes), and a walk through pathlib spent seconds
making path objects; this one keeps to strings and scandir's entries."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def files(directory: str | Path, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """(site-relative POSIX path, absolute path) of every file under ``directory``, in no set
    order; dot files and folders are the machinery's and left out, as are the top-level
    folders named in ``skip``."""
    stack = [("", os.fspath(directory))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or (not rel and name in skip):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{rel}{name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield rel + name, entry.path
