"""Every file a build leaves in its output, listed once per build with its size, modification
time and sha256: the search step takes the pages from the list, the upload the whole of it.

At ten times the 1× site the output holds 41,700 files, half of them Pagefind's, and a publish
walked it three times (the search step, the upload, the sitemap), reading each walk's own hashes.
Now a build lists what Pelican wrote once, outside Pagefind's folder, before the search step;
then walks Pagefind's folder, without entering the folders of a bundle Pagefind has not indexed
again since the list was made (``sealed``): their files are the list's.

The list is kept beside the output (``.<output>-hashes.marshal``): a file whose size and
modification time are the ones listed keeps its hash, so a build reads only the files it wrote.
It is written with ``marshal`` (at ten times the site, 41,700 entries: 0.03 s read and written,
against 0.12 s as JSON); another Python that cannot read it makes every file hashed again, once.
Dot files belong to the machinery (the build's states, the target's manifest), not to the site.

A build that only adds (not ``compact``) does not walk: its writers say what they wrote and
removed (``journal``: Pelican's writer by its signals, the plugins' own files by ``wrote`` and
``removed``), and only those files and the theme's copied folder are looked at. Walking reads
every folder of the site, one per page: 21,000 at ten times the site, 0.2 s with the file
system's caches warm and 1.2–2.9 s once the kernel has dropped them, as it does minutes after
a publish. A compact build (a deploy, a calendar change) and a build without a list walk
everything, so a writer that forgets to say so is caught within a deploy; the tests run every
build with ``AUDIT`` set, which compares the journal's list with a walk.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib import tree
from chalicelib.pagefind_cli import ENTRY, PAGEFIND_FOLDERS, ROOT

Listed = dict[str, list[Any]]  # site-relative path -> [size, mtime_ns, sha256]
AUDIT = "DIAVOULEFSI_AUDIT_SITE_FILES"  # set (the tests): a journal's list is checked by a walk


class ListDrift(RuntimeError):
    """A writer did not say what it wrote or removed: the journal's list is not the output."""


class Journal:
    """The files a build's writers wrote into or removed from its output (site-relative)."""

    def __init__(self, output: Path) -> None:
        self.root = os.path.abspath(output) + os.sep
        self.written: set[str] = set()
        self.removed: set[str] = set()

    def note(self, path: str | os.PathLike[str], *, gone: bool = False) -> None:
        full = os.path.abspath(path)
        rel = full[len(self.root) :].replace(os.sep, "/")
        if full.startswith(self.root) and not any(p.startswith(".") for p in rel.split("/")):
            (self.removed if gone else self.written).add(rel)
            (self.written if gone else self.removed).discard(rel)


_journals: list[Journal] = []


@contextmanager
def journal(output: Path) -> Iterator[Journal]:
    """Hear what the build writes in ``output`` while the block runs: Pelican's writer says so
    with its signals (every page, feed and template), its static files are all taken as
    written (a few, stat'ed), the plugins' other files come with ``wrote``."""
    from pelican import signals

    heard = Journal(output)

    def written(path: str, **_: Any) -> None:
        heard.note(path)

    def static(generator: Any) -> None:  # copied when their source is newer, without a signal
        for found in generator.staticfiles:
            heard.note(os.path.join(generator.output_path, found.save_as))

    _journals.append(heard)
    signals.content_written.connect(written)
    signals.feed_written.connect(written)
    signals.static_generator_finalized.connect(static)
    try:
        yield heard
    finally:
        signals.content_written.disconnect(written)
        signals.feed_written.disconnect(written)
        signals.static_generator_finalized.disconnect(static)
        _journals.remove(heard)


def wrote(path: str | os.PathLike[str]) -> None:
    """A plugin wrote ``path`` (absolute) itself, not through Pelican's writer."""
    for heard in _journals:
        heard.note(path)


def removed(path: str | os.PathLike[str]) -> None:
    """A plugin deleted ``path`` (absolute) from the output."""
    for heard in _journals:
        heard.note(path, gone=True)


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


def forget(output: Path) -> None:
    """No list while a build runs: one that fails half-way leaves the next to walk everything
    (its writes were heard by no journal that is kept)."""
    path(output).unlink(missing_ok=True)


def pages_and_assets(
    output: Path, known: Listed, heard: Journal | None = None, copied: Iterable[str] = ()
) -> Listed:
    """Every file outside Pagefind's folder (the pages, the open data, the theme's files):
    walked, or with a journal (and a list), ``known`` changed by what the journal heard and by
    the ``copied`` folders (site-relative, ending with /), which a tool copies wholesale."""
    if heard is None or not known:
        walked = (rel for rel, _ in tree.files(output, frozenset({ROOT})))
        return tree.hashed(output, walked, known)
    copied = tuple(copied)
    listed = {
        rel: found
        for rel, found in known.items()
        if not rel.startswith((f"{ROOT}/", *copied)) and rel not in heard.removed
    }
    fresh = {rel for rel in heard.written if not rel.startswith(f"{ROOT}/")}
    for folder in copied:
        fresh.update(rel for rel, _ in tree.files(output, under=folder))
    root = os.fspath(output)
    present = [rel for rel in fresh if os.path.isfile(os.path.join(root, rel))]
    for rel in fresh.difference(present):
        listed.pop(rel, None)
    listed.update(tree.hashed(output, present, known))
    if os.environ.get(AUDIT):
        _audit(output, listed)
    return listed


def _audit(output: Path, listed: Listed) -> None:
    walked = pages_and_assets(output, {})
    every = walked.keys() | listed.keys()
    differ = sorted(rel for rel in every if walked.get(rel) != listed.get(rel))
    if differ:
        raise ListDrift(f"no writer said it wrote or removed {', '.join(differ[:5])}")


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
