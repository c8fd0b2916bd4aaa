"""Every page stays light whatever the counts: comment pages with the longest comments and
many replies, the text page with 50 comments (still shown on it), and at ten times the
benchmark's scale (30 consultations, 600 texts, 15,000 proposals) the catalogue; a
consultation's proposals list in pages: tests/test_site_proposal_pages.py. Budget: 100 KiB
gzip with the stylesheets and scripts a page loads (scripts/bench.py page_weight), the issue's
bound; sizes, not times."""

from __future__ import annotations

import gzip
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from site_support import FIXTURE_NOW, FIXTURE_SITE, page
from test_site_comment_pages import OVERFLOW, PARAGRAPH, Site, comment, is_comment, site_setting

from plugins.consultations.models import Author, Consultation, Proposal, Text

LIMIT = 100 * 1024
STATIC = ("theme/css/govgr.css", "theme/css/site.css", "theme/css/print.css")


# --- comment pages ------------------------------------------------------------------------------
def weight(output: Path, url: str) -> int:
    """gzip bytes of the page and the stylesheets it loads (as scripts/bench.py counts)."""
    html = (output / url / "index.html").read_bytes()
    total = len(gzip.compress(html, 9))
    for name in ("govgr.css", "site.css", "print.css"):
        total += len(gzip.compress((output / "theme" / "css" / name).read_bytes(), 9))
    return total


def test_comment_pages_stay_light_whatever_the_comments(root: Path, tmp_path: Path) -> None:
    """Long comments (the longest the form takes) with long answers, and many replies: the
    settings' limits keep every page under 100 KiB gzip, with what it loads."""
    site = Site(root, tmp_path)
    rng = random.Random(13)
    longest = 5000  # limits.json fields.body.max
    letters = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"

    def prose(longest: int = longest) -> str:  # random words: compress worse than prose
        words: list[str] = []
        while len(" ".join(words)) < longest:
            words.append("".join(rng.choice(letters) for _ in range(rng.randint(2, 11))))
        return " ".join(words)[: longest - 1] + "."

    answer = {"disposition": "partly", "answered_at": "2026-11-25T10:00:00Z"}  # ≤ 2000

    data = json.loads((FIXTURE_SITE / "snapshot.json").read_text(encoding="utf-8"))
    for n in range(1, 180):
        item = comment(n, paragraph=PARAGRAPH, body=prose())
        if n % 3:
            item["answer"] = answer | {"text": prose(2000)}
        data["comments"].append(item)
    for n in range(200, 420):  # short comments, many replies to the first ones
        parent = f"01jpage{rng.randint(1, 12):019d}" if n % 2 else None
        data["comments"].append(comment(n, paragraph=None if parent else PARAGRAPH, parent=parent))
    site.build(data)
    limit = 100 * 1024
    pages = site.comment_pages()
    assert len(pages) >= 5
    heaviest = max(pages, key=lambda url: weight(site.output, url))
    print(f"heaviest comment page: {weight(site.output, heaviest)} bytes gzip ({heaviest})")
    assert weight(site.output, heaviest) <= limit, heaviest
    chars, count = (int(site.settings[f"COMMENTS_{k}"]) for k in ("PAGE_CHARS", "PER_PAGE"))
    where = site.where()
    for url, doc in pages.items():
        shown = [c for c in data["comments"] if where[c["id"]] == url]
        size = sum(len(c["body"]) + len((c.get("answer") or {}).get("text", "")) for c in shown)
        threads = [li for li in doc.iter() if is_comment(li) and li.parent.parent.tag != "li"]
        assert (size <= chars and len(shown) <= OVERFLOW * count) or len(threads) == 1, url


def test_the_50_comment_text_page_still_shows_them(root: Path, tmp_path: Path) -> None:
    from test_site_budget import snapshot_with_comments

    site = Site(root, tmp_path)
    site.build(snapshot_with_comments(int(site_setting(root, "COMMENTS_INLINE"))))
    text = page(site.output, "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/")
    assert len(text.find_all("div", cls="comment")) == 50
    assert not text.find_all("a", cls="para-comments")


# --- lists at ten times the scale ---------------------------------------------------------------
def _environment(root: Path) -> tuple[Any, dict[str, Any]]:
    """The theme's templates with the site's filters, and the settings as their context, the
    way Pelican's generators render them (no build: 15,000 proposal pages are not needed)."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader
    from pelican.settings import read_settings

    from plugins.greek import FILTERS

    settings = read_settings(str(root / "pelicanconf.py"))
    paths = [*settings["THEME_TEMPLATES_OVERRIDES"], str(root / "theme" / "templates")]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(paths)]), **settings["JINJA_ENVIRONMENT"]
    )
    env.filters.update(FILTERS)
    context = {**settings, "pages": [], "SITEURL": "", "WITHDRAWN_LABEL": "", "REDACTED_LABEL": ""}
    return env, context


WORDS = ("πλατεία", "δέντρα", "σκιά", "φωτισμός", "παιδιά", "ποδήλατο", "πεζόδρομος", "νερό")


def _scale(consultations: int = 30, texts: int = 20, proposals: int = 500) -> list[Consultation]:
    """A synthetic model at that scale: as the templates see it after a build."""
    rng = random.Random(10)
    now = datetime.fromisoformat(FIXTURE_NOW)

    def said(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    made = []
    for i in range(consultations):
        slug = f"diavoulefsi-{i:02d}"
        base = f"diavoulefseis/{slug}/"
        year = timedelta(days=365)
        cons = Consultation(
            slug, f"Διαβούλευση {i}: {said(4)}", said(12), "Περιβάλλον", now - year, now + year,
            i, "", "", base, proposals_url=base + "protaseis/",
        )  # fmt: skip
        cons.set_state(now)
        for t in range(texts):
            url = f"{base}keimeno-{t}/"
            text = Text(f"keimeno-{t}", said(6), "project", "Έργο", t, "", [], "", url)
            text.comments = [None] * rng.randint(0, 2000)  # type: ignore[list-item]
            cons.texts.append(text)
        for p in range(proposals):
            name = f"Πολίτης {rng.randint(1, 9999)}"
            author = Author("citizen", name, None, None, name, "")
            cons.proposals.append(
                Proposal(
                    f"01jscale{i:02d}{p:016d}",
                    f"NS-{p:06d}",
                    said(8),
                    said(90),
                    said(3),
                    author,
                    "2026-11-20T10:00:00Z",
                    "2026-11-21T10:00:00Z",
                    url=f"{base}protaseis/{p}/",
                )
            )
        made.append(cons)
    return made


def _weight(root: Path, html: str, scripts: tuple[str, ...] = ()) -> int:
    total = len(gzip.compress(html.encode("utf-8"), 9))
    for name in (*STATIC, *scripts):
        asset = root / "theme" / "static" / name.removeprefix("theme/")
        total += len(gzip.compress(asset.read_bytes(), 9))
    return total


def test_the_catalogue_stays_light_at_ten_times_the_scale(root: Path) -> None:
    env, context = _environment(root)
    consultations = _scale()
    html = env.get_template("catalogue.html").render({**context, "consultations": consultations})
    assert html.count("/keimeno-") == 600  # every text, linked
    assert html.count('/protaseis/"') == 30  # each consultation's proposals: their list
    assert _weight(root, html) <= LIMIT
