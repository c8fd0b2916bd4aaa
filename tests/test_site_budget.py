"""The weight budget: a text page with 50 comments, with all it loads (stylesheets, script,
emblem, icon), ≤ 30 KB gzip."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from site_support import page

from chalicelib.sitebuild import build_site

FIXTURE = Path(__file__).parent / "fixtures" / "site"
TEXT = "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/"
BUDGET_BYTES = 30 * 1024
WORDS = [
    "πλατεία",
    "δέντρα",
    "σκιά",
    "φωτισμός",
    "παιδιά",
    "ποδήλατο",
    "πεζόδρομος",
    "στάθμευση",
    "θόρυβος",
    "καθαριότητα",
]


def snapshot_with_comments(n: int) -> dict:
    paragraphs = ["eisagogi", None, None, "eisagogi", None]
    comments = []
    for i in range(n):
        body = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(45))  # ~350 characters
        comments.append(
            {
                "id": f"01jbudget{i:017d}",
                "reference": f"NS-B{i:05d}",
                "consultation": "prasino-kai-evangelistria",
                "text": "anaplasi-plateias",
                "proposal": None,
                "paragraph": paragraphs[i % 5],
                "parent": f"01jbudget{i - 1:017d}" if i % 4 == 3 else None,
                "author": {
                    "respondent_type": "citizen",
                    "display_name": f"Πολίτης {i}",
                    "organisation_name": None,
                    "organisation_type": None,
                },
                "body": body,
                "created_at": "2026-11-20T10:00:00Z",
                "approved_at": "2026-11-21T10:00:00Z",
            }
        )
    return {
        "schema_version": 1,
        "generated_at": "2026-11-26T09:00:00Z",
        "comments": comments,
        "proposals": [],
    }


def test_text_page_with_50_comments_fits_the_budget(tmp_path: Path, root: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(snapshot_with_comments(50)), encoding="utf-8")
    output = tmp_path / "out"
    now = datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Europe/Athens"))
    api = "http://api.test"
    build_site(root, output, snapshot=snapshot, api_url=api, content=FIXTURE / "content", now=now)
    doc = page(output, TEXT)
    assert len(doc.find_all("div", cls="comment")) == 50
    # Everything a browser fetches for the page: its stylesheets (print.css too: browsers fetch
    # it), scripts, images and the icon of its tab (the SVG emblem, already fetched for the
    # header; favicon.ico); each file once.
    links = [
        link.get("href")
        for link in doc.find_all("link")
        if {"stylesheet", "icon"} & set((link.get("rel") or "").split())
    ]
    sources = [n.get("src") for n in doc.find_all() if n.tag in ("script", "img") and n.get("src")]
    files = sorted({(output / TEXT / url).resolve() for url in [*links, *sources]})
    names = {f.name for f in files}
    assert names == {"govgr.css", "site.css", "print.css", "forms.js", "emblem.svg", "favicon.ico"}
    files.insert(0, output / TEXT / "index.html")
    total = sum(len(gzip.compress(f.read_bytes(), compresslevel=6)) for f in files)
    print(f"text page with 50 comments: {total} bytes gzip")
    assert total <= BUDGET_BYTES, f"{total} bytes gzip"
