"""``make bench-scale``: the measures of ``make bench`` that change with size, at 1× (3
consultations, 20,000 comments, 1,500 proposals) and 10× (30 consultations, 600 texts, 200,000
comments, 15,000 proposals), side by side; a table and build/bench-scale.json.

At each scale, in a work folder of its own: the large site generated (and enriched as ``make
bench`` does); its full build in a measured process (wall, peak RSS); the heaviest text page and
the heaviest page of any kind (every HTML page gzipped); the Hugo + Pagefind baseline; then, on a
DynamoDB Local of its own, the load, the first publish, the moderation routes and the publish
after 20 approvals (scripts/bench_scale_db.py), and approval to visible (scripts/bench_live.py).

bench-scale.json is one flat object of numbers (scripts/bench.py's rules): each scale's keys
prefixed ``x1_``/``x10_``, and for every measure found at both, ``<measure>_x10_over_x1_ratio``.
The budgets of issue 13 are reported in the table, never asserted. It takes many minutes (10×
alone: about 20 on an idle 2-CPU machine) and is not part of ``make test``.

    python scripts/bench_scale.py [--scales 1,10] [--work DIR] [--no-hugo]
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench_backend import Report, human

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

SCALES = (1, 10)
BASE = {"consultations": 3, "comments": 20_000, "proposals": 1_500}  # 1×
PAGE_LIMIT_KIB = 100
TOP_PAGES = 10  # the heaviest pages by HTML whose CSS and JS are weighed too
GB = 1000**3
BUDGET_NOTE = re.compile(r"\b(within|OVER) budget ≤")


def _budgets() -> dict[str, tuple[float, str]]:
    """Merged key -> (limit, as people read it): issue 13's goals."""
    budgets = {
        "x10_site_build_peak_rss_bytes": (1.2 * GB, "1.2 GB"),
        "x10_publish_first_peak_rss_bytes": (1.2 * GB, "1.2 GB"),
        "x10_publish_first_s": (300.0, "5 min"),
        "x1_publish_vs_hugo_ratio": (0.5, "0.5×"),
        "publish_after_approvals_x10_over_x1_ratio": (1.5, "1.5×"),
    }
    for scale in SCALES:
        budgets[f"x{scale}_heaviest_any_page_gzip_bytes"] = (PAGE_LIMIT_KIB * 1024, "100 KiB")
        budgets[f"x{scale}_budget_page_gzip_bytes"] = (30 * 1024, "30 KiB")
    for route in ("pending", "summary", "decided"):
        budgets[f"x10_moderation_{route}_p99_ms"] = (200.0, "200 ms")
    return budgets


BUDGETS = _budgets()


def stem(key: str) -> str:
    """``key`` without its unit suffix (site_build_s -> site_build)."""
    from scripts.bench import SUFFIXES

    suffix = next(s for s in SUFFIXES if key.endswith(s))
    return key[: -len(suffix)]


def growth_key(key: str, low: int, high: int) -> str:
    return f"{stem(key)}_x{high}_over_x{low}_ratio"


def merge(reports: dict[int, Report]) -> tuple[dict[str, float], list[tuple[str, ...]]]:
    """The flat numbers of every scale (``x<scale>_`` keys, growth ratios of the largest scale
    over the smallest) and the side-by-side rows: part, measure, one value per scale, growth,
    budget and notes."""
    scales = sorted(reports)
    low, high = scales[0], scales[-1]
    numbers: dict[str, float] = {}
    for scale in scales:
        numbers |= {f"x{scale}_{key}": value for key, value in reports[scale].numbers.items()}
    parts: dict[str, int] = {}
    rows: list[tuple[str, ...]] = []
    for key in dict.fromkeys(k for s in scales for k in reports[s].labels):
        part, label, _ = next(reports[s].labels[key] for s in scales if key in reports[s].labels)
        parts.setdefault(part, len(parts))
        values = {s: reports[s].numbers[key] for s in scales if key in reports[s].numbers}
        cells = [human(key, values[s]) if s in values else "—" for s in scales]
        growth, verdicts = "", []
        if high != low and values.get(low) and high in values and not key.endswith("_ratio"):
            numbers[growth_key(key, low, high)] = values[high] / values[low]
            growth = f"{values[high] / values[low]:,.2f}×"
        for scale in scales:
            verdicts += _verdict(f"x{scale}_{key}", numbers, f" at {scale}×")
        verdicts += _verdict(growth_key(key, low, high), numbers, f" ({high}× / {low}×)")
        notes = {s: reports[s].labels[key][2] for s in scales if key in reports[s].labels}
        rows.append((part, label, *cells, growth, "; ".join(verdicts + _notes(notes, verdicts))))
    missing: dict[tuple[str, str], dict[int, str]] = {}
    for scale in scales:
        for part, label, reason in reports[scale].missing:
            missing.setdefault((part, label), {})[scale] = reason
    for (part, label), reasons in missing.items():
        parts.setdefault(part, len(parts))
        cells = [f"n/a ({reasons[s]})" if s in reasons else "" for s in scales]
        rows.append((part, label, *cells, "", ""))
    rows.sort(key=lambda row: parts[row[0]])  # stable: each part's rows keep their order
    return numbers, rows


def _notes(notes: dict[int, str], verdicts: list[str]) -> list[str]:
    """Each scale's note once: alone when they agree, else prefixed by the scale; a scale's own
    budget verdict (``make bench``'s) gives way to the verdicts of the merged table."""
    if verdicts:
        notes = {s: n for s, n in notes.items() if not BUDGET_NOTE.search(n)}
    kept = {s: n for s, n in notes.items() if n}
    if len(set(kept.values())) <= 1:
        return list(dict.fromkeys(kept.values()))
    return [f"{s}×: {n}" for s, n in kept.items()]


def _verdict(key: str, numbers: dict[str, float], where: str) -> list[str]:
    if key not in BUDGETS or key not in numbers:
        return []
    limit, text = BUDGETS[key]
    return [f"{'within' if numbers[key] <= limit else 'OVER'} ≤ {text}{where}"]


def render(scales: list[int], rows: list[tuple[str, ...]], caption: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="make bench-scale", caption=caption)
    high, low = max(scales), min(scales)
    growth = f"{high}× / {low}×" if high != low else ""
    for column in ("part", "measure", *(f"{s}×" for s in scales), growth, "budget / note"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 180).print(table)


# --- one scale ---------------------------------------------------------------------------------
def heaviest_pages(report: Report, output: Path) -> None:
    """Every HTML page gzipped: how many are over the page budget (HTML alone), and the heaviest
    with its CSS and JS (weighed for the ``TOP_PAGES`` heaviest HTML, scripts/bench.page_weight)."""
    from scripts.bench import page_weight

    sizes = [
        (len(gzip.compress(page.read_bytes(), 9)), str(page)) for page in output.rglob("*.html")
    ]
    over = sum(1 for size, _ in sizes if size > PAGE_LIMIT_KIB * 1024)
    weights = {Path(p): page_weight(output, Path(p)) for _, p in heapq.nlargest(TOP_PAGES, sizes)}
    heaviest = max(weights, key=lambda p: weights[p][1])
    html_gz, total = weights[heaviest]
    name = heaviest.relative_to(output).as_posix()
    report.add("pages", "heaviest page of any kind, HTML+CSS+JS gzip",
               "heaviest_any_page_gzip_bytes", total, name)  # fmt: skip
    report.add("pages", "  its HTML alone, gzip", "heaviest_any_page_html_gzip_bytes", html_gz)
    report.add("pages", f"pages whose HTML alone is over {PAGE_LIMIT_KIB} KiB gzip",
               "pages_over_budget_count", over)  # fmt: skip


def bench_build(report: Report, work: Path, site: Any) -> None:
    """The full build in a measured process, then the page weights of its output."""
    from scripts.bench import measured_build, text_page_weights

    output = work / "site-output"
    wall, rss = measured_build(work, site, output)
    durations = json.loads(output.with_suffix(".json").read_text(encoding="utf-8"))
    report.add("site", "full build", "site_build_s", wall, "Pelican + Pagefind, own process")
    report.add("site", "  its Pagefind index", "site_build_pagefind_s", durations["pagefind_s"])
    report.add("site", "peak RSS of the full build", "site_build_peak_rss_bytes", rss)
    report.add(
        "site", "HTML pages built", "site_pages_count", sum(1 for _ in output.rglob("*.html"))
    )
    text_page_weights(report, output, site)
    heaviest_pages(report, output)


def run_scale(scale: int, args: argparse.Namespace, work: Path) -> Report:
    """Every measure at one scale (each part on its own: a failure is an n/a row)."""
    from scripts.bench import guarded
    from scripts.bench_hugo import bench_hugo, hugo_ratios
    from scripts.bench_live import bench_live
    from scripts.bench_results import enrich
    from scripts.bench_scale_db import TABLE, bench_scale_db
    from scripts.dynamodb_local import DynamoDBLocal
    from scripts.gen_large_site import generate

    report = Report()
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    base = {**BASE, "comments": args.comments, "proposals": args.proposals}
    site = generate(work / "large", **{name: n * scale for name, n in base.items()})
    enrich(site)
    report.add("site", "generate the large site", "generate_s", time.perf_counter() - start)
    report.add("site", "consultations", "consultations_count", len(site.states))
    report.add("site", "texts", "texts_count", len(site.texts))
    report.add("site", "approved comments", "comments_count", site.comments_count)
    report.add("site", "approved proposals", "proposals_count", site.proposals_count)
    guarded(report, "site", lambda: bench_build(report, work, site))
    if not args.no_hugo:
        guarded(report, "hugo", lambda: bench_hugo(report, work, site))
    with DynamoDBLocal(heap=args.heap) as db:
        guarded(report, "publish", lambda: bench_scale_db(report, work, db, site, args.calls))
        guarded(report, "live", lambda: bench_live(report, work, db, site, TABLE))
    hugo_ratios(report)
    return report


def run_all(args: argparse.Namespace, work: Path) -> tuple[dict[int, Report], str]:
    load_before, started = os.getloadavg()[0], time.perf_counter()
    reports = {}
    for scale in args.scales:
        logger.warning("bench-scale: %s× in %s", scale, work / f"x{scale}")
        reports[scale] = run_scale(scale, args, work / f"x{scale}")
    caption = (
        f"{(time.perf_counter() - started) / 60:.0f} min; load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs: other work on the "
        "machine slows every number"
    )
    return reports, caption


def main(argv: list[str] | None = None) -> int:
    from scripts.bench import write_results
    from scripts.dynamodb_local import BENCH_HEAP

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=lambda v: sorted({int(s) for s in v.split(",")}),
                        default=list(SCALES), help="comma-separated, e.g. 1,10")  # fmt: skip
    parser.add_argument("--comments", type=int, default=BASE["comments"], help="at 1×")
    parser.add_argument("--proposals", type=int, default=BASE["proposals"], help="at 1×")
    parser.add_argument("--calls", type=int, default=50, help="per moderation route")
    parser.add_argument("--heap", default=BENCH_HEAP, help="DynamoDB Local's -Xmx")
    parser.add_argument("--no-hugo", action="store_true", help="leave the Hugo baseline out")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-scale.json")
    parser.add_argument("--work", type=Path, help="work in (and keep) this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.work:
        reports, caption = run_all(args, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            reports, caption = run_all(args, Path(tmp))
    numbers, rows = merge(reports)
    render(args.scales, rows, caption)
    write_results(args.out, numbers)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
