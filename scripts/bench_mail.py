"""The mail part of ``make bench``: what e-mail costs the rest of the platform, with real parts
(DynamoDB Local, ``chalice local``, the local SMTP server of scripts/smtp_local.py).

- Intake: ``POST /v1/comments`` with the receipt (the outbox item rides in the submission's
  transaction, the private link's digest on the submission) against the same app without it.
  The second API is the same code started through this file (``--serve-without-receipt``),
  which replaces ``chalicelib.intake._receipt`` before chalice loads the app: the product has
  no switch for it. Both run side by side and take turns request by request (at c=16, 16
  clients share the two), so the machine's load (other work, a pause of DynamoDB Local) reaches
  both alike. Then the same comparison on the write alone (``put_submission`` in this process:
  its transaction of 4 items against 5), to tell the database's share.
- The sender: the receipts those posts left in the outbox, composed from their submissions and
  sent by ``chalicelib.outbox.send_due`` through ``SmtpMailer`` (one SMTP connection per
  message) into the server: messages per second; the server must have stored every one.
- A publish that tells 1,000 people: 1,000 submissions from as many addresses approved through
  chalicelib.moderation, then ``chalicelib.notices.run`` (the 1,000 notices written to the
  outbox, the items marked as told) and the sender's run that sends them.

    python -m scripts.bench_mail [--requests 400]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from scripts.bench_backend import (
    SITE_URL,
    WARMUP,
    BenchError,
    Report,
    app_environment,
    budget_note,
    comment_payload,
    forwarded_for,
    now_utc,
    percentile,
    run_load,
)

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "fixtures" / "consultations.json"  # one open consultation, no report

SERVE_FLAG = "--serve-without-receipt"
TABLE, TABLE_WRITE = "bench-mail", "bench-mail-write"
TARGET = ("anoichti", "proto-keimeno")  # the open consultation of MANIFEST and one of its texts
API_URL = "http://127.0.0.1:8010"
SENDER = "Διαβούλευση <noreply@example.org>"
RECEIPT_RATIO_BUDGET = 1.1
CONCURRENCY = (1, 16)
DECIDERS = 8
APPROVE = b'{"action": "approve"}'
NOTICES = 1_000
SEND_BUDGET_S = 600.0  # the sender's own budget: large, the benchmark waits for all
WITH, WITHOUT = "receipt", "no_receipt"

logger = logging.getLogger(__name__)


# --- the API without the receipt ----------------------------------------------------------------
def serve_without_receipt(argv: list[str]) -> int:
    """The child process of the "without" API: scripts/api_local.py's ``serve`` with the
    receipt left out of every submission's transaction (nothing else changes)."""
    from chalicelib import intake
    from scripts import api_local

    def no_receipt(
        table_name: str, item: dict[str, Any], closes: datetime, ip_hash: str, now: datetime
    ) -> dict[str, dict[str, Any]]:
        return {}

    intake._receipt = no_receipt
    return api_local.serve(argv)


def without_receipt_command(port: int) -> list[str]:
    """``chalice local`` as scripts/api_local.py starts it, through ``serve_without_receipt``."""
    from scripts.api_local import chalice_command

    return [sys.executable, str(Path(__file__).resolve()), SERVE_FLAG, *chalice_command(port)[2:]]


def start_without_receipt(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """``start_api`` of scripts/api_local.py, with the command above."""
    return start_variant(without_receipt_command(port), port, env, log_path)


def start_variant(
    command: list[str], port: int, env: dict[str, str], log_path: Path
) -> subprocess.Popen:
    """``start_api`` of scripts/api_local.py with another command: the app with something left
    out (here the receipt; scripts/bench_campaigns.py: the intake's fingerprint)."""
    from scripts import api_local, lifelines

    with open(log_path, "ab") as out:  # the child keeps its own descriptor
        proc = lifelines.popen(
            command,
            cwd=api_local.LAMBDAS,
            env={**os.environ, **api_local.DEV_ENV, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        api_local._wait_healthy(proc, f"http://127.0.0.1:{port}/v1/health", 60.0)
    except api_local.ApiStartError:
        api_local.stop_api(proc)
        raise
    return proc


def turn(i: int) -> str:
    """Which API answers request ``i``: ABBA ABBA…, so both meet every moment of the machine's
    load alike (a drift, a pause of DynamoDB Local) and neither always goes first."""
    return WITH if i % 4 in (0, 3) else WITHOUT


def interleaved(
    call: Callable[[str, int], Any], count: int, level: int
) -> tuple[dict[str, list[float]], list[Any]]:
    """``count`` (even) calls ``call(variant, i)`` of each variant taking turns, at ``level``
    concurrency, after as many warm-up calls as threads: (latencies by variant, every result)."""
    warm = run_load(lambda i: call(turn(i), i), 2 * WARMUP, level)
    latencies, results, _ = run_load(lambda i: call(turn(i), i), 2 * count, level)
    split: dict[str, list[float]] = {WITH: [], WITHOUT: []}
    for i, ms in enumerate(latencies):
        split[turn(i)].append(ms)
    return split, warm[1] + results


# --- intake -------------------------------------------------------------------------------------
def poster(
    ports: dict[str, int], payload: Callable[[int], dict[str, Any]]
) -> Callable[[str, int], int | str]:
    """``post(variant, i)``: one ``POST /v1/comments`` of ``payload(n)`` to the API of
    ``variant`` (``WITH`` or ``WITHOUT`` something), from its own network and address ``n``:
    its status, or the name of the network error. One session per thread."""
    import requests

    local, counter, lock = threading.local(), iter(range(10**9)), threading.Lock()

    def post(variant: str, i: int) -> int | str:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        with lock:
            n = next(counter)  # one network and one address per post, over both APIs
        headers = {"Origin": SITE_URL, "X-Forwarded-For": forwarded_for(n)}
        url = f"http://127.0.0.1:{ports[variant]}/v1/comments"
        try:
            answer = local.session.post(url, json=payload(n), headers=headers, timeout=30)
        except requests.RequestException as exc:
            return type(exc).__name__
        return int(answer.status_code)

    return post


def bench_intake(report: Report, env: dict[str, str], requests_n: int, work: Path) -> int:
    """p99 of POST /v1/comments with and without the receipt; the posts that wrote one."""
    from scripts.api_local import start_api, stop_api
    from scripts.dynamodb_local import free_port

    ports = {WITH: free_port(), WITHOUT: free_port()}
    post = poster(ports, lambda n: comment_payload(TARGET, n, "mail"))
    procs, sent = [start_api(ports[WITH], env, log_path=work / "api-mail.log")], 0
    try:
        procs.append(start_without_receipt(ports[WITHOUT], env, work / "api-mail-without.log"))
        for level in CONCURRENCY:
            count = max(2, requests_n // (1 if level == 1 else 4) // 2 * 2)
            latencies, statuses = interleaved(post, count, level)
            sent += WARMUP + count  # by each API
            refused = Counter(str(s) for s in statuses if s != 202)
            if refused:
                raise BenchError(f"answers other than 202 at c={level}: {dict(refused)}")
            _intake_rows(report, "POST /v1/comments", "intake", level, latencies)
    finally:
        for proc in procs:
            stop_api(proc)
    return sent


def _intake_rows(
    report: Report, what: str, prefix: str, level: int, latencies: dict[str, list[float]]
) -> None:
    p99 = {v: percentile(latencies[v], 99) for v in latencies}
    p50 = {v: statistics.median(latencies[v]) for v in latencies}
    for variant, words in ((WITH, "with the receipt"), (WITHOUT, "without it")):
        report.numbers[f"{prefix}_{variant}_c{level}_p50_ms"] = p50[variant]
        report.add("mail", f"{what} c={level} {words}, p99",
                   f"{prefix}_{variant}_c{level}_p99_ms", p99[variant],
                   f"p50 {p50[variant]:.1f} ms, {len(latencies[variant])} requests")  # fmt: skip
    ratio = p99[WITH] / p99[WITHOUT]
    report.numbers[f"{prefix}_receipt_c{level}_p50_ratio"] = p50[WITH] / p50[WITHOUT]
    note = budget_note(ratio, RECEIPT_RATIO_BUDGET, "×") if prefix == "intake" else ""
    note += f"{', ' if note else ''}p50 {p50[WITH] / p50[WITHOUT]:.2f}×"
    report.add("mail", f"  with / without, p99 c={level}",
               f"{prefix}_receipt_c{level}_p99_ratio", ratio, note)  # fmt: skip


def bench_write(report: Report, requests_n: int) -> None:
    """The same comparison on the write alone (store.put_submission in this process, the API's
    own call, its transaction of 4 items against 6): what the receipt costs the database."""
    from chalicelib import clock, guards, intake, validation
    from chalicelib import db as app_db
    from chalicelib.store import submissions

    table, closes = app_db.table(), clock.now().replace(year=2099)
    counter = iter(range(10**9))

    def write(variant: str, i: int) -> None:
        n = next(counter)
        fields = validation.clean(comment_payload(TARGET, n, "tx"), "comment")
        now = clock.now()
        seconds, ip_hash = int(now.timestamp()), guards.prefix_hash(forwarded_for(n))
        item = submissions.build_item("comment", fields, now)
        extra = intake._receipt(table.name, item, closes, ip_hash, now) if variant == WITH else {}
        dup = guards.duplicate_put(ip_hash, validation.dedup_text(fields["body"]), seconds)
        fprint = submissions.fingerprint("comment", fields)
        submissions.put_submission(table, item, fprint, dup, guards.rate_update(ip_hash, seconds),
                                   extra)  # fmt: skip

    latencies, _ = interleaved(write, max(2, requests_n // 4 * 2), 1)
    _intake_rows(report, "its write alone (put_submission)", "write", 1, latencies)


# --- the sender -------------------------------------------------------------------------------
def due_count(table: Any) -> int:
    """Messages waiting in the outbox (the ``by_status`` index under ``MAIL#due``)."""
    from boto3.dynamodb.conditions import Key

    from chalicelib.store import keys

    total, start = 0, None
    while True:
        kwargs: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        answer = table.query(IndexName=keys.BY_STATUS, Select="COUNT",
                             KeyConditionExpression=Key("GSI2PK").eq(keys.OUTBOX_DUE),
                             **kwargs)  # fmt: skip
        total += int(answer["Count"])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return total


def send_all(table: Any, smtp: Any, expected: int, what: str) -> float:
    """Send everything due into ``smtp`` (emptied first); the wall seconds. Every message must
    be sent and stored by the server."""
    from chalicelib import outbox
    from chalicelib.mail import SmtpMailer

    smtp.clear()
    mailer = SmtpMailer("127.0.0.1", smtp.port, SENDER)
    start = time.perf_counter()
    result = outbox.send_due(table=table, mailer=mailer, budget=SEND_BUDGET_S)
    wall = time.perf_counter() - start
    stored = len(smtp.files())
    if result.sent != expected or stored != expected:
        raise BenchError(f"{what}: {expected} due, {result.as_dict()}, {stored} stored")
    return wall


def bench_sender(report: Report, table: Any, smtp: Any, receipts: int) -> None:
    """The receipts the intake left: composed from their submissions, sent by SMTP."""
    due = due_count(table)
    if due != receipts:  # the "without" API wrote none, the other one each time
        raise BenchError(f"{due} receipts in the outbox after {receipts} posts with them")
    wall = send_all(table, smtp, due, "receipts")
    _rate(report, "sender throughput (receipts into the SMTP server)", "mail_send_rps",
          due / wall, f"{due} receipts in {wall:.1f} s, one SMTP connection each")  # fmt: skip


def _rate(report: Report, label: str, key: str, value: float, note: str) -> None:
    """A messages-per-second row (bench.json's ``_rps``: per second)."""
    report.numbers[key] = value
    report.rows.append(("mail", label, f"{value:,.1f} msg/s", note))


# --- a publish that tells 1,000 people ----------------------------------------------------------
def bench_notices(report: Report, table: Any, smtp: Any, count: int = NOTICES) -> None:
    """``count`` submissions from as many addresses approved; the notices written, then sent."""
    from chalicelib import clock, ids, manifest, moderation, notices
    from chalicelib.store import state
    from scripts.seed_demo import submission_item

    built = manifest.read(MANIFEST)
    item_ids = [ids.new_id() for _ in range(count)]
    with table.batch_writer() as batch:
        for i, item_id in enumerate(item_ids):
            entry = {"id": item_id, "reference": ids.new_reference(),
                     "consultation": "anoichti", "text": "deftero-keimeno", "proposal": None,
                     "paragraph": None, "parent": None, "created_at": now_utc(),
                     "approved_at": now_utc(),
                     "body": f"Σχόλιο {i + 1}: χρειάζονται περισσότερα δέντρα στη γειτονιά.",
                     "author": {"respondent_type": "citizen",
                                "display_name": "Συμμετέχων"}}  # fmt: skip
            item = submission_item(entry, "comment", email=f"notice-{i}@example.org",
                                   status="pending")  # fmt: skip
            batch.put_item(Item=item)
    # The first run ever only sets the mark: the decisions after it are told by the next one.
    notices.run(table, built, clock.now(), clock.now_iso())
    start = time.perf_counter()
    _decide_all(item_ids, lambda item_id: moderation.decide(item_id, APPROVE, "bench"))
    report.add("mail", f"{count:,} approvals (moderation.decide, {DECIDERS} at a time)",
               "notices_decisions_s", time.perf_counter() - start,
               "before the publish: not part of its cost")  # fmt: skip
    # No site is built here, so nothing says what a publish would have covered: every decision
    # is done, so this one covers up to now (a publish covers the newest change it exported).
    covered = max(state.read(table)["last_decision_at"], clock.now_iso())
    start = time.perf_counter()
    result = notices.run(table, built, clock.now(), covered)
    wall = time.perf_counter() - start
    if result.notices != count:
        raise BenchError(f"{count} approvals gave {result.as_dict()}")
    report.add("mail", f"publish's notices to {count:,} people (written, items marked)",
               "notices_1000_s", wall, f"{result.events:,} events")  # fmt: skip
    wall = send_all(table, smtp, count, "notices")
    report.add("mail", f"  sending those {count:,} notices", "notices_1000_send_s", wall,
               f"{count / wall:,.1f} msg/s")  # fmt: skip


def _decide_all(item_ids: list[str], decide: Callable[[str], Any]) -> None:
    """Several at a time, as several moderators would (setup: not the publish's cost)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(DECIDERS) as pool:
        list(pool.map(decide, item_ids))


# --- the part -----------------------------------------------------------------------------------
def run(report: Report, work: Path, db: Any = None, requests_n: int = 400) -> None:
    """The whole mail part, on DynamoDB Local ``db`` (one of its own when None)."""
    from scripts.dynamodb_local import DynamoDBLocal

    if db is None:
        with DynamoDBLocal() as own:
            return run(report, work, own, requests_n)
    from chalicelib import db as app_db
    from scripts.dynamodb_local import create_table
    from scripts.smtp_local import LocalSmtp

    create_table(db.client(), TABLE)
    env = {"STAGE": "bench", "TABLE_NAME": TABLE, "DYNAMODB_ENDPOINT": db.endpoint,
           "SITE_URL": SITE_URL, "SITE_ORIGINS": SITE_URL, "API_URL": API_URL,
           "IP_HASH_KEY": "bench-ip-hash-key", "MANIFEST_PATH": str(MANIFEST)}  # fmt: skip
    receipts = bench_intake(report, env, requests_n, work)
    create_table(db.client(), TABLE_WRITE)  # its receipts are not the sender's to send
    with app_environment({**env, "TABLE_NAME": TABLE_WRITE}):
        bench_write(report, requests_n)
    with LocalSmtp(work / "mail") as smtp, app_environment(env):
        table = app_db.table()
        bench_sender(report, table, smtp, receipts)
        bench_notices(report, table, smtp)
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [SERVE_FLAG]:  # the "without" API's child process
        return serve_without_receipt(argv[1:])
    from scripts.bench import check_numbers, render

    parser = argparse.ArgumentParser(description="The mail part of make bench, alone.")
    parser.add_argument(
        "--requests", type=int, default=400, help="per API at c=1 (a quarter at c=16)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = Report()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        run(report, Path(tmp), requests_n=args.requests)
    report.caption = f"{time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f}"
    render(report)
    check_numbers(report.numbers)
    print(json.dumps(report.numbers, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
