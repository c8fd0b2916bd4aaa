"""The baselines of the benchmarks: the large site's pages as a plain static site would have them.

One page per page of the large site (consultation, text, proposal) with the same Markdown
bodies. A plain site has no comment system, so the comments of each page are appended to its
body as Markdown paragraphs: a baseline then renders a comparable volume of text, and the ratio
to it measures the cost of our plugins and theme, not of the comments.

- ``write_baseline``: plain Pelican, the default theme (notmyidea), no plugins, no feeds (there
  is no SITEURL), one article per page.
- scripts/bench_hugo.py writes the same pages for Hugo (``baseline_pages``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugins.consultations.reader import REPORT_FILE

if TYPE_CHECKING:
    from scripts.gen_large_site import LargeSite

BASELINE_DATE = "2026-01-01"


@dataclass(frozen=True)
class BaselinePage:
    """One page of a baseline: ``category`` is the consultation's slug; ``body`` is Markdown,
    the page's own text followed by its comments."""

    slug: str
    title: str
    category: str
    date: str
    body: str


def baseline_pages(site: LargeSite) -> Iterator[BaselinePage]:
    """Every page of ``site``: each consultation, then its texts, then the proposals."""
    snapshot = json.loads(site.snapshot_path.read_text(encoding="utf-8"))
    by_target: dict[str, list[dict[str, Any]]] = {}
    for comment in snapshot["comments"]:
        key = comment["proposal"] or f"{comment['consultation']}/{comment['text']}"
        by_target.setdefault(key, []).append(comment)

    def body(text: str, key: str) -> str:
        lines = [text.strip(), "", "## Σχόλια", ""]
        for comment in by_target.get(key, []):
            who = comment["author"]["display_name"] or "Ανώνυμο σχόλιο"
            lines += [f"**{who}**, {comment['created_at'][:10]}", "", comment["body"], ""]
        return "\n".join(lines) + "\n"

    for folder in sorted((site.root / "content" / "consultations").iterdir()):
        for md in sorted(folder.glob("*.md")):
            if md.name == REPORT_FILE:  # the results report (bench_results): not a page here
                continue
            head, _, text = md.read_text(encoding="utf-8").partition("\n\n")
            meta = dict(line.split(": ", 1) for line in head.splitlines())
            slug = folder.name if md.stem == "index" else f"{folder.name}-{md.stem}"
            key = "" if md.stem == "index" else f"{folder.name}/{meta['Slug']}"
            yield BaselinePage(slug, meta["Title"], folder.name, BASELINE_DATE, body(text, key))
    for proposal in snapshot["proposals"]:
        pid = proposal["id"]
        yield BaselinePage(
            pid,
            proposal["title"],
            proposal["consultation"],
            proposal["created_at"][:10],
            body(proposal["body"], pid),
        )


def write_baseline(site: LargeSite, dest: Path) -> int:
    """A plain Pelican project with one article per page of ``site``; returns the article count."""
    content = dest / "content"
    content.mkdir(parents=True, exist_ok=True)
    written = 0
    for page in baseline_pages(site):
        meta = (
            f"Title: {page.title}\nSlug: {page.slug}\nCategory: {page.category}\n"
            f"Date: {page.date}\n\n"
        )
        (content / f"{page.slug}.md").write_text(meta + page.body, encoding="utf-8")
        written += 1
    (dest / "pelicanconf.py").write_text(BASELINE_CONF, encoding="utf-8")
    return written


BASELINE_CONF = '''"""Benchmark baseline: plain Pelican, default theme (notmyidea), no plugins."""
AUTHOR = "Δήμος Νέας Σμύρνης"
SITENAME = "Διαβούλευση"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Athens"
DEFAULT_LANG = "el"
PLUGINS = []
RELATIVE_URLS = True
FEED_ALL_ATOM = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
CACHE_CONTENT = LOAD_CONTENT_CACHE = False
'''
