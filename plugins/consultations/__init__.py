"""Consultations and their texts, from content/consultations/, as pages, feeds and the manifest."""

import re

from pelican import Pelican, signals
from pelican.generators import Generator

from .comment_pages import write_finder
from .generator import ConsultationsGenerator, consultation_pages
from .models import ContentError
from .paragraphs import MARKER

__all__ = ["ConsultationsGenerator", "ContentError", "register"]


_SPLIT = re.compile(rf"<!--{MARKER}([^>]*?)-->")


def paragraph_chunks(html: str) -> list[tuple[str, str | None]]:
    """The text's HTML cut after each paragraph: (html, paragraph id), so that the template can
    put each paragraph's comments right after it."""
    parts = _SPLIT.split(html)
    return [
        (parts[i], parts[i + 1] if i + 1 < len(parts) else None) for i in range(0, len(parts), 2)
    ]


def add_filters(generator: Generator) -> None:
    generator.env.filters["paragraph_chunks"] = paragraph_chunks


def get_generators(pelican: Pelican) -> type[ConsultationsGenerator]:
    return ConsultationsGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
    consultation_pages.connect(write_finder)  # where the e-mails' links to comments land
