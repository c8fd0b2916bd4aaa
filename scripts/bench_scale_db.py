"""The DynamoDB Local part of ``make bench-scale`` (scripts/bench_scale.py), at one scale:

- the large site's submissions loaded as approved items (``bench_publish.load_submissions``:
  batch writers side by side), timed;
- the first publish (full export, build, upload to a LocalDirTarget) in its own process, so that
  its wall time and peak RSS are its own (wait4, as the full build's);
- a moderation backlog: 1 % of the comments pending, 20 comments approved since the publish;
- the moderation routes staff open first, called directly (chalicelib.moderation_queue, no HTTP
  or auth in front): the pending list's first page, the summary, the decided-unpublished view;
  p50/p99 over up to ``CALLS`` calls each, in a child process with a deadline (a route that reads
  the whole table can take minutes a call at 10×);
- the publish after those 20 approvals, in its own process too, and after 20 more twice: the
  median of the three.

    python scripts/bench_scale_db.py --publish-child '{...}'    (what the parts above run)
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chalicelib.config import MANIFEST_FILE
from scripts.bench_backend import (
    ROUNDS,
    SITE_URL,
    BenchError,
    Report,
    app_environment,
    median_run,
    percentile,
    project_root,
)
from scripts.bench_publish import (
    APPROVALS,
    LOAD_THREADS,
    add_pending,
    approve_new,
    load_submissions,
)
from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent

TABLE = "bench-scale"
LABELS = {"first": "first publish (full export + build)",
          "after_approvals": f"publish after {APPROVALS} approvals"}  # fmt: skip
PENDING_SHARE = 0.01  # comments awaiting moderation, per approved comment
CALLS = 50
ROUTE_SECONDS = 60.0  # measured calls of one route stop after this long (p99 over fewer calls)
ROUTE_DEADLINE = 300.0  # the child measuring one route is stopped after this long
# name -> (label, function of chalicelib.moderation_queue, its query parameters)
ROUTES = {
    "pending": ("pending list, first page", "list_items", {"status": "pending"}),
    "summary": ("summary (counts per status)", "summary", {}),
    "decided": ("decided, not yet published", "decided_unpublished", {}),
}


def app_env(db: Any, work: Path) -> dict[str, str]:
    """The app's configuration for this scale's table (chalicelib.config reads it)."""
    return {"TABLE_NAME": TABLE, "DYNAMODB_ENDPOINT": db.endpoint, "SITE_URL": SITE_URL,
            "IP_HASH_KEY": "bench-ip-hash-key",
            "MANIFEST_PATH": str(work / "publish" / "output" / MANIFEST_FILE)}  # fmt: skip


def bench_scale_db(report: Report, work: Path, db: Any, site: Any, calls: int = CALLS) -> None:
    """Load, first publish, backlog, moderation routes, publish after 20 approvals."""
    from chalicelib import db as app_db
    from scripts.dynamodb_local import create_table

    create_table(db.client(), TABLE)
    env = app_env(db, work)
    with app_environment(env):
        start = time.perf_counter()
        loaded = load_submissions(app_db.table(), site)
        report.add("publish", "load submissions into DynamoDB Local", "db_load_s",
                   time.perf_counter() - start,
                   f"{loaded:,} items, {LOAD_THREADS} writers")  # fmt: skip
    first = measured_publish(report, work, env, site, "first")
    with app_environment(env):
        pending = max(25, int(site.comments_count * PENDING_SHARE))
        add_pending(app_db.table(), site, pending)
        approve_new(app_db.table(), site, APPROVALS)
    report.add("moderation", "comments pending", "moderation_pending_count", pending)
    for name in ROUTES:
        moderation_route(report, env, name, calls)
    if first:
        approved_rounds(report, work, env, site)
    else:
        report.na("publish", f"publish after {APPROVALS} approvals", "the first publish failed")


def approved_rounds(report: Report, work: Path, env: dict[str, str], site: Any) -> None:
    """The publish after 20 approvals, ``ROUNDS`` times (each after 20 comments of its own):
    the median one's rows, as ``make bench`` reports it."""
    from chalicelib import db as app_db

    runs = []
    for round_ in range(ROUNDS):
        if round_:  # the first round's approvals are the backlog's, made before the routes
            with app_environment(env):
                approve_new(app_db.table(), site, APPROVALS, start=round_ * APPROVALS)
        try:
            runs.append(publish_run(work, env, site, f"after_approvals-{round_}"))
        except BenchError as exc:
            report.na("publish", f"publish after {APPROVALS} approvals", str(exc))
            return
    middle, note = median_run([run[0] for run in runs])
    report_publish(report, "after_approvals", *runs[middle], note)


def publish_run(
    work: Path, env: dict[str, str], site: Any, name: str
) -> tuple[float, int, dict[str, Any]]:
    """One publish run in its own process: its wall time, peak RSS and result; BenchError if it
    failed or did not publish."""
    from scripts.bench import measured_run

    result_path = work / f"publish-{name}.json"
    args = {"target": str(work / "published"), "workdir": str(work / "publish"),
            "project_root": str(project_root(site.root)), "now": site.now.isoformat(),
            "result": str(result_path)}  # fmt: skip
    cmd = [sys.executable, str(Path(__file__)), "--publish-child", json.dumps(args)]
    try:
        wall, rss = measured_run(
            cmd, cwd=ROOT, env=child_env(env), log=work / f"publish-{name}.log"
        )
    except BenchError as exc:
        raise BenchError(f"failed, {exc}") from exc
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if result["status"] != "published":
        raise BenchError(f"status {result['status']}")
    return wall, rss, result


def measured_publish(report: Report, work: Path, env: dict[str, str], site: Any, name: str) -> bool:
    """One publish run in its own process, reported: wall time, peak RSS, its steps; False if it
    failed."""
    try:
        wall, rss, result = publish_run(work, env, site, name)
    except BenchError as exc:
        report.na("publish", LABELS[name], str(exc))
        return False
    report_publish(report, name, wall, rss, result)
    return True


def report_publish(
    report: Report, name: str, wall: float, rss: int, result: dict[str, Any], note: str = ""
) -> None:
    why = ", ".join(result.get("reasons") or ())  # "sources": the code changed meanwhile
    report.add("publish", LABELS[name], f"publish_{name}_s", wall,
               f"{note + '; ' if note else ''}{result['export']} export, own process; "
               f"why: {why}")  # fmt: skip
    report.add("publish", "  its peak RSS", f"publish_{name}_peak_rss_bytes", rss)
    for step in ("export", "build", "pagefind", "upload"):
        seconds = result["durations"].get(f"{step}_s")
        if seconds is not None:
            report.add("publish", f"  {step}", f"publish_{name}_{step}_s", seconds)
    report.add("publish", "  pages rendered", f"publish_{name}_rendered_count", result["rendered"])
    report.add("publish", "  files uploaded", f"publish_{name}_uploaded_count", result["uploaded"])


def child_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **DUMMY_ENV, **env}


def publish_child(args: dict[str, Any]) -> None:
    """Run in the measured process: one publish run, its result written as JSON."""
    from datetime import datetime

    from chalicelib import publish
    from chalicelib.targets import LocalDirTarget

    result = publish.run(
        target=LocalDirTarget(Path(args["target"])),
        workdir=Path(args["workdir"]),
        project_root=Path(args["project_root"]),
        api_url="http://127.0.0.1:8010",
        site_url=SITE_URL,
        now=datetime.fromisoformat(args["now"]),
    )
    Path(args["result"]).write_text(json.dumps(result.as_dict()), encoding="utf-8")


def moderation_route(report: Report, env: dict[str, str], name: str, calls: int) -> None:
    """p50 and p99 of one moderation route, measured in a child process with a deadline."""
    label = ROUTES[name][0]
    cmd = [sys.executable, str(Path(__file__)), "--route-child", name, str(calls)]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=child_env(env), capture_output=True, text=True,
                              timeout=ROUTE_DEADLINE, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        report.na("moderation", label, f"no answer within {ROUTE_DEADLINE:.0f} s")
        return
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        report.na("moderation", label, last[:200])
        return
    latencies = json.loads(done.stdout.strip().splitlines()[-1])
    p99 = percentile(latencies, 99)
    note = f"{len(latencies)} calls, direct (no HTTP)"
    report.add("moderation", f"{label} p50", f"moderation_{name}_p50_ms",
               statistics.median(latencies))  # fmt: skip
    report.add("moderation", f"{label} p99", f"moderation_{name}_p99_ms", p99, note)


def route_child(name: str, calls: int) -> None:
    """Call one route (one warm-up, then up to ``calls`` within ``ROUTE_SECONDS``); print the
    latencies in milliseconds as a JSON list."""
    from chalicelib import moderation_queue

    function = getattr(moderation_queue, ROUTES[name][1])
    params = ROUTES[name][2]
    function(dict(params))  # warm-up: imports, the manifest read, the first connection
    latencies: list[float] = []
    started = time.perf_counter()
    while len(latencies) < calls and (time.perf_counter() - started) < ROUTE_SECONDS:
        start = time.perf_counter()
        function(dict(params))
        latencies.append((time.perf_counter() - start) * 1000)
    print(json.dumps(latencies))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if argv[:1] == ["--publish-child"]:
        publish_child(json.loads(argv[1]))
    elif argv[:1] == ["--route-child"]:
        logging.getLogger().setLevel(logging.WARNING)
        route_child(argv[1], int(argv[2]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
