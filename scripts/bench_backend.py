"""The parts of ``make bench`` that need DynamoDB Local (the API, the publish step) and the
helpers every part shares (scripts/bench.py runs them and writes the results).

The API is driven through ``chalice local`` (scripts/api_local.py) with simulated client networks
(``forwarded_for``) so that the per-network rate limit of chalicelib.guards counts each one
apart. Two raw baselines write to the same DynamoDB Local through the app's own clients: a bare
``put_item`` of the submission item (the floor the budget is set against) and the very
TransactWriteItems an accepted comment costs (submission, idempotency item, duplicate guard,
rate count and receipt, from chalicelib.store and chalicelib.intake), so the table shows what
the API adds to its own write. The publish part is in scripts/bench_publish.py.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent

IMPORT_BUDGET_MS = 150.0
P99_RATIO_BUDGET = 2.0
IMPORT_RUNS = 5
CONCURRENCY = (1, 16)
WARMUP = 16  # unmeasured requests per level: one per thread at c=16, first imports done
SITE_URL = "http://127.0.0.1:8000"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
APP_ENV_KEYS = ("TABLE_NAME", "DYNAMODB_ENDPOINT", "SITE_URL", "IP_HASH_KEY", "MANIFEST_PATH")
LINKED = ("theme", "plugins", "lambdas", "pelicanconf.py", "publishconf.py")


class BenchError(RuntimeError):
    """A part could not be measured; the message is the reason shown as n/a."""


@dataclass
class Report:
    """The numbers (for bench.json) and the rows of the table (for people)."""

    numbers: dict[str, float] = field(default_factory=dict)
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    caption: str = ""
    # key -> (part, label, note), and the parts that could not be measured (part, label,
    # reason): what scripts/bench_scale.py sets side by side.
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    missing: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, part: str, label: str, key: str, value: float, note: str = "") -> None:
        self.numbers[key] = value
        self.labels[key] = (part, label, note)
        self.rows.append((part, label, human(key, value), note))

    def na(self, part: str, label: str, reason: str) -> None:
        self.missing.append((part, label, reason))
        self.rows.append((part, label, f"n/a ({reason})", ""))


def human(key: str, value: float) -> str:
    """``value`` in the unit its key names, for the table."""
    if key.endswith("_bytes"):
        return f"{value / 1024:,.1f} KiB" if value < 10 * 1024**2 else f"{value / 1024**2:,.0f} MiB"
    if key.endswith("_count"):
        return f"{value:,.0f}"
    units = {"_ms": " ms", "_s": " s", "_ratio": "×", "_rps": " req/s"}
    suffix = next(s for s in ("_ms", "_s", "_ratio", "_rps") if key.endswith(s))
    return f"{value:,.2f}{units[suffix]}"


def budget_note(value: float, limit: float, unit: str) -> str:
    """Whether ``value`` is within its budget, for the table (reported, never asserted)."""
    verdict = "within" if value <= limit else "OVER"
    return f"{verdict} budget ≤ {limit:g}{unit}"


# A measure that one run cannot give (a shared machine moved a run by half between two benches)
# is taken this many times and its median run reported.
ROUNDS = 3


def median_run(seconds: list[float]) -> tuple[int, str]:
    """The index of the median of ``seconds`` (one per round) and the note that lists them."""
    middle = sorted(range(len(seconds)), key=seconds.__getitem__)[len(seconds) // 2]
    return middle, f"median of {len(seconds)} (each: {', '.join(f'{s:.2f}' for s in seconds)} s)"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 300 samples is the 297th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class TreeRss:
    """The peak of the summed RSS of a process and its descendants, sampled every ``interval``
    seconds in a thread while the ``with`` block runs (a short spike between samples is missed;
    wait4's per-process peak covers that)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.pid))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every descendant now (Linux /proc; 0 once it is gone)."""
    total, stack = 0, [pid]
    while stack:
        proc = Path("/proc") / str(stack.pop())
        try:
            total += int((proc / "statm").read_text().split()[1]) * PAGE_SIZE
            for task in (proc / "task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
    return total


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def project_root(site_root: Path) -> Path:
    """The large site as a project: its content, the repo's theme, plugins and settings."""
    for name in LINKED:
        link = site_root / name
        if (ROOT / name).exists() and not link.exists():
            link.symlink_to(ROOT / name)
    return site_root


# --- the API ---------------------------------------------------------------------------------
def bench_import(report: Report, env: dict[str, str]) -> None:
    """Import time of the app module in a fresh interpreter (a proxy for a Lambda cold start)."""
    snippet = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    runs = []
    for _ in range(IMPORT_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", snippet], cwd=ROOT / "lambdas", env=env,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            report.na("api", "import of app.py", last)
            return
        runs.append(float(done.stdout.strip().splitlines()[-1]) * 1000)
    median = statistics.median(runs)
    note = budget_note(median, IMPORT_BUDGET_MS, " ms")
    report.add("api", f"import of app.py (median of {IMPORT_RUNS})", "api_import_ms", median, note)


def open_target(manifest: Path, now: datetime) -> tuple[str, str]:
    """(consultation, text) of the first consultation of ``manifest`` open at ``now``."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for entry in data["consultations"]:
        opens, closes = (datetime.fromisoformat(entry[k]) for k in ("opens", "closes"))
        if opens <= now < closes and entry["texts"]:
            return entry["slug"], entry["texts"][0]["slug"]
    raise BenchError(f"no open consultation with texts in {manifest.name}")


def run_load(call: Any, count: int, concurrency: int) -> tuple[list[float], list[Any], float]:
    """``count`` calls of ``call(i)`` by ``concurrency`` threads: latencies (ms), results, wall."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> tuple[float, Any]:
        start = time.perf_counter()
        outcome = call(i)
        return (time.perf_counter() - start) * 1000, outcome

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(count)))
    return [r[0] for r in results], [r[1] for r in results], time.perf_counter() - start


def _latency_rows(report: Report, prefix: str, label: str, load: tuple, note: str = "") -> None:
    latencies, _, wall = load
    report.add("api", f"{label} p50", f"{prefix}_p50_ms", statistics.median(latencies), note)
    report.add("api", f"{label} p99", f"{prefix}_p99_ms", percentile(latencies, 99))
    report.add("api", f"{label} throughput", f"{prefix}_rps", len(latencies) / wall)


def forwarded_for(i: int) -> str:
    """A distinct /24 of the benchmarking range 198.18.0.0/15 per request (512 of them), so
    the per-network rate limit counts each simulated client apart (guards.client_ip honours
    X-Forwarded-For only behind a loopback sourceIp, i.e. under ``chalice local``)."""
    prefix = i % 512
    return f"198.{18 + prefix // 256}.{prefix % 256}.1"


def comment_payload(target: tuple[str, str], i: int, tag: str) -> dict[str, Any]:
    return {
        "consultation": target[0],
        "text": target[1],
        "body": f"Σχόλιο μέτρησης {tag}-{i}: η πλατεία χρειάζεται περισσότερο πράσινο και σκιά.",
        "respondent_type": "citizen",
        "display_name": "Δοκιμαστικός Συμμετέχων",
        "publish_name": True,
        "email": f"bench+{tag}-{i}@example.org",
        "consent": True,
        "submission_key": f"bench-{tag}-{i}",
    }


def bench_api(
    report: Report, db: Any, manifest: Path, now: datetime, requests_n: int, log: Path
) -> None:
    """Import time, then POST /v1/comments through chalice local vs. raw put_item."""

    import requests

    from scripts.dynamodb_local import create_table, free_port

    env = {**os.environ, **DUMMY_ENV, "STAGE": "bench", "TABLE_NAME": "bench-api",
           "DYNAMODB_ENDPOINT": db.endpoint, "SITE_URL": SITE_URL, "SITE_ORIGINS": SITE_URL,
           "IP_HASH_KEY": "bench-ip-hash-key", "MANIFEST_PATH": str(manifest)}  # fmt: skip
    bench_import(report, env)
    if not has_module("scripts.api_local"):
        report.na("api", "POST /v1/comments", "scripts/api_local.py is not there yet")
        return
    from scripts.api_local import start_api, stop_api

    create_table(db.client(), "bench-api")
    target = open_target(manifest, now)
    port = free_port()
    url, local = f"http://127.0.0.1:{port}/v1/comments", threading.local()

    def post(base: int, tag: str, i: int) -> int | str:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        headers = {"Origin": SITE_URL, "X-Forwarded-For": forwarded_for(base + i)}
        payload = comment_payload(target, base + i, tag)
        try:
            return local.session.post(url, json=payload, headers=headers, timeout=30).status_code
        except requests.RequestException as exc:
            return type(exc).__name__

    proc = start_api(port, env, log_path=log)
    try:
        sent = 0
        for level in CONCURRENCY:
            label = f"POST /v1/comments c={level}"
            warm = run_load(partial(post, sent, f"w{level}"), WARMUP, level)
            load = run_load(partial(post, sent + WARMUP, f"c{level}"), requests_n, level)
            sent += WARMUP + requests_n
            refused = Counter(str(s) for s in warm[1] + load[1] if s != 202)
            if refused:
                report.na("api", label, f"answers other than 202: {dict(refused)}")
                continue
            _latency_rows(report, f"api_c{level}", label, load)
    finally:
        stop_api(proc)
    with app_environment({k: env[k] for k in APP_ENV_KEYS}):
        _bench_raw_put(report, target, requests_n)


def _bench_raw_put(report: Report, target: tuple[str, str], requests_n: int) -> None:
    """The writes the API wraps, through the app's own DynamoDB clients (chalicelib.db: same pool
    size, timeouts and retries): a bare put_item of a submission item (the floor: no condition,
    no guard), then the TransactWriteItems an accepted comment really costs (chalicelib.store:
    submission + IDEM + duplicate guard + rate count + the receipt in the outbox, each
    conditional), from one network per request as the API load above."""
    from chalicelib import clock, guards, intake, validation
    from chalicelib import db as app_db
    from chalicelib.store import submissions
    from scripts.seed_demo import submission_item

    client, serialize = app_db.client(), _serializer()
    entry = {"reference": "NS-BENCH1", "consultation": target[0], "text": target[1],
             "author": {"respondent_type": "citizen", "display_name": "Δοκιμαστικός"},
             "body": comment_payload(target, 0, "raw")["body"], "created_at": now_utc(),
             "approved_at": now_utc()}  # fmt: skip

    def put(tag: str, i: int) -> None:
        item = submission_item({**entry, "id": f"raw{tag}{i:08d}"}, "comment",
                               email="bench@example.org", status="pending")  # fmt: skip
        client.put_item(TableName="bench-api", Item=serialize(item))

    def transact(tag: str, i: int) -> None:
        fields = validation.clean(comment_payload(target, i, f"tx{tag}"), "comment")
        now = clock.now()
        seconds, ip_hash = int(now.timestamp()), guards.prefix_hash(forwarded_for(i))
        item = submissions.build_item("comment", fields, now)
        receipt = intake._receipt("bench-api", item, now.replace(year=2099), ip_hash, now)
        actions = submissions.transaction(
            "bench-api", item, submissions.fingerprint("comment", fields),
            guards.duplicate_put(ip_hash, validation.dedup_text(fields["body"]), seconds),
            guards.rate_update(ip_hash, seconds),
        )  # fmt: skip
        actions.update(receipt)
        app_db.table().meta.client.transact_write_items(TransactItems=list(actions.values()))

    rows = (("raw_put", "raw boto3 put_item", put, "bare put_item, no condition (the floor)"),
            ("raw_tx", "raw TransactWriteItems", transact,
             "the API's own write: submission + IDEM + DUP + RATE + receipt"))  # fmt: skip
    for level in CONCURRENCY:
        for prefix, label, call, note in rows:
            run_load(partial(call, f"w{level:02d}"), WARMUP, level)
            load = run_load(partial(call, f"c{level:02d}"), requests_n, level)
            _latency_rows(report, f"{prefix}_c{level}", f"{label} c={level}", load, note)
        api_p99 = report.numbers.get(f"api_c{level}_p99_ms")
        if api_p99 is None:
            continue
        ratio = api_p99 / report.numbers[f"raw_put_c{level}_p99_ms"]
        note = budget_note(ratio, P99_RATIO_BUDGET, "×")
        report.add("api", f"API p99 / raw put_item p99 c={level}",
                   f"api_c{level}_p99_vs_raw_ratio", ratio, note)  # fmt: skip
        ratio = api_p99 / report.numbers[f"raw_tx_c{level}_p99_ms"]
        report.add("api", f"API p99 / raw transaction p99 c={level}",
                   f"api_c{level}_p99_vs_raw_tx_ratio", ratio,
                   "what chalice local and the app add to the write itself")  # fmt: skip


@contextmanager
def app_environment(env: dict[str, str]) -> Iterator[None]:
    """The app's configuration for code of chalicelib run in this process (as in Lambda, it
    reads the environment once); restored afterwards."""
    from chalicelib import config
    from chalicelib import db as app_db

    env = {**DUMMY_ENV, **env}  # only ever DynamoDB Local
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    config.reset()
    app_db.reset()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config.reset()
        app_db.reset()


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return lambda item: {k: serializer.serialize(v) for k, v in item.items()}


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
