"""The campaigns part of ``make bench``: near-identical submissions grouped (chalicelib.campaigns,
run by chalicelib.grouping), measured on 20,000 generated submissions of which 30% come from
three campaigns (scripts/gen_campaigns.py), against the generator's own labels.

- Quality: the submissions written into DynamoDB Local (batch writes, the items as the table
  holds them), one ``grouping.run`` over the project's consultation texts (content/), the
  ``group`` attributes read back; pairwise precision and recall (``campaigns.quality``, goal:
  both ≥ 0.95), and as counts what pairs hide: the unique comments put in a group (of them, those
  quoting their text) and the campaigns' members left out of their campaign's group.
- Time: that first run (everything new: every target regrouped, every member's group written)
  against the publish's own build of the site (``publish_first_build_s`` of the publish part,
  else the full build ``site_build_s``; goal: less); ``campaigns.group`` alone over the same
  submissions, target by target as the run calls it; the next run, a minute later.
- Intake: ``POST /v1/comments`` with the intake's exact fingerprint (``body_print``) against the
  same app without it, side by side and taking turns as scripts/bench_mail.py does for the
  receipt (goal: p99 ≤ 1.05×), at concurrency 1 and 16; and ``text.fingerprint`` alone.
- A group decision on 1,000 members of a campaign: approve, through
  chalicelib.moderation_groups.decide_all (the moderation page's and the CLI's one action).

    python -m scripts.bench_campaigns [--count 20000] [--requests 400] [--with-build]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scripts.bench_backend import (
    SITE_URL,
    BenchError,
    Report,
    app_environment,
    budget_note,
    comment_payload,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
MANIFEST = ROOT / "tests" / "fixtures" / "consultations.json"  # one open consultation
TARGET = ("anoichti", "proto-keimeno")  # its open text (scripts/bench_mail.py's)

PART = "campaigns"
TABLE, TABLE_INTAKE = "bench-campaigns", "bench-campaigns-intake"
COUNT = 20_000
QUALITY_GOAL = 0.95  # precision and recall, each at least
BUILD_RATIO_BUDGET = 1.0  # the first grouping run against the publish's build
PRINT_RATIO_BUDGET = 1.05  # intake p99 with the fingerprint against without
DECISION_MEMBERS = 1_000
LOAD_THREADS = 4
SERVE_FLAG = "--serve-without-print"
BUILD_REFERENCES = (("publish_first_build_s", "the first publish's build step"),
                    ("site_build_s", "the full build"))  # fmt: skip

logger = logging.getLogger(__name__)


# --- quality ------------------------------------------------------------------------------------
@dataclass
class Quality:
    """Found groups against the labels: pairwise precision and recall, and the counts pairs
    hide (a unique comment in a group of 3,000 is 0.03% of the pairs)."""

    precision: float
    recall: float
    groups: int
    unique_grouped: int
    quoting_grouped: int
    missed: int

    @classmethod
    def of(cls, found: list[list[str]], generated: Any) -> Quality:
        from chalicelib import campaigns

        labels: dict[str, str | None] = generated.labels
        precision, recall = campaigns.quality(found, labels)
        grouped = {m for members in found for m in members}
        quoting = set(generated.quoting)
        missed = 0
        for label in dict.fromkeys(v for v in labels.values() if v is not None):
            size = sum(1 for v in labels.values() if v == label)
            kept = max((sum(labels.get(m) == label for m in g) for g in found), default=0)
            missed += size - kept
        unique = [m for m in grouped if labels.get(m) is None]
        return cls(precision, recall, len(found), len(unique),
                   sum(1 for m in unique if m in quoting), missed)  # fmt: skip


def load(table: Any, items: list[dict[str, Any]], threads: int = LOAD_THREADS) -> None:
    """Write ``items`` by ``threads`` batch writers side by side (scripts/bench_publish.py's)."""
    from scripts.bench_publish import write_items

    write_items(table, [iter(items[share::threads]) for share in range(threads)])


def read_groups(table: Any) -> list[list[str]]:
    """The groups the table holds: the ids carrying each ``group``, in id order."""
    from boto3.dynamodb.conditions import Attr

    members: dict[str, list[str]] = {}
    kwargs: dict[str, Any] = {"ProjectionExpression": "id, #g",
                              "ExpressionAttributeNames": {"#g": "group"},
                              "FilterExpression": Attr("group").exists()}  # fmt: skip
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            members.setdefault(str(item["group"]), []).append(str(item["id"]))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [sorted(ids) for _, ids in sorted(members.items())]


def targets_of(items: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The items by target (consultation, text), as grouping regroups them."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in items:
        found.setdefault((item["consultation"], item["text"]), []).append(item)
    return dict(sorted(found.items()))


def group_alone(items: list[dict[str, Any]], quoted: list[str]) -> tuple[list[list[str]], float]:
    """``campaigns.group`` over ``items``, target by target as ``grouping.regroup`` calls it:
    the groups and the seconds spent in it."""
    from chalicelib import campaigns
    from chalicelib.store.submissions import compared_text

    found: list[list[str]] = []
    seconds = 0.0
    for members in targets_of(items).values():
        docs = [campaigns.Doc(i["id"], str(i["created_at"]), compared_text(i), i.get("body_print"))
                for i in members]  # fmt: skip
        start = time.perf_counter()
        found += campaigns.group(docs, quoted)
        seconds += time.perf_counter() - start
    return found, seconds


def _same(a: list[list[str]], b: list[list[str]]) -> bool:
    return {frozenset(g) for g in a} == {frozenset(g) for g in b}


def bench_grouping(
    report: Report,
    table: Any,
    generated: Any,
    content: Path = CONTENT,
    build_s: float | None = None,
) -> Quality:
    """Load ``generated`` into ``table``, group it all with ``grouping.run``, measure;
    ``build_s``: the publish's build when this run measured none."""
    from chalicelib import grouping

    items = generated.items
    start = time.perf_counter()
    load(table, items)
    report.add(PART, "load the submissions into DynamoDB Local", "campaigns_load_s",
               time.perf_counter() - start,
               f"{len(items):,} items, {LOAD_THREADS} writers")  # fmt: skip
    latest = max(max(i["created_at"], i["updated_at"]) for i in items)
    now = datetime.fromisoformat(latest.replace("Z", "+00:00")) + timedelta(hours=1)
    start = time.perf_counter()
    first = grouping.run(table, content=content, now=now)
    wall = time.perf_counter() - start
    if not first.complete:
        raise BenchError(f"the first grouping run did not complete: {first.as_dict()}")
    found = read_groups(table)
    quality = Quality.of(found, generated)
    alone, compare_s = group_alone(items, grouping.quoted_texts(content))
    _quality_rows(report, quality, generated, _same(found, alone))
    report.add(PART, f"grouping.run over all {len(items):,} (first run: everything new)",
               "grouping_run_s", wall, f"{first.targets} targets, {first.read:,} read, "
               f"{first.changed:,} groups written ({first.published:,} published)")  # fmt: skip
    report.add(PART, "  campaigns.group alone over the same submissions", "grouping_compare_s",
               compare_s, "target by target, as the run calls it")  # fmt: skip
    report.add(PART, "  the run's DynamoDB reads and writes (the rest)", "grouping_store_s",
               max(0.0, wall - compare_s))  # fmt: skip
    _build_ratio(report, wall, build_s)
    start = time.perf_counter()
    second = grouping.run(table, content=content, now=now + timedelta(minutes=1))
    report.add(PART, "the next run, a minute later", "grouping_next_run_s",
               time.perf_counter() - start,
               f"{second.targets} targets regrouped (the first run's stamps, read again for "
               f"its margin), {second.changed} changed")  # fmt: skip
    return quality


def _quality_rows(report: Report, quality: Quality, generated: Any, same: bool) -> None:
    from scripts.gen_campaigns import CAMPAIGNS

    summary = generated.summary()
    sizes = "/".join(f"{summary[name]:,}" for name in CAMPAIGNS)
    note = f"{len(CAMPAIGNS)} campaigns ({sizes}), {summary['unique']:,} unique"
    report.add(PART, "submissions generated", "campaigns_submissions_count",
               len(generated.items), note)  # fmt: skip
    for name, value in (("precision", quality.precision), ("recall", quality.recall)):
        goal = goal_note(value, QUALITY_GOAL)
        _fraction(report, f"grouping {name} (pairwise, against the generator's labels)",
                  f"campaigns_{name}_ratio", value, goal)  # fmt: skip
    report.add(PART, "  groups found", "campaigns_groups_count", quality.groups,
               "the same as campaigns.group alone" if same
               else "NOT the same as campaigns.group alone")  # fmt: skip
    report.add(PART, "  unique comments put in a group", "campaigns_unique_grouped_count",
               quality.unique_grouped, f"of {summary['unique']:,}; of them quoting their text: "
               f"{quality.quoting_grouped} of {summary['quoting']:,}")  # fmt: skip
    report.add(PART, "  campaign members left out of their campaign's group",
               "campaigns_missed_count", quality.missed,
               f"of {len(generated.items) - summary['unique']:,}")  # fmt: skip


def goal_note(value: float, minimum: float) -> str:
    """Whether ``value`` reaches its goal (a floor), for the table (reported, never asserted)."""
    return f"{'within' if value >= minimum else 'UNDER'} goal ≥ {minimum:g}"


def _fraction(report: Report, label: str, key: str, value: float, note: str) -> None:
    """A row like ``Report.add``'s, its value to four decimals (0.9995 is not 1.00×)."""
    report.add(PART, label, key, value, note)
    part, label, _, note = report.rows[-1]
    report.rows[-1] = (part, label, f"{value:.4f}", note)


def build_reference(report: Report, build_s: float | None = None) -> tuple[str, float] | None:
    """(what, seconds) of the publish's build this run measured, else ``build_s`` as given."""
    for key, what in BUILD_REFERENCES:
        if key in report.numbers:
            return f"{what} ({key})", report.numbers[key]
    return ("the build given (--build-s)", build_s) if build_s else None


def _build_ratio(report: Report, wall: float, build_s: float | None) -> None:
    found = build_reference(report, build_s)
    if found is None:
        report.na(PART, "grouping.run / the publish's build",
                  "no build measured in this run (make bench's site and publish parts measure "
                  "it; alone: --with-build or --build-s)")  # fmt: skip
        return
    what, seconds = found
    note = f"{budget_note(wall / seconds, BUILD_RATIO_BUDGET, '×')}; {what}: {seconds:,.1f} s"
    report.add(PART, "grouping.run / the publish's build", "grouping_vs_build_ratio",
               wall / seconds, note)  # fmt: skip


# --- intake -------------------------------------------------------------------------------------
def serve_without_print(argv: list[str]) -> int:
    """The child process of the "without" API: scripts/api_local.py's ``serve`` with the
    intake's fingerprint left out of every new submission (``text.fingerprint`` not called,
    no ``body_print`` on the item; nothing else changes)."""
    from chalicelib import text
    from chalicelib.store import submissions
    from scripts import api_local

    build_item = submissions.build_item

    def no_print(value: str) -> str:
        return ""

    def without_print(kind: str, fields: dict[str, Any], moment: datetime) -> dict[str, Any]:
        item = build_item(kind, fields, moment)
        del item["body_print"]
        return item

    text.fingerprint = no_print  # its only caller on the intake's path is build_item
    submissions.build_item = without_print
    return api_local.serve(argv)


def without_print_command(port: int) -> list[str]:
    """``chalice local`` as scripts/api_local.py starts it, through ``serve_without_print``."""
    from scripts.api_local import chalice_command

    return [sys.executable, str(Path(__file__).resolve()), SERVE_FLAG, *chalice_command(port)[2:]]


def letter_payload(n: int) -> dict[str, Any]:
    """A comment as a campaign's members post it: a letter (scripts/gen_campaigns.py's first,
    ~150 words), numbered so that the duplicate guard lets every post through."""
    from scripts.gen_campaigns import LETTERS, template

    body = f"{template(LETTERS[0])}\n{n}"
    return {**comment_payload(TARGET, n, PART), "body": body}


def bench_intake(report: Report, env: dict[str, str], requests_n: int, work: Path) -> None:
    """p99 of POST /v1/comments with and without the fingerprint, taking turns."""
    from scripts.api_local import start_api, stop_api
    from scripts.bench_mail import CONCURRENCY, WITH, WITHOUT, interleaved, poster, start_variant
    from scripts.dynamodb_local import free_port

    ports = {WITH: free_port(), WITHOUT: free_port()}  # WITH: the product, with body_print
    post = poster(ports, letter_payload)

    procs = [start_api(ports[WITH], env, log_path=work / "api-campaigns.log")]
    try:
        procs.append(start_variant(without_print_command(ports[WITHOUT]), ports[WITHOUT], env,
                                   work / "api-campaigns-without.log"))  # fmt: skip
        for level in CONCURRENCY:
            count = max(2, requests_n // (1 if level == 1 else 4) // 2 * 2)
            latencies, statuses = interleaved(post, count, level)
            refused = Counter(str(s) for s in statuses if s != 202)
            if refused:
                raise BenchError(f"answers other than 202 at c={level}: {dict(refused)}")
            _intake_rows(report, level, latencies[WITH], latencies[WITHOUT])
    finally:
        for proc in procs:
            stop_api(proc)


def _intake_rows(report: Report, level: int, with_: list[float], without: list[float]) -> None:
    p99 = {"print": percentile(with_, 99), "no_print": percentile(without, 99)}
    p50 = {"print": statistics.median(with_), "no_print": statistics.median(without)}
    for variant, words in (("print", "with body_print"), ("no_print", "without it")):
        report.numbers[f"intake_{variant}_c{level}_p50_ms"] = p50[variant]
        report.add(PART, f"POST /v1/comments c={level} {words}, p99",
                   f"intake_{variant}_c{level}_p99_ms", p99[variant],
                   f"p50 {p50[variant]:.1f} ms, {len(with_)} requests")  # fmt: skip
    ratio = p99["print"] / p99["no_print"]
    report.numbers[f"intake_print_c{level}_p50_ratio"] = p50["print"] / p50["no_print"]
    note = budget_note(ratio, PRINT_RATIO_BUDGET, "×")
    note += f", p50 {p50['print'] / p50['no_print']:.2f}×"
    report.add(PART, f"  with / without, p99 c={level}", f"intake_print_c{level}_p99_ratio",
               ratio, note)  # fmt: skip


def bench_fingerprint(report: Report, bodies: list[str]) -> None:
    """``text.fingerprint`` alone, over the generated bodies: what the intake adds per post."""
    from chalicelib import text

    start = time.perf_counter()
    for body in bodies:
        text.fingerprint(body)
    mean = (time.perf_counter() - start) / len(bodies) * 1000
    report.add(PART, "  text.fingerprint alone, mean per submission", "body_print_mean_ms", mean,
               f"{mean * 1000:.1f} µs over the {len(bodies):,} generated bodies")  # fmt: skip


# --- the part -----------------------------------------------------------------------------------
def run(
    report: Report,
    work: Path,
    db: Any = None,
    count: int = COUNT,
    requests_n: int = 1200,  # a p99 of 1,200 is its 12th worst: 400 left it to 4 (noise ±25%)
    seed: int = 7,
    build_s: float | None = None,
) -> None:
    """The whole campaigns part, on DynamoDB Local ``db`` (one of its own when None);
    ``build_s``: the publish's build, when ``report`` has none (this part run alone)."""
    from scripts.dynamodb_local import DynamoDBLocal

    if db is None:
        with DynamoDBLocal() as own:
            return run(report, work, own, count, requests_n, seed, build_s)
    from chalicelib import db as app_db
    from scripts.dynamodb_local import create_table
    from scripts.gen_campaigns import generate

    start = time.perf_counter()
    generated = generate(count, seed)
    report.add(PART, f"generate {count:,} submissions", "campaigns_generate_s",
               time.perf_counter() - start, f"seed {seed}")  # fmt: skip
    create_table(db.client(), TABLE)
    env = {"STAGE": "bench", "TABLE_NAME": TABLE, "DYNAMODB_ENDPOINT": db.endpoint,
           "SITE_URL": SITE_URL, "SITE_ORIGINS": SITE_URL, "IP_HASH_KEY": "bench-ip-hash-key",
           "MANIFEST_PATH": str(MANIFEST)}  # fmt: skip
    with app_environment(env):
        bench_grouping(report, app_db.table(), generated, build_s=build_s)
        bench_group_decision(report, app_db.table(), generated)
    create_table(db.client(), TABLE_INTAKE)
    bench_intake(report, {**env, "TABLE_NAME": TABLE_INTAKE}, requests_n, work)
    bench_fingerprint(report, [i["body"] for i in generated.items])
    return None


def bench_group_decision(report: Report, table: Any, generated: Any) -> None:
    """Staff approve a group of ``DECISION_MEMBERS`` pending members in one action, as the
    moderation page and the CLI do (chalicelib.moderation_groups.decide_all: one audited
    decision per member, in batches, called again until nothing remains)."""
    from chalicelib import moderation_groups
    from chalicelib.store import keys

    labels = generated.labels
    largest = Counter(v for v in labels.values() if v is not None).most_common(1)[0][0]
    models = [i for i in generated.items if labels[i["id"]] == largest][:DECISION_MEMBERS]
    members = []
    for n, model in enumerate(models):
        sub_id = f"01benchgroup{n:014d}"
        created = model["created_at"]
        member = {**model, "id": sub_id, "status": "pending", "version": 1}
        for name in ("decided_at", "decided_by", "approved_at", "answer", "GSI1PK", "GSI1SK"):
            member.pop(name, None)
        member.update(keys.submission(sub_id))
        member.update(keys.status_index("pending", created, sub_id))
        member.update(keys.consultation_index(member["consultation"], "pending", created, sub_id))
        member.update(keys.target_index(member, created, sub_id))
        members.append(member)
    group = members[0]["id"]
    for member in members:
        member["group"] = group
    load(table, members)
    start = time.perf_counter()
    result = moderation_groups.decide_all(group, json.dumps({"action": "approve"}), "bench")
    elapsed = time.perf_counter() - start
    if len(result["decided"]) != len(members) or result["remaining"]:
        raise BenchError(f"the group decision left members: {len(result['decided'])} decided")
    report.add(PART, f"a group decision on {len(members):,} members (approve)",
               "group_decision_s", elapsed,
               f"{len(members):,} audited decisions, batches of 25, "
               f"{elapsed / len(members) * 1000:.1f} ms a member")  # fmt: skip


def measure_build(report: Report, work: Path) -> None:
    """The full build of make bench's large site (scripts/bench.py), for the ratio when this
    part runs alone."""
    from scripts.bench import measured_build
    from scripts.bench_results import enrich
    from scripts.gen_large_site import generate

    site = generate(work / "large")
    enrich(site)
    wall, _ = measured_build(work, site, work / "site-output")
    report.add("site", "full build of the large site (the ratio's reference)", "site_build_s",
               wall, "Pelican + Pagefind, as make bench measures it")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [SERVE_FLAG]:  # the "without" API's child process
        return serve_without_print(argv[1:])
    from scripts.bench import check_numbers, render

    parser = argparse.ArgumentParser(description="The campaigns part of make bench, alone.")
    parser.add_argument("--count", type=int, default=COUNT, help="submissions generated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400,
                        help="per API at c=1 (a quarter at c=16)")  # fmt: skip
    parser.add_argument(
        "--with-build",
        action="store_true",
        help="measure make bench's full build too (the ratio's reference)",
    )
    parser.add_argument("--build-s", type=float, help="or give the publish's build seconds")
    parser.add_argument("--out", type=Path, help="write the numbers there too (bench.json's form)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = Report()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-campaigns-") as tmp:
        if args.with_build:
            measure_build(report, Path(tmp))
        run(report, Path(tmp), count=args.count, requests_n=args.requests, seed=args.seed,
            build_s=args.build_s)  # fmt: skip
    report.caption = f"{time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f}"
    render(report)
    check_numbers(report.numbers)
    if args.out:
        from scripts.bench import write_results

        write_results(args.out, report.numbers)
    print(json.dumps(report.numbers, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
