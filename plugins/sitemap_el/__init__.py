"""/sitemap.xml of the public pages and /robots.txt, from what the build wrote."""

import logging
import re
from pathlib import Path
from xml.sax.saxutils import escape

from pelican import Pelican, signals

from chalicelib import search_bundles, tree
from plugins.consultations import urls

logger = logging.getLogger(__name__)


def public_pages(
    output: Path, excluded: tuple[str, ...] = (), unlisted: tuple[re.Pattern[str], ...] = ()
) -> list[str]:
    """Site-relative URLs of the HTML pages, without ``excluded`` (staff pages, the error page),
    those ``unlisted`` matches (the comment finder: noindex) and Pagefind's."""
    pages = []
    walked = tree.files(output, frozenset({search_bundles.ROOT}))  # not Pagefind's 20,000 files
    for rel in sorted(rel for rel, _ in walked if rel.endswith(".html")):
        if rel.startswith(excluded):
            continue
        url = rel.removesuffix("index.html")
        if not any(pattern.match(url) for pattern in unlisted):
            pages.append(url)
    return pages


def write_sitemap(pelican: Pelican) -> None:
    output = Path(pelican.output_path)
    site_url = pelican.settings.get("SITEURL", "").rstrip("/")
    staff = urls.url(pelican.settings, "MODERATION")  # noindex, and no place in the sitemap
    excluded = (staff, pelican.settings.get("404_SAVE_AS") or "404.html")
    finder = urls.matcher(pelican.settings, "COMMENT_FIND")  # where e-mails land: noindex
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    lines += [
        f"<url><loc>{escape(f'{site_url}/{url}')}</loc></url>"
        for url in public_pages(output, excluded, (finder,))
    ]
    lines.append("</urlset>")
    (output / "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    robots = f"User-agent: *\nDisallow: /{staff}\nSitemap: {site_url}/sitemap.xml\n"
    (output / "robots.txt").write_text(robots, encoding="utf-8")
    logger.info("Sitemap: %d pages", len(lines) - 3)


def register() -> None:
    signals.finalized.connect(write_sitemap)


__all__ = ["register"]
