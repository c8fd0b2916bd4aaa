"""Approval to visible, the way production runs it (issue 13: «an approval is live within a
minute», p95 ≤ 60 s at 1× with the production schedule's settings).

The publisher of scripts/publisher.py stands in for production's triggers with the production
stage's settings: a run every ``PUBLISH_RATE_MINUTES`` (lambdas/.chalice/config.json), a
decision's own ask answered as the asynchronous invoke would be, after chalicelib.trigger's
debounce. Staff approve comments at irregular moments through chalicelib.moderation; a poller
reads the published target until the comment's reference is on its text's pages. Reported: the
p50, p95 and worst seconds between a decision and the page carrying it.

Called after the publish part, on the DynamoDB Local and the table it loaded: by
scripts/bench.py (table ``bench-publish``) and by scripts/bench_scale.py at every scale (its
table); the publish work folder is ``work / "publish"``, the target ``work / "published"``.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.config import MANIFEST_FILE
from scripts.bench_backend import SITE_URL, Report, app_environment, project_root

DECISIONS = 12
GAP_SECONDS = (1.0, 12.0)  # staff's pace between two decisions
POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 180.0


def production_rate() -> float:
    """Seconds between scheduled runs in the production stage's configuration."""
    config = Path(__file__).resolve().parent.parent / "lambdas" / ".chalice" / "config.json"
    stages = json.loads(config.read_text(encoding="utf-8"))["stages"]
    return 60.0 * int(stages["prod"]["environment_variables"].get("PUBLISH_RATE_MINUTES", 1))


def _visible(folder: Path, needle: bytes) -> bool:
    for page in folder.rglob("*.html"):
        try:
            if needle in page.read_bytes():
                return True
        except OSError:  # replaced while we read it
            continue
    return False


def bench_live(
    report: Report, work: Path, db: Any, site: Any, table_name: str = "bench-publish"
) -> None:
    """Time ``DECISIONS`` approvals from decision to visible (see the module docstring)."""
    env = {"TABLE_NAME": table_name, "DYNAMODB_ENDPOINT": db.endpoint, "SITE_URL": SITE_URL,
           "IP_HASH_KEY": "bench-ip-hash-key",
           "MANIFEST_PATH": str(work / "publish" / "output" / MANIFEST_FILE)}  # fmt: skip
    with app_environment(env):
        waits, runs = _timed_approvals(work, site)
    waits.sort()
    p95 = waits[max(0, round(0.95 * len(waits)) - 1)]
    note = f"goal ≤ 60 s; schedule every {production_rate():.0f} s, {runs} publish runs"
    report.add("live", "approval to visible, p50", "live_p50_s", statistics.median(waits))
    report.add("live", "approval to visible, p95", "live_p95_s", p95, note)
    report.add("live", "approval to visible, worst", "live_max_s", waits[-1])
    report.add("live", "decisions timed", "live_decisions_count", len(waits))


def _timed_approvals(work: Path, site: Any) -> tuple[list[float], int]:
    from chalicelib import db as app_db
    from chalicelib import moderation
    from chalicelib.targets import LocalDirTarget
    from plugins.consultations import urls
    from scripts.bench_publish import new_comment
    from scripts.build import site_settings
    from scripts.publisher import Publisher
    from scripts.seed_demo import submission_item

    rng, settings, table = random.Random(13), site_settings(), app_db.table()
    target = LocalDirTarget(work / "published")
    runs: list[str] = []
    stop = threading.Event()
    # Production's settings: grouping is a function of its own there, beside the publish, not a
    # step before it (and the large site's sentence-pool comments would make it a long one).
    publisher = Publisher(
        production_rate(), stop, on_result=lambda result: runs.append(result.status), group=False,
        target=target, workdir=work / "publish", project_root=project_root(site.root),
        api_url="http://127.0.0.1:8010", site_url=SITE_URL, table=table,
    )  # fmt: skip
    waits: list[float] = []
    publisher.start()
    try:
        for i in range(DECISIONS):
            time.sleep(rng.uniform(*GAP_SECONDS))
            entry = new_comment(site, i, "live")
            table.put_item(Item=submission_item(entry, "comment", email="live@example.invalid",
                                                status="pending"))  # fmt: skip
            consultation, text = entry["consultation"], entry["text"]
            page = urls.save_as(settings, "TEXT", consultation=consultation, slug=text)
            folder = (target.directory / page).parent  # the text and its comment pages
            decided = time.monotonic()
            moderation.decide(entry["id"], b'{"action": "approve"}', "bench")
            while not _visible(folder, entry["reference"].encode()):
                if time.monotonic() - decided > TIMEOUT_SECONDS:
                    raise TimeoutError(f"{entry['reference']} not visible in time")
                time.sleep(POLL_SECONDS)
            waits.append(time.monotonic() - decided)
    finally:
        stop.set()
        publisher.join(TIMEOUT_SECONDS)
    return waits, len(runs)
