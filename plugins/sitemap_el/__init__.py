"""/sitemap.xml of the public pages and /robots.txt, from what the build wrote.

A build that lists its files (chalicelib.sitebuild, ``SITEMAP_FROM_LIST``) writes them from that
list, after Pelican: at ten times the 1× site a walk of its 21,000 pages of its own cost 0.2 s
a publish. Pelican run on its own writes them when it finishes, from a walk of the output.
"""

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pelican import Pelican, signals

from chalicelib import pagefind_cli, tree
from plugins.consultations import urls

logger = logging.getLogger(__name__)

FROM_LIST = "SITEMAP_FROM_LIST"  # the setting: the build writes them from its list of files
FILES = ("sitemap.xml", "robots.txt")


def public_pages(
    pages: Iterable[str], excluded: tuple[str, ...] = (), unlisted: tuple[re.Pattern[str], ...] = ()
) -> list[str]:
    """Site-relative URLs of the HTML ``pages`` (none of Pagefind's), without ``excluded``
    (staff pages, the error page) and those ``unlisted`` matches (the comment finder:
    noindex)."""
    found = []
    for rel in sorted(rel for rel in pages if rel.endswith(".html")):
        if rel.startswith(excluded):
            continue
        url = rel.removesuffix("index.html")
        if not any(pattern.match(url) for pattern in unlisted):
            found.append(url)
    return found


def write(output: Path, settings: dict[str, Any], pages: Iterable[str]) -> tuple[str, ...]:
    """Write the sitemap of ``pages`` (site-relative) and robots.txt; the files written."""
    site_url = settings.get("SITEURL", "").rstrip("/")
    staff = urls.url(settings, "MODERATION")  # noindex, and no place in the sitemap
    excluded = (staff, settings.get("404_SAVE_AS") or "404.html")
    finder = urls.matcher(settings, "COMMENT_FIND")  # where e-mails land: noindex
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    lines += [
        f"<url><loc>{escape(f'{site_url}/{url}')}</loc></url>"
        for url in public_pages(pages, excluded, (finder,))
    ]
    lines.append("</urlset>")
    sitemap, robots = FILES
    (output / sitemap).write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = f"User-agent: *\nDisallow: /{staff}\nSitemap: {site_url}/{sitemap}\n"
    (output / robots).write_text(text, encoding="utf-8")
    logger.info("Sitemap: %d pages", len(lines) - 3)
    return FILES


def write_sitemap(pelican: Pelican) -> None:
    if pelican.settings.get(FROM_LIST):
        return
    output = Path(pelican.output_path)
    walked = tree.files(output, frozenset({pagefind_cli.ROOT}))  # not Pagefind's files
    write(output, pelican.settings, (rel for rel, _ in walked))


def register() -> None:
    signals.finalized.connect(write_sitemap)


__all__ = ["register"]
