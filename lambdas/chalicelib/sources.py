"""What the site is built from, as one fingerprint: content, theme, Pelican settings, the plugins
and the code and spec files they read (this package).

The publish step records the fingerprint with every complete publish and rebuilds when it
differs, so a deploy that brings new texts (or a new template) is published by the next run with
no moderation decision needed. The same files are found in the repository and in the packaged
publish function (``chalicelib/site`` + ``plugins/`` at the zip root).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import chalicelib
import plugins

# The project files a build reads (the package ships them as chalicelib/site, scripts/package.py).
SITE = ("content", "theme", "pelicanconf.py", "publishconf.py")
CACHES = frozenset({"__pycache__"})  # and every dot file or folder
# In the package, chalicelib/site is the project itself and chalicelib/data the API's manifest.
PACKAGE_SKIPPED = CACHES | {"site", "data"}
# Where the packaged functions find the project (publish and grouping; ``SITE_SOURCE`` wins).
DEFAULT_SITE_SOURCE = Path(__file__).resolve().parent / "site"


def _feed(sha: Any, path: Path, skipped: frozenset[str]) -> None:
    """Add a file's bytes, or every file of a folder by relative path and bytes."""
    if path.is_file():
        sha.update(hashlib.sha256(path.read_bytes()).digest())
        return
    for file in sorted(path.rglob("*")):
        rel = file.relative_to(path)
        hidden = any(p.startswith(".") or p in skipped for p in rel.parts)
        if file.is_file() and not hidden and file.suffix != ".pyc":
            sha.update(rel.as_posix().encode() + b"\0")
            sha.update(hashlib.sha256(file.read_bytes()).digest())


def tree_digest(*folders: str | Path) -> str:
    """One hash over every file's relative path and bytes (dot files and caches skipped)."""
    sha = hashlib.sha256()
    for folder in folders:
        _feed(sha, Path(folder), CACHES)
    return sha.hexdigest()


def code_digest() -> str:
    """The code a build runs: the plugins and this package (a deploy that changes a page's
    making changes it, so nothing built by the old code is taken as settled)."""
    sha = hashlib.sha256()
    _feed(sha, Path(plugins.__file__).parent, CACHES)
    _feed(sha, Path(chalicelib.__file__).parent, PACKAGE_SKIPPED)
    return sha.hexdigest()


def fingerprint(project_root: Path, content: Path | None = None) -> str:
    """The sources of a build of ``content`` (default ``project_root/content``)."""
    root = Path(project_root)
    parts = {
        **{name: (root / name, CACHES) for name in SITE},
        "content": (Path(content or root / "content"), CACHES),
        "plugins": (Path(plugins.__file__).parent, CACHES),
        "chalicelib": (Path(chalicelib.__file__).parent, PACKAGE_SKIPPED),
    }
    sha = hashlib.sha256()
    for label, (path, skipped) in parts.items():
        sha.update(label.encode() + b"\0")
        _feed(sha, path, skipped)
    return sha.hexdigest()
