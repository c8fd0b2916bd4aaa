"""The publish part of ``make bench``: load the large site's submissions as approved items,
publish once, approve 20 new comments through chalicelib.moderation (which records the decision
for the publish step) and publish again, three times; then the schedule's usual run (nothing new)
and the run at the next calendar change (a midnight's day counts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.config import MANIFEST_FILE
from scripts.bench_backend import (
    ROUNDS,
    SITE_URL,
    Report,
    app_environment,
    has_module,
    median_run,
    now_utc,
    project_root,
)

APPROVALS = 20
# DynamoDB Local takes batches faster from a few writers at once (2 CPUs: 21,500 items in 21 s
# instead of 33 s with 8 threads, under load); each thread has its own boto3 resource.
LOAD_THREADS = 4


def bench_publish(report: Report, work: Path, db: Any, site: Any) -> None:
    """Load the large site's submissions, publish once, approve 20 comments, publish again."""
    missing = [m for m in ("chalicelib.publish", "chalicelib.sitebuild", "chalicelib.moderation")
               if not has_module(m)]  # fmt: skip
    if missing:
        report.na("publish", "publish after 20 approvals", f"{', '.join(missing)} not there yet")
        return
    from scripts.dynamodb_local import create_table

    create_table(db.client(), "bench-publish")
    workdir = work / "publish"
    env = {"TABLE_NAME": "bench-publish", "DYNAMODB_ENDPOINT": db.endpoint, "SITE_URL": SITE_URL,
           "IP_HASH_KEY": "bench-ip-hash-key",
           "MANIFEST_PATH": str(workdir / "output" / MANIFEST_FILE)}  # fmt: skip
    with app_environment(env):
        _publish_runs(report, work, workdir, site)


def _publish_runs(report: Report, work: Path, workdir: Path, site: Any) -> None:
    from chalicelib import db as app_db
    from chalicelib import publish
    from chalicelib.targets import LocalDirTarget

    table = app_db.table()
    start = time.perf_counter()
    loaded = load_submissions(table, site)
    report.add("publish", "load submissions into DynamoDB Local", "db_load_s",
               time.perf_counter() - start,
               f"{loaded:,} items, {LOAD_THREADS} writers")  # fmt: skip

    kwargs = {"target": LocalDirTarget(work / "published"), "workdir": workdir,
              "project_root": project_root(site.root), "api_url": "http://127.0.0.1:8010",
              "site_url": SITE_URL, "now": site.now}  # fmt: skip
    start = time.perf_counter()
    first = publish.run(**kwargs)
    report.add("publish", "first publish (everything)", "publish_first_s",
               time.perf_counter() - start, f"{first.uploaded:,} files uploaded")  # fmt: skip
    walls, runs = [], []
    for round_ in range(ROUNDS):
        approve_new(table, site, APPROVALS, start=round_ * APPROVALS)
        start = time.perf_counter()
        run = publish.run(**kwargs)
        walls.append(time.perf_counter() - start)
        if run.status != publish.PUBLISHED:
            report.na("publish", "publish after 20 approvals", f"status: {run.status}")
            return
        runs.append(run)
    # the median round's rows; the first (seconds after the full publish) beside them
    middle, note = median_run(walls)
    second, wall = runs[middle], walls[middle]
    build_s = report.numbers.get("site_build_s")
    note += f", {wall / build_s:.0%} of the full build" if build_s else ""
    report.add("publish", f"publish after {APPROVALS} approvals", "publish_after_approvals_s",
               wall, note)  # fmt: skip
    report.add("publish", "  the first of them, right after the full publish",
               "publish_after_approvals_first_s", walls[0])  # fmt: skip
    report.add("publish", "  pages rendered", "publish_rendered_count", second.rendered)
    report.add("publish", "  pages skipped (unchanged)", "publish_skipped_count", second.skipped)
    report.add("publish", "  files uploaded", "publish_uploaded_count", second.uploaded)
    report.add("publish", "  files unchanged", "publish_unchanged_count", second.unchanged)
    for step in ("export", "build", "pagefind", "upload"):
        for name, run in (("first", first), ("after_approvals", second)):
            seconds = run.durations.get(f"{step}_s")
            if seconds is not None:
                what = "  its Pagefind index" if step == "pagefind" else f"  {step}"
                label = f"{what} ({'first' if name == 'first' else 'after approvals'})"
                note = f"{run.export} export" if step == "export" else ""
                report.add("publish", label, f"publish_{name}_{step}_s", seconds, note)
    _idle_and_calendar_runs(report, kwargs, second.next_change)
    if build_s:
        report.add("publish", "publish / full build", "publish_vs_build_ratio", wall / build_s)
        build_step = second.durations.get("build_s")
        if build_step is not None:
            report.add("publish", "its build step / full build",
                       "publish_build_vs_full_build_ratio", build_step / build_s)  # fmt: skip


def _idle_and_calendar_runs(
    report: Report, kwargs: dict[str, Any], next_change: str | None
) -> None:
    """The schedule's usual run (nothing new: the sources fingerprinted, the state read), and
    the run at the next calendar change (a midnight: every day count of the open consultation)."""
    from chalicelib import publish

    start = time.perf_counter()
    idle = publish.run(**kwargs)
    report.add("publish", "a run with nothing new", "publish_nothing_new_s",
               time.perf_counter() - start, idle.status)  # fmt: skip
    if next_change is None:
        report.na("publish", "a run at the next calendar change", "no change ahead")
        return
    start = time.perf_counter()
    tick = publish.run(**{**kwargs, "now": datetime.fromisoformat(next_change)})
    report.add("publish", "a run at the next calendar change", "publish_calendar_s",
               time.perf_counter() - start,
               f"{', '.join(tick.reasons)}: {tick.rendered:,} pages rendered")  # fmt: skip


def _entries(site: Any) -> list[tuple[str, dict[str, Any]]]:
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    return [("proposal", p) for p in snapshot["proposals"]] + [
        ("comment", c) for c in snapshot["comments"]
    ]


def load_submissions(table: Any, site: Any, threads: int = LOAD_THREADS) -> int:
    """Every entry of the large site's snapshot as an approved submission item, written by
    ``threads`` batch writers; then the publish state's decision mark. Returns the item count."""
    from scripts.seed_demo import mark_decision, submission_item

    entries = _entries(site)

    def items(share: int) -> Iterator[dict[str, Any]]:
        for n in range(share, len(entries), threads):
            kind, entry = entries[n]
            yield submission_item(entry, kind, email=f"bench+{n}@example.invalid")

    write_items(table, [items(share) for share in range(threads)])
    # Approved (and answered) items got there through decisions, which leave their time on the
    # publish state: the newest is the last answer, if later than the last approval.
    stamps = [(e.get("answer") or {}).get("answered_at") or e["approved_at"] for _, e in entries]
    latest = max([*stamps, *(e["approved_at"] for _, e in entries)], default=now_utc())
    mark_decision(table, latest.replace("Z", ".000Z") if "." not in latest else latest)
    return len(entries)


def write_items(table: Any, streams: list[Any]) -> None:
    """Write each stream of items through its own batch writer, the streams side by side."""
    import boto3

    from chalicelib.db import BOTO_CONFIG

    endpoint, name = table.meta.client.meta.endpoint_url, table.name

    def write(stream: Any) -> None:
        own = boto3.resource("dynamodb", endpoint_url=endpoint, config=BOTO_CONFIG).Table(name)
        with own.batch_writer() as batch:
            for item in stream:
                batch.put_item(Item=item)

    with ThreadPoolExecutor(max(1, len(streams))) as pool:
        list(pool.map(write, streams))  # list(): a failed writer raises here


def new_comment(site: Any, i: int, tag: str) -> dict[str, Any]:
    """A comment written now on one of the first five texts of the open consultation."""
    texts = [key for key in site.texts if key[0] == site.open_consultation][:5]
    consultation, text = texts[i % len(texts)]
    return {"id": f"{tag}{i:06d}x", "reference": f"NS-{tag[:3].upper()}{i:04d}",
            "consultation": consultation, "text": text, "proposal": None,
            "paragraph": None, "parent": None, "body": f"Νέο σχόλιο {i + 1} προς έλεγχο.",
            "author": {"respondent_type": "citizen", "display_name": "Νέος Συμμετέχων"},
            "created_at": now_utc(), "approved_at": now_utc()}  # fmt: skip


def add_pending(table: Any, site: Any, count: int, threads: int = LOAD_THREADS) -> None:
    """``count`` comments awaiting moderation (the queue staff work through)."""
    from scripts.seed_demo import submission_item

    def items(share: int) -> Iterator[dict[str, Any]]:
        for i in range(share, count, threads):
            entry = new_comment(site, i, "pending")
            yield submission_item(entry, "comment", email="new@example.invalid", status="pending")

    write_items(table, [items(share) for share in range(threads)])


def approve_new(table: Any, site: Any, count: int, start: int = 0) -> None:
    """``count`` new comments, each approved the way moderation records a decision (the item,
    its audit entry, the publish state's mark): what the next publish must bring to the site.
    ``start``: the first one's number (a later round's comments are new ones, not the same)."""
    from chalicelib import moderation
    from scripts.seed_demo import submission_item

    for i in range(start, start + count):
        entry = new_comment(site, i, "bench")
        table.put_item(Item=submission_item(entry, "comment", email="new@example.invalid",
                                            status="pending"))  # fmt: skip
        moderation.decide(entry["id"], b'{"action": "approve"}', "bench")
