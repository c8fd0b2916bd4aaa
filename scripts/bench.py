"""``make bench``: the benchmarks of the quality budgets (DESIGN.md); a table and build/bench.json.

- Site: the full build of the large site (scripts/gen_large_site.py) next to a plain Pelican
  baseline of the same page count (wall time and peak RSS of each build's subprocess), as a
  whole (Pelican + Pagefind) and, like for like with the baseline, without its Pagefind step; the
  transfer weight of the heaviest text page and of the 50-comment page (HTML + the CSS and JS it
  references, each gzip -9).
- Hugo (scripts/bench_hugo.py, the ``bench`` extra): the same pages built by Hugo, then indexed
  by Pagefind; our full build and the publish after 20 approvals against that full build.
- API: import time of the app module (fresh interpreter, median of 5), then ``POST
  /v1/comments`` through ``chalice local`` (DynamoDB Local behind it) at concurrency 1 and 16,
  side by side with a raw boto3 ``put_item`` of a submission item (the budget's floor) and the
  raw TransactWriteItems the API sends for it (submission + IDEM + DUP + RATE).
- Publish: the large site's submissions loaded into DynamoDB Local, a first publish to a
  LocalDirTarget, 20 comments approved the way moderation records a decision, a second publish.
- Mail (scripts/bench_mail.py): intake p99 with the receipt in the submission's transaction
  against without it; the sender's messages per second into the local SMTP server; a publish
  that writes and sends 1,000 notices.
- Live (scripts/bench_live.py): approval to visible.
- Campaigns (scripts/bench_campaigns.py): 20,000 generated submissions, 30% from three
  campaigns (scripts/gen_campaigns.py), grouped by chalicelib.grouping: precision and recall
  against the generator's labels, the first run's time against the publish's build, intake p99
  with the intake's fingerprint against without; a group decision on 1,000 members: not built.

The same measures at 1× and 10× side by side: ``make bench-scale`` (scripts/bench_scale.py).

Budgets are reported, never asserted. A part whose component is missing or fails prints
"n/a (reason)" and leaves its keys out of the JSON. bench.json is one flat object of numbers
whose key suffix names the unit (``SUFFIXES``). Everything listens on 127.0.0.1 only; the work
folder is a temporary directory removed at the end.

    python scripts/bench.py [--comments 20000 --proposals 1500 --requests 300]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import MANIFEST_FILE
from chalicelib.errors import ApiError
from scripts.bench_backend import (
    BenchError,
    Report,
    TreeRss,
    bench_api,
    budget_note,
    has_module,
    project_root,
)
from scripts.bench_campaigns import run as bench_campaigns
from scripts.bench_hugo import bench_hugo, hugo_ratios
from scripts.bench_live import bench_live
from scripts.bench_mail import run as bench_mail
from scripts.bench_publish import bench_publish
from scripts.bench_results import bench_results, enrich
from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

# Seconds, milliseconds, bytes, counts, dimensionless ratios, requests per second.
SUFFIXES = ("_s", "_ms", "_bytes", "_count", "_ratio", "_rps")
PAGE_BUDGET_KIB = 30
BUILD_RATIO_BUDGET = 1.2
# What a failing part may raise (the components' own errors derive from these).
PART_ERRORS = (BenchError, OSError, RuntimeError, ValueError, KeyError, BotoCoreError, ClientError,
               ApiError)  # fmt: skip


def check_numbers(numbers: dict[str, Any]) -> None:
    """Raise ValueError unless ``numbers`` is flat: unit-suffixed keys, finite numbers."""
    for key, value in numbers.items():
        if not isinstance(key, str) or not key.endswith(SUFFIXES):
            raise ValueError(f"bench key {key!r} must end with one of {SUFFIXES}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"bench value of {key!r} must be a number, got {type(value)}")
        if not math.isfinite(value):
            raise ValueError(f"bench value of {key!r} is not finite")


def write_results(path: Path, numbers: dict[str, Any]) -> None:
    """Write bench.json: one flat, sorted object of numbers."""
    check_numbers(numbers)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def measured_run(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int]:
    """Run ``cmd``; its wall seconds and peak RSS in bytes: the sampled sum over the process
    tree (Pagefind runs while the build's Python process still holds its memory, and a Lambda
    function's memory holds both). Not wait4's ru_maxrss: Linux keeps a forked child's
    high-water mark across exec, so a bench process holding a large generated site would lend
    its own size to every child (only when sampling saw nothing is it the answer)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with TreeRss(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        raise BenchError(f"exit status {proc.returncode}: {' '.join(tail)}")
    return wall, tree.peak or usage.ru_maxrss * 1024  # Linux reports kilobytes


# --- the site ------------------------------------------------------------------------------
class _Assets(HTMLParser):
    """The stylesheets and scripts a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and "stylesheet" in (found.get("rel") or "").split() and found.get("href"):
            self.urls.append(found["href"] or "")
        elif tag == "script" and found.get("src"):
            self.urls.append(found["src"] or "")


def page_weight(output: Path, page: Path) -> tuple[int, int]:
    """(gzip bytes of the HTML alone, of the HTML + every CSS/JS it references), each -9."""
    html = page.read_bytes()
    parser = _Assets()
    parser.feed(html.decode("utf-8"))
    html_gz = len(gzip.compress(html, 9))
    total = html_gz
    for url in dict.fromkeys(parser.urls):
        path = url.split("?", 1)[0].split("#", 1)[0]
        if "://" in path or path.startswith("//"):
            raise BenchError(f"{page.name} references a third-party asset: {url}")
        asset = output / path.lstrip("/") if path.startswith("/") else page.parent / path
        total += len(gzip.compress(asset.resolve().read_bytes(), 9))
    return html_gz, total


def build_site_child(args: dict[str, Any]) -> None:
    """Run in the measured subprocess: one full build of the large site."""
    from chalicelib.sitebuild import build_site

    result = build_site(
        Path(args["project_root"]),
        Path(args["output"]),
        snapshot=Path(args["snapshot"]),
        api_url=args["api_url"],
        site_url="",
        now=datetime.fromisoformat(args["now"]),
        settings=args.get("settings"),
    )
    Path(args["durations"]).write_text(json.dumps(result.durations), encoding="utf-8")


def measured_build(
    work: Path, site: Any, output: Path, settings: dict[str, Any] | None = None
) -> tuple[float, int]:
    """One full build of the large site in a measured subprocess: (wall seconds, peak RSS);
    its durations go to ``<output>.json``, its log to ``<output>.log``."""
    args = {"project_root": str(project_root(site.root)), "output": str(output),
            "snapshot": str(site.snapshot_path), "api_url": "http://127.0.0.1:8010",
            "now": site.now.isoformat(), "settings": settings,
            "durations": str(output.with_suffix(".json"))}  # fmt: skip
    cmd = [sys.executable, str(Path(__file__)), "--build-site", json.dumps(args)]
    env = {**os.environ, **DUMMY_ENV}
    return measured_run(cmd, cwd=ROOT, env=env, log=output.with_suffix(".log"))


def bench_site(report: Report, work: Path, site: Any) -> Path | None:
    """Full build vs. baseline, page weights; the built output (for the API's manifest)."""
    from scripts.bench_baseline import write_baseline

    env = {**os.environ, **DUMMY_ENV}
    output: Path | None = work / "site-output"
    if not has_module("chalicelib.sitebuild"):
        report.na("site", "full build", "chalicelib.sitebuild is not there yet")
    else:
        try:
            wall, rss = measured_build(work, site, work / "site-output")
        except BenchError as exc:
            report.na("site", "full build", f"failed, {exc}")
            output = None
        else:
            report.add("site", "full build of the large site", "site_build_s", wall,
                       "Pelican + Pagefind")  # fmt: skip
            pagefind = json.loads((work / "site-output.json").read_text())["pagefind_s"]
            report.add("site", "  its Pagefind index", "site_build_pagefind_s", pagefind)
            report.add("site", "  its Pelican part (process start to pages written)",
                       "site_build_pelican_s", wall - pagefind)  # fmt: skip
            report.add("site", "peak RSS of the build", "site_build_peak_rss_bytes", rss)
            pages = len(list((work / "site-output").rglob("*.html")))
            report.add("site", "HTML pages built", "site_pages_count", pages)
    base = work / "baseline"
    articles = write_baseline(site, base)
    cmd = [str(Path(sys.executable).parent / "pelican"), "content", "-o", "output", "-s",
           "pelicanconf.py", "-q"]  # fmt: skip
    try:
        base_wall, base_rss = measured_run(cmd, cwd=base, env=env, log=work / "baseline.log")
    except BenchError as exc:
        report.na("site", "baseline build", f"failed, {exc}")
    else:
        note = f"{articles} articles, default theme, no plugins"
        report.add("site", "baseline build (plain Pelican)", "baseline_build_s", base_wall, note)
        report.add("site", "peak RSS of the baseline", "baseline_build_peak_rss_bytes", base_rss)
        report.add("site", "baseline HTML pages", "baseline_pages_count",
                   len(list((base / "output").rglob("*.html"))))  # fmt: skip
        if "site_build_s" in report.numbers:
            ratio = report.numbers["site_build_s"] / base_wall
            note = budget_note(ratio, BUILD_RATIO_BUDGET, "×")
            report.add("site", "full build / baseline", "build_vs_baseline_ratio", ratio, note)
            # Like for like: the baseline has no search index, so compare Pelican with Pelican.
            ratio = report.numbers["site_build_pelican_s"] / base_wall
            note = budget_note(ratio, BUILD_RATIO_BUDGET, "×") + " (Pagefind left out)"
            report.add("site", "Pelican part / baseline", "pelican_vs_baseline_ratio", ratio, note)
    if output is not None and output.is_dir():
        text_page_weights(report, output, site)
        return output
    return None


def text_page_weights(report: Report, output: Path, site: Any) -> None:
    from plugins.consultations import urls
    from scripts.build import site_settings

    settings = site_settings()

    def page(key: tuple[str, str]) -> Path:
        return output / urls.save_as(settings, "TEXT", consultation=key[0], slug=key[1])

    heaviest = max(
        site.texts, key=lambda key: page(key).stat().st_size if page(key).exists() else 0
    )
    for name, key in (("budget", site.budget_text), ("heaviest", heaviest)):
        if not page(key).exists():
            report.na("site", f"{name} text page", f"{page(key).relative_to(output)} not built")
            continue
        html_gz, total = page_weight(output, page(key))
        n = site.comments_per_text[key]
        note = budget_note(total / 1024, PAGE_BUDGET_KIB, " KiB") if name == "budget" else ""
        report.add("site", f"{name} page ({n} comments), HTML+CSS+JS gzip",
                   f"{name}_page_gzip_bytes", total, note)  # fmt: skip
        report.add("site", f"{name} page, HTML alone gzip", f"{name}_page_html_gzip_bytes", html_gz)
        report.add("site", f"{name} page comments", f"{name}_page_comments_count", n)


# --- main ------------------------------------------------------------------------------------
def render(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="make bench", caption=report.caption)
    for column in ("part", "measure", "value", "budget / note"):
        table.add_column(column)
    for row in report.rows:
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 140).print(table)


def guarded(report: Report, part: str, call: Callable[[], Any]) -> Any:
    """Run one part; when it fails, say so in the table (n/a) and go on with the next."""
    try:
        return call()
    except PART_ERRORS as exc:
        logger.exception("bench: the %s part failed", part)
        report.na(part, "(part stopped)", f"{type(exc).__name__}: {exc}")
        return None


def run_all(args: argparse.Namespace, work: Path) -> Report:
    from scripts.dynamodb_local import DynamoDBLocal
    from scripts.gen_large_site import generate

    report, load_before = Report(), os.getloadavg()[0]
    start = time.perf_counter()
    site = generate(work / "large", comments=args.comments, proposals=args.proposals)
    enrich(site)  # answers on half the submissions, participants, a report per consultation
    report.add("site", "generate the large site", "generate_s", time.perf_counter() - start,
               f"{len(site.texts)} texts, answers on half the submissions")  # fmt: skip
    report.add("site", "approved comments", "comments_count", site.comments_count)
    report.add("site", "approved proposals", "proposals_count", site.proposals_count)
    output = guarded(report, "site", lambda: bench_site(report, work, site))
    guarded(report, "hugo", lambda: bench_hugo(report, work, site))
    guarded(
        report,
        "results",
        lambda: bench_results(
            report, work, site, output, lambda out, conf: measured_build(work, site, out, conf)
        ),
    )
    manifest = output / MANIFEST_FILE if output else None
    if manifest is None or not manifest.exists():
        manifest = ROOT / "tests" / "fixtures" / "consultations.json"
    with DynamoDBLocal() as db:
        now, api_log = datetime.now(UTC), work / "api.log"
        guarded(report, "api", lambda: bench_api(report, db, manifest, now, args.requests, api_log))
        guarded(report, "publish", lambda: bench_publish(report, work, db, site))
        guarded(report, "live", lambda: bench_live(report, work, db, site))
        guarded(report, "mail", lambda: bench_mail(report, work, db))
        guarded(report, "campaigns", lambda: bench_campaigns(report, work, db))
    hugo_ratios(report)
    report.caption = (
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on "
        f"{os.cpu_count()} CPUs: other work on the machine slows every number"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--proposals", type=int, default=1_500)
    parser.add_argument("--requests", type=int, default=300, help="per concurrency level")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--work", type=Path, help="work in (and keep) this empty folder")
    parser.add_argument("--build-site", help=argparse.SUPPRESS)  # the measured child
    args = parser.parse_args(argv)
    if args.build_site:
        build_site_child(json.loads(args.build_site))
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.work:  # kept, to read the logs of the builds and of the API
        args.work.mkdir(parents=True, exist_ok=True)
        report = run_all(args, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            report = run_all(args, Path(tmp))
    render(report)
    write_results(args.out, report.numbers)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
