"""The results part of ``make bench``: the large site with the municipality's answers on half of
its comments and proposals, distinct participants and a report on every consultation, then

- the full build with the results pages against the same build without them (the results
  plugin left out): the cost of the results on a build;
- the heaviest results page, HTML alone and with its CSS, gzip -9;
- the open data: the time to encode every consultation's JSON, CSV and XLSX (what a build does
  for each consultation whose data changed), the time to put the whole site's JSON and CSV
  together from those files (streamed, as the exports plugin does), and the largest XLSX.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.spec import limits
from scripts.bench_backend import Report, budget_note
from scripts.gen_large_site import DECIDED_BEFORE, spread_before

RESULTS_RATIO_BUDGET = 1.15
RESULTS_PAGE_BUDGET_KIB = 100
ANSWERED_SHARE = 0.5
PEOPLE_SHARE = 0.6  # distinct participants per submission: some people write several times
REPORT = """Title: Έκθεση αποτελεσμάτων: {title}
Summary: Τι κρατά ο Δήμος από τη διαβούλευση και γιατί.
Date: {date}
Decision: {n}/2026

## Τι εντάσσεται στο Αναπτυξιακό Πρόγραμμα

{body}
"""


def enrich(site: Any, seed: int = 7) -> None:
    """Answers on half the comments and proposals, participants, a report per consultation."""
    rng = random.Random(seed)
    codes = list(limits()["dispositions"]["labels"])
    data = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    entries = [*data["comments"], *data["proposals"]]
    people = max(1, int(len(entries) * PEOPLE_SHARE))
    limit = site.now - DECIDED_BEFORE
    for entry in entries:
        entry["participant"] = f"{rng.randrange(people):016x}"
        if rng.random() < ANSWERED_SHARE:
            approved = datetime.fromisoformat(entry["approved_at"].replace("Z", "+00:00"))
            later = approved + timedelta(days=rng.randrange(1, 20))
            at = spread_before(rng, approved, later, limit)
            entry["answer"] = {
                "disposition": rng.choice(codes),
                "text": " ".join(rng.choice(ANSWERS) for _ in range(rng.randrange(1, 4))),
                "answered_at": max(at, approved).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
    site.snapshot_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for n, folder in enumerate(sorted((site.root / "content" / "consultations").iterdir()), 1):
        title = folder.name.replace("-", " ")
        body = "\n\n".join(" ".join(rng.sample(ANSWERS, 3)) for _ in range(6))
        date = site.now.date().isoformat()
        report = REPORT.format(title=title, date=date, n=n, body=body)
        (folder / "report.md").write_text(report, encoding="utf-8")


ANSWERS = (
    "Η πρόταση ενσωματώνεται στη μελέτη του έργου.",
    "Η παρατήρηση λαμβάνεται υπόψη στην τελική διατύπωση του κειμένου.",
    "Το θέμα καλύπτεται ήδη από τη δράση 2.3 του προγράμματος.",
    "Δεν είναι εφικτό με τους διαθέσιμους πόρους της περιόδου.",
    "Το ζήτημα ανήκει στην αρμοδιότητα της Περιφέρειας Αττικής.",
    "Θα εξεταστεί στην επόμενη αναθεώρηση του Αναπτυξιακού Προγράμματος.",
)


def bench_results(report: Report, work: Path, site: Any, output: Path | None, build: Any) -> None:
    """``build(output, settings)`` runs a measured full build; (wall seconds, peak RSS)."""
    if output is None or "site_build_s" not in report.numbers:
        report.na("results", "results pages", "the full build did not run")
        return
    wall, _ = build(work / "site-no-results", {"PLUGINS": _plugins_without("results")})
    ratio = report.numbers["site_build_s"] / wall
    report.add("results", "full build without the results pages", "site_build_no_results_s", wall)
    report.add("results", "full build with / without the results", "results_build_ratio", ratio,
               budget_note(ratio, RESULTS_RATIO_BUDGET, "×"))  # fmt: skip
    pages = sorted(output.glob(_results_glob()))
    if not pages:
        report.na("results", "heaviest results page", "no results page was built")
    else:
        from scripts.bench import page_weight

        weights = {p: page_weight(output, p) for p in pages}
        heaviest = max(weights, key=lambda p: weights[p][1])
        html_gz, total = weights[heaviest]
        note = budget_note(total / 1024, RESULTS_PAGE_BUDGET_KIB, " KiB")
        name = heaviest.parent.relative_to(output).as_posix()
        report.add("results", f"heaviest results page ({name}), HTML+CSS gzip",
                   "results_page_gzip_bytes", total, note)  # fmt: skip
        report.add("results", "  its HTML alone, gzip", "results_page_html_gzip_bytes", html_gz)
        report.add("results", "results pages built", "results_pages_count", len(pages))
    _exports(report, output, site, work)


def _results_glob() -> str:
    """Every results page: the main one of each consultation and its text pages and parts."""
    from plugins.consultations import urls
    from scripts.build import site_settings

    main = urls.save_as(site_settings(), "RESULTS", consultation="*")
    return main.replace("index.html", "**/index.html")


def _plugins_without(name: str) -> list[str]:
    from scripts.build import site_settings

    return [p for p in site_settings()["PLUGINS"] if p != f"plugins.{name}"]


def _exports(report: Report, output: Path, site: Any, work: Path) -> None:
    """Time to make every open-data file again from the built model (in this process)."""
    try:
        from plugins.exports.data import by_consultation, consultation_data, header, newest
        from plugins.exports.site_files import Sink, layout, write_csv, write_json
        from plugins.exports.text_files import to_csv, to_json
        from plugins.exports.xlsx import to_xlsx
    except ImportError as exc:
        report.na("results", "open data", f"exports not importable ({exc})")
        return
    consultations, snapshot = _model(site)
    folder = work / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    biggest, stamps, jsons = 0, [], []
    groups = by_consultation(snapshot)
    for c in consultations:
        data = consultation_data(c, groups.get(c.slug))
        stamps.append(data["generated_at"])
        content = to_json(data)
        (folder / f"{c.slug}.json").write_bytes(content)
        jsons.append((folder / f"{c.slug}.json", layout(content, data["participation"][-1])))
        (folder / f"{c.slug}.csv").write_bytes(to_csv(data))
        biggest = max(biggest, len(to_xlsx(data, title="bench", author="bench", licence="")))
    encoded = time.perf_counter()
    headers = [header(c) for c in consultations]
    with (folder / "ola.json").open("wb") as file:
        write_json(Sink(file), headers, newest(stamps), jsons)
    with (folder / "ola.csv").open("wb") as file:
        write_csv(Sink(file), [folder / f"{c.slug}.csv" for c in consultations])
    done = time.perf_counter()
    report.add("results", "open data: JSON + CSV + XLSX of every consultation",
               "exports_s", encoded - started)  # fmt: skip
    report.add("results", "  the whole site's JSON + CSV from those files",
               "exports_site_s", done - encoded)  # fmt: skip
    report.add("results", "the largest XLSX (one consultation's)", "exports_xlsx_bytes", biggest)
    from plugins.consultations import urls
    from scripts.build import site_settings

    whole = output / urls.save_as(site_settings(), "OPENDATA_ALL", ext="csv")
    if whole.is_file():
        gz = len(gzip.compress(whole.read_bytes(), 9))
        report.add("results", "the whole site's CSV, gzip", "exports_csv_gzip_bytes", gz)


def _model(site: Any) -> tuple[list[Any], dict[str, Any]]:
    """The large site's consultations with their submissions, as the build has them."""
    from chalicelib.clock import ATHENS
    from plugins.consultations.reader import read_consultations
    from plugins.submissions.snapshot import attach
    from scripts.build import site_settings

    settings = {**site_settings(), "PATH": str(site.root / "content")}
    consultations = read_consultations(settings, site.root / "content" / "consultations")
    for consultation in consultations:
        consultation.set_state(site.now.astimezone(ATHENS))
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    attach(consultations, snapshot)
    return consultations, snapshot
