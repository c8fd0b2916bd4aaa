"""A publish's work folder survives a cold start: it is kept beside the site, on the target.

The publish function keeps its work folder (``/tmp/publish``) between warm runs: the snapshot and
its state (chalicelib.snapshot_delta: only changes are read), the built site with its render
fingerprints (unchanged pages are not rendered again) and the states of the exports and of the
search bundles. A new container starts with an empty folder, and its first run would export
and build everything: a minute on a large site, several at ten times its size. So after every
complete publish the small part (the snapshot, its state, the build's dot files) goes to the
target as one private archive (``ARCHIVE``: CloudFront never serves a path containing ``/.``),
and a run that finds its folder empty restores it and mirrors the published files the target's
manifest lists into ``output``. It then renders, indexes and uploads only what changed, as a
warm run does.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import tarfile
from pathlib import Path
from typing import Any

from chalicelib import site_files, snapshot_delta, snapshot_shards
from chalicelib.targets import MANIFEST_CACHE, Target

logger = logging.getLogger(__name__)

ARCHIVE = ".publish-work/state.tar.gz"
OUTPUT = "output"
SHARDS = ".publish-work/snapshot"  # one gzip object per file of a shard (entries, stamps)
SNAPSHOT = "snapshot"  # the shards' folder (chalicelib.snapshot_delta)
SNAPSHOT_STATE = "snapshot-state.json"
UPLOADED = "uploaded-shards.json"  # shard file -> the sha256 the target holds
# gzip's fastest level: the work state goes up after every publish, and on a 10 MB shard level 6
# took twice as long (0.10 s against 0.05 s) for a third fewer bytes, which only a cold start
# reads.
LEVEL = 1


def _members(workdir: Path) -> list[tuple[Path, str]]:
    """(file, name in the archive): the snapshot's state and the build's dot files."""
    found = [
        (workdir / name, name) for name in (SNAPSHOT_STATE, UPLOADED) if (workdir / name).is_file()
    ]
    output = workdir / OUTPUT
    if output.is_dir():
        found += [
            (path, f"{OUTPUT}/{path.name}")
            for path in sorted(output.iterdir())
            if path.is_file() and path.name.startswith(".")
        ]
    return found


def _shard_files(workdir: Path) -> dict[str, str]:
    """Every file of the snapshot's shards (entries and stamps) -> its sha256, as the state
    records them; none when the state is unreadable (the next refresh exports in full)."""
    try:
        state = json.loads((workdir / SNAPSHOT_STATE).read_text(encoding="utf-8"))
        return {
            name: sha
            for shard in state["shards"].values()
            for name, sha in snapshot_shards.shard_files(shard).items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save(target: Target, workdir: Path) -> int:
    """Put the work state on the target (after a complete publish): the shards whose bytes the
    target does not have yet, then the archive; how many bytes went."""
    workdir = Path(workdir)
    sent = 0
    try:
        uploaded = json.loads((workdir / UPLOADED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        uploaded = {}
    files = _shard_files(workdir)
    for name, sha in files.items():
        if uploaded.get(name) != sha:
            data = gzip.compress((workdir / SNAPSHOT / name).read_bytes(), LEVEL, mtime=0)
            target.put(f"{SHARDS}/{name}.gz", data, "application/gzip", MANIFEST_CACHE)
            uploaded[name], sent = sha, sent + len(data)
    gone = sorted(set(uploaded) - set(files))
    if gone:
        target.delete([f"{SHARDS}/{name}.gz" for name in gone])
        for name in gone:
            del uploaded[name]
    (workdir / UPLOADED).write_text(json.dumps(uploaded, sort_keys=True), encoding="utf-8")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=LEVEL) as archive:
        for path, name in _members(workdir):
            info = archive.gettarinfo(str(path), arcname=name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(path, "rb") as fh:
                archive.addfile(info, fh)
    data = buffer.getvalue()
    target.put(ARCHIVE, data, "application/gzip", MANIFEST_CACHE)
    return sent + len(data)


def is_warm(workdir: Path) -> bool:
    return (Path(workdir) / SNAPSHOT_STATE).is_file()


def is_cold(workdir: Path) -> bool:
    """A folder without the snapshot's state has never published here."""
    return not is_warm(workdir)


def restore(target: Target, workdir: Path, manifest: dict[str, str] | None) -> int:
    """Bring an empty work folder to where the last complete publish left it: the archive's
    files, then every published file (``manifest``) into ``output``; how many files came."""
    workdir = Path(workdir)
    if manifest is None:
        return 0  # never published: a first publish builds everything anyway
    data = target.get(ARCHIVE)
    if data is None:
        logger.info("cold start: no work state on the target; a full publish")
        return 0
    restored = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not _safe(member.name):
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            dest = workdir / member.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(source.read())
            restored += 1
    for name in _shard_files(workdir):
        packed = target.get(f"{SHARDS}/{name}.gz")
        if packed is None:  # a shard is missing: the next refresh exports in full
            (workdir / SNAPSHOT_STATE).unlink(missing_ok=True)
            break
        (workdir / SNAPSHOT).mkdir(parents=True, exist_ok=True)
        (workdir / SNAPSHOT / name).write_bytes(gzip.decompress(packed))
        restored += 1
    snapshot_delta.adopt(workdir / SNAPSHOT)  # the shards are the archive's bytes: trust them
    output = workdir / OUTPUT
    fetched = target.fetch(sorted(manifest), output)
    _seed_hashes(output, manifest)
    logger.info("cold start: %s state files and %s site files restored", restored, fetched)
    return restored + fetched


def _safe(name: str) -> bool:
    """Only the names ``save`` writes: no absolute paths, no way out of the work folder."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        return False
    if len(parts) == 2:
        return parts[0] == OUTPUT and parts[1].startswith(".")
    return name in (SNAPSHOT_STATE, UPLOADED)


def _seed_hashes(output: Path, manifest: dict[str, str]) -> None:
    """The mirrored files are the published bytes: their hashes are the manifest's (the list
    of the build's files, chalicelib.site_files)."""
    listed: dict[str, list[Any]] = {}
    for rel, sha in manifest.items():
        path = output / rel
        if path.is_file():
            stat = path.stat()
            listed[rel] = [stat.st_size, stat.st_mtime_ns, sha]
    site_files.write(output, listed)
