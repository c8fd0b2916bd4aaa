"""The publish step: one code path for the schedule, the dev timer and ``make publish``.

A run publishes when something the live site shows has changed since the last complete publish:
a moderation decision arrived (the watermark), the sources the site is built from changed (a
deploy brought new texts, chalicelib.sources), or the calendar moved past an opening, a closing or
the midnight of a day count (chalicelib.timeline). Under the lock (a short lease renewed while
the run is alive: chalicelib.store.lock) it brings the snapshot up to date (only what changed
since the previous one, see chalicelib.snapshot_delta; ``force`` exports everything), builds the
site at one "now", uploads only the files whose sha256 differs from the target's manifest,
deletes the ones that are gone, writes the manifest last, invalidates exactly what changed, and
only then records what it covered. A run that dies midway leaves the record behind, so the next
run finishes the job. A site that does not build is not uploaded: the live site stays as it was
and the error is recorded for staff. Approved items that cannot be published are left out, and
the list of them is recorded for staff (chalicelib.store.state) by every run that exports.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import (
    clock,
    config,
    due,
    manifest,
    snapshot_delta,
    sources,
    trigger,
    workstate,
)
from chalicelib.sitebuild import SiteBuildError, collected_once
from chalicelib.store import lock, state
from chalicelib.targets import Target, cache_control, content_type

logger = logging.getLogger(__name__)

DEFAULT_SITE_SOURCE = sources.DEFAULT_SITE_SOURCE
SNAPSHOT_DIR = "snapshot"

# progress(step, done, total): "export" (total None), "build", "upload".
Progress = Callable[[str, int, int | None], None]

PUBLISHED = "published"
NOTHING = "nothing to publish"
LOCKED = "skipped: locked"
LOST = "stopped: lock lost"
FAILED = "failed: the site does not build"
MAX_ROUNDS = 3
COMPACT_REASONS = frozenset({due.FORCED, due.SOURCES, due.CALENDAR})


class PublishConfigError(RuntimeError):
    """The scheduled publish lacks a setting of its stage."""


class LockLost(RuntimeError):
    """Another run took the lock over (this one stalled past its lease): stop before writing."""


@dataclass
class PublishResult:
    """What one run did: counts for people and logs, durations for ``make bench``."""

    status: str
    export: str = ""  # full or incremental (chalicelib.snapshot_delta)
    rendered: int = 0
    skipped: int = 0
    uploaded: int = 0
    deleted: int = 0
    unchanged: int = 0
    left_out: int = 0  # approved items that could not be published (shown to staff)
    reasons: list[str] = field(default_factory=list)  # why it ran: see _reasons
    next_change: str | None = None  # when a page of this site stops being true
    error: dict[str, str | None] | None = None  # FAILED: file, field, problem
    watermark: str | None = None
    notices: dict[str, int] = field(default_factory=dict)  # chalicelib.notices: what was written
    rounds: int = 0  # publishes under one lock: changes that landed meanwhile take another
    cold_start: bool = False  # the work folder was restored from the target (workstate)
    retention_due: bool = False  # the state says the daily retention purge has not run today
    durations: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def scheduled(requested: bool = False) -> PublishResult:
    """The scheduled run in Lambda, configured by the stage's environment: ``SITE_BUCKET``,
    ``DISTRIBUTION_ID``, ``SITE_URL``, ``API_URL`` (the public API base the forms post to),
    ``SITE_SOURCE`` (the packaged project: content, theme, settings; default: chalicelib/site)
    and ``PUBLISH_WORKDIR`` (kept between warm runs so unchanged pages are not re-rendered; a
    cold start restores it from the target, chalicelib.workstate). ``PUBLISH_TARGET_DIR`` puts
    a local directory in place of S3 (the packaged-zip test). ``requested``: a change asked for
    this run (chalicelib.trigger): it waits out the burst first.
    Then, once a day or after a publish, the retention purge runs (chalicelib.retention); its
    failure is logged, not raised: the publish stands and the next run tries again."""
    from botocore.exceptions import BotoCoreError

    from chalicelib import db, retention
    from chalicelib.targets import LocalDirTarget, S3Target

    env = os.environ
    target_dir = env.get("PUBLISH_TARGET_DIR", "").strip()
    bucket = env.get("SITE_BUCKET", "").strip()
    if not bucket and not target_dir:
        raise PublishConfigError("environment variable SITE_BUCKET is required")
    if requested:
        time.sleep(trigger.debounce())
    result = run(
        target=LocalDirTarget(Path(target_dir))
        if target_dir
        else S3Target(bucket, env.get("DISTRIBUTION_ID") or None),
        project_root=Path(env.get("SITE_SOURCE") or DEFAULT_SITE_SOURCE),
        workdir=Path(env.get("PUBLISH_WORKDIR") or "/tmp/publish"),
        api_url=env.get("API_URL", ""),
        site_url=env.get("SITE_URL", ""),
    )
    if not result.retention_due:
        return result
    try:
        now = clock.now()
        retention.purge_personal_data(db.table(), manifest.current(), now)
        state.record_retention(db.table(), now.astimezone(clock.ATHENS).date().isoformat())
    except (ClientError, BotoCoreError, manifest.ManifestError) as exc:
        logger.error("retention purge failed, will retry on the next run: %s", exc)
    return result


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _upload_order(path: str) -> tuple[bool, str]:
    # Assets before the pages that reference them, so no page points at a missing file.
    return (path.endswith(".html"), path)


def run(
    *,
    force: bool = False,
    target: Target,
    project_root: Path,
    workdir: Path,
    api_url: str,
    site_url: str,
    now: datetime | None = None,
    progress: Progress | None = None,
    table: Any = None,
    content: Path | None = None,
) -> PublishResult:
    """One publish run (see the module docstring). ``now`` defaults to the clock's (tests move
    it); ``table`` to the app's table; ``content`` to ``project_root/content``.

    With nothing to publish it reads the state item and nothing else (the one-minute schedule
    costs one GetItem). Under the lock it publishes, then looks again: changes that landed while
    it worked (a decision's own request found the lock taken) are published by another round,
    up to ``MAX_ROUNDS``; the schedule takes whatever is still left."""
    if table is None:
        from chalicelib import db

        table = db.table()
    moment = now or clock.now()
    current = state.read(table)
    source = sources.fingerprint(Path(project_root), content)
    first = current.get("published_to") != target.name
    reasons = due.reasons(current, force=force, first=first, source=source, now=moment)
    if reasons and not force and due.failed_alike(current, source):
        logger.info("publish: the site did not build from these sources; waiting for a change")
        reasons = []
    if not reasons:
        logger.info("publish: nothing new since %s", current.get("published_at"))
        return PublishResult(
            status=NOTHING,
            watermark=current.get("watermark"),
            retention_due=due.retention_due(current, moment),
        )
    with lock.held(table, _owner()) as lease:
        if lease is None:
            logger.info("publish skipped: another run holds the lock")
            return PublishResult(status=LOCKED)
        options = {"api_url": api_url, "site_url": site_url, "now": moment, "content": content}
        result = PublishResult(status=NOTHING)
        try:
            for done in range(1, MAX_ROUNDS + 1):
                state.take_request(table)
                with collected_once():
                    result = _locked_run(
                        force and done == 1,
                        target,
                        Path(project_root),
                        Path(workdir),
                        source,
                        options,
                        progress,
                        table,
                        lease,
                    )
                result.rounds = done
                if result.status != PUBLISHED:
                    break
                again = state.read(table)
                if not due.reasons(again, force=False, first=False, source=source, now=moment):
                    break
                logger.info("publish: changes arrived meanwhile, another round")
        except LockLost:
            logger.error("publish stopped: the lock was taken over; the next run publishes")
            return PublishResult(status=LOST)
        result.retention_due = result.status == PUBLISHED or due.retention_due(current, moment)
        return result


def _locked_run(
    force: bool,
    target: Target,
    project_root: Path,
    workdir: Path,
    source: str,
    build_options: dict[str, Any],
    progress: Progress | None,
    table: Any,
    lease: lock.Lease,
) -> PublishResult:
    """One round under the lock; ``source``: the sources' fingerprint, taken once a run."""
    started = time.monotonic()
    now: datetime = build_options["now"]
    current = state.read(table)
    decided_at = current.get("last_decision_at")
    watermark = current.get("watermark")
    decisions = int(current.get("decisions", 0))
    published = target.read_manifest()
    first = published is None or current.get("published_to") != target.name
    reasons = due.reasons(current, force=force, first=first, source=source, now=now)
    if not reasons:
        logger.info("publish: nothing new since %s", current.get("published_at"))
        return PublishResult(status=NOTHING, watermark=watermark)

    logger.info("publish: %s", ", ".join(reasons))
    result = PublishResult(status=PUBLISHED, watermark=watermark, reasons=reasons)
    workdir.mkdir(parents=True, exist_ok=True)
    if workstate.is_cold(workdir) and not force:
        result.cold_start = workstate.restore(target, workdir, published) > 0
    snapshot_path = workdir / SNAPSHOT_DIR  # one shard per consultation (snapshot_delta)
    export_progress = (lambda done: progress("export", done, None)) if progress else None
    exported = snapshot_delta.refresh(
        table,
        snapshot_path,
        decided_at=decided_at,
        watermark=watermark,
        full=force,
        progress=export_progress,
    )
    result.export = exported.mode
    result.left_out = len(exported.left_out)
    state.record_attention(table, exported.left_out)
    result.durations["export_s"] = time.monotonic() - started

    mark = time.monotonic()
    output = workdir / "output"
    from chalicelib.sitebuild import build_site  # Pelican loads only when a build is due

    if progress:
        progress("build", 0, 1)
    # What only gained items may wait: their pages in the search index's delta, their rows
    # for the open data's day. Everything is made whole, from an emptied folder for a search
    # bundle, when something published was taken back or the texts changed, so that no old
    # word or row stays, and at each calendar change (a midnight re-renders the open
    # consultations' day counts anyway), so that nothing waits more than a day
    # (chalicelib.search_bundles, plugins.exports).
    compact = exported.retracted or bool(COMPACT_REASONS & set(reasons))
    try:
        built_site = build_site(
            project_root,
            output,
            snapshot=snapshot_path,
            snapshot_validated=True,  # refresh() validated it: once per publish is enough
            publish=True,
            stats_path=workdir / "build-stats.json",
            compact=compact,
            **build_options,
        )
    except SiteBuildError as exc:
        return _failed(table, result, exc, source, decisions)
    result.rendered = built_site.stats.get("rendered", 0)
    result.skipped = built_site.stats.get("skipped", 0)
    if progress:
        progress("build", 1, 1)
    result.durations["build_s"] = time.monotonic() - mark
    result.durations["pagefind_s"] = built_site.durations.get("pagefind_s", 0.0)

    if lease.lost.is_set():
        raise LockLost
    mark = time.monotonic()
    built = built_site.files
    previous = published or {}
    changed = sorted((p for p, h in built.items() if previous.get(p) != h), key=_upload_order)
    gone = sorted(set(previous) - set(built))
    for done, path in enumerate(changed, 1):
        target.put(path, output / path, content_type(path), cache_control(path))
        if progress:
            progress("upload", done, len(changed))
    if gone:
        target.delete(gone)
    target.write_manifest(built)
    target.invalidate(changed + gone)
    result.uploaded, result.deleted = len(changed), len(gone)
    result.unchanged = len(built) - len(changed)
    result.durations["upload_s"] = time.monotonic() - mark

    if decided_at is not None and state.advance_watermark(table, decided_at):
        result.watermark = decided_at
    state.record_published_decisions(table, decisions)
    built_manifest = manifest.read(output / config.MANIFEST_FILE)  # once: its schema is slow
    result.next_change = min(
        filter(None, (due.next_change(built_manifest, now), built_site.due)), default=None
    )
    state.record_site(table, source=source, next_change=result.next_change)
    state.record_target(table, target.name)
    mark = time.monotonic()
    saved = workstate.save(target, workdir)
    result.durations["work_state_s"] = time.monotonic() - mark
    logger.info("publish: work state kept on the target (%s bytes)", saved)
    mark = time.monotonic()
    # What this publish covered: last_decision_at can lag behind a decision that committed out
    # of order, but a change the snapshot holds is on the site.
    covered = max(filter(None, (decided_at, exported.newest)), default=None)
    result.notices = _notify(table, built_manifest, now, covered)
    result.durations["notices_s"] = time.monotonic() - mark
    result.durations["total_s"] = time.monotonic() - started
    logger.info("publish done: %s", json.dumps(result.as_dict(), sort_keys=True))
    return result


def _notify(
    table: Any, built: manifest.Manifest, now: datetime, covered: str | None
) -> dict[str, int]:
    """Participants' notices and subscribers' announcements (chalicelib.notices) of the site
    the build's manifest describes: a failure is logged, never raised (the site is published;
    the next run writes what is missing)."""
    from botocore.exceptions import BotoCoreError

    from chalicelib import notices

    try:
        return notices.run(table, built, now, covered).as_dict()
    except (ClientError, BotoCoreError) as exc:
        logger.error("notices not written, the next run tries again: %s", exc)
    except Exception:  # a bug here must not undo a publish that is already live
        logger.exception("notices not written (a bug); the next run tries again")
    return {}


def _failed(
    table: Any, result: PublishResult, exc: SiteBuildError, source: str, decisions: int
) -> PublishResult:
    """Nothing is uploaded and nothing recorded as published: the live site stays as it was,
    the watermark too (decisions meanwhile are published once the site builds again). What it
    failed on (the sources, the decisions) is kept with the error, so the schedule does not
    build the same failure again every minute (``_failed_alike``)."""
    logger.error("publish: the site does not build, the live site is unchanged: %s", exc)
    result.status = FAILED
    result.error = exc.details
    state.record_build_error(table, {**result.error, "source": source, "decisions": str(decisions)})
    return result
