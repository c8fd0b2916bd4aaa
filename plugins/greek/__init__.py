"""Greek for Pelican: ELOT 743 slugs for pages and Babel date and number filters for the theme."""

import logging

from pelican import signals
from pelican.contents import Content
from pelican.generators import Generator

from .dates import euros, greek_count, greek_date, greek_datetime, iso
from .elot743 import slugify

logger = logging.getLogger(__name__)

FILTERS = {
    "greek_date": greek_date,
    "greek_datetime": greek_datetime,
    "isodate": iso,
    "euros": euros,
    "greek_count": greek_count,
}


def reslug(content: Content) -> None:
    """Pelican has no slugify hook: replace its unidecode slug unless staff wrote one."""
    if "slug" not in content.metadata and getattr(content, "title", None):
        content.slug = slugify(content.title)
        logger.debug("ELOT 743 slug %s for %s", content.slug, content.source_path)


def add_filters(generator: Generator) -> None:
    generator.env.filters.update(FILTERS)


def register() -> None:
    signals.content_object_init.connect(reslug)
    signals.generator_init.connect(add_filters)
