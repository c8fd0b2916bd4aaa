"""Reads content/consultations/<folder>/ with Pelican's own Markdown reader into the model,
validating as it goes: a content mistake stops the build with the file and the field named."""

import copy
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, overload

from pelican.readers import MarkdownReader

from chalicelib import text as cleaner
from chalicelib.clock import ATHENS
from chalicelib.spec import limits
from plugins.greek.elot743 import slugify

from . import urls
from .models import MISSING, Consultation, ContentError, Text
from .paragraphs import DuplicateParagraphId, ParagraphIdExtension

logger = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d %H:%M"
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEFAULT_ORDER = 100
INDEX_FILE = "index.md"  # the consultation itself
REPORT_FILE = "report.md"  # its results report (plugins/results), not a text


def _reader(settings: dict[str, Any], paragraph_ids: bool) -> MarkdownReader:
    """Pelican's reader, with paragraph ids for texts and the summary kept as plain text."""
    own = copy.copy(settings)
    own["MARKDOWN"] = copy.deepcopy(settings["MARKDOWN"])
    own["FORMATTED_FIELDS"] = []
    if paragraph_ids:
        own["MARKDOWN"].setdefault("extensions", []).append(ParagraphIdExtension())
    return MarkdownReader(own)


def _clean(source: str, name: str, value: str) -> str:
    """Staff text through the one cleaner: invisible characters go, what can never be text
    (noncharacters, control characters) stops the build with the file and the field named."""
    try:
        return cleaner.clean_field(name.lower(), value)
    except cleaner.TextError as exc:
        raise ContentError(source, name, exc.reason) from None


def _required(meta: dict[str, Any], source: str, name: str) -> str:
    value = _clean(source, name, str(meta.get(name.lower(), "")))
    if not value:
        raise ContentError(source, name, MISSING)
    return value


@overload
def _integer(meta: dict[str, Any], source: str, name: str, default: int) -> int: ...
@overload
def _integer(meta: dict[str, Any], source: str, name: str, default: None) -> int | None: ...
def _integer(meta: dict[str, Any], source: str, name: str, default: int | None) -> int | None:
    raw = str(meta.get(name.lower(), "")).strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ContentError(source, name, f"«{raw}» δεν είναι ακέραιος αριθμός") from None


def _date(meta: dict[str, Any], source: str, name: str) -> datetime:
    raw = _required(meta, source, name)
    try:
        return datetime.strptime(raw, DATE_FORMAT).replace(tzinfo=ATHENS)
    except ValueError:
        raise ContentError(
            source, name, f"«{raw}» δεν είναι ημερομηνία της μορφής ΕΕΕΕ-ΜΜ-ΗΗ ΩΩ:ΛΛ"
        ) from None


def _slug(meta: dict[str, Any], source: str, title: str) -> str:
    slug = str(meta.get("slug") or slugify(title))
    if not SLUG_RE.match(slug):
        raise ContentError(source, "Slug", f"«{slug}»: μόνο λατινικά πεζά, ψηφία και παύλες")
    return slug


def _optional(meta: dict[str, Any], source: str, name: str) -> str | None:
    value = _clean(source, name, str(meta.get(name, "")))
    return value or None


def _source(path: Path, settings: dict[str, Any]) -> str:
    """The file as staff know it: relative to the content folder."""
    return os.path.relpath(path, settings["PATH"])


def read_text(reader: MarkdownReader, path: Path, consultation: str) -> Text:
    source = _source(path, reader.settings)
    try:
        content, meta = reader.read(str(path))
    except DuplicateParagraphId as exc:
        raise ContentError(source, "id παραγράφου", f"το «{exc}» υπάρχει δύο φορές") from None
    title = _required(meta, source, "Title")
    kind = _required(meta, source, "Kind")
    kinds = limits()["text_kinds"]
    if kind not in kinds:
        raise ContentError(source, "Kind", f"«{kind}»: επιτρέπονται {', '.join(kinds)}")
    slug = _slug(meta, source, title)
    return Text(
        slug=slug,
        title=title,
        kind=kind,
        kind_label=kinds[kind],
        order=_integer(meta, source, "Order", DEFAULT_ORDER),
        content=_clean(source, "content", content),
        paragraphs=list(reader._md.paragraphs),
        source=source,
        url=urls.url(reader.settings, "TEXT", consultation=consultation, slug=slug),
        budget=_integer(meta, source, "Budget", None),
        location=_optional(meta, source, "location"),
        department=_optional(meta, source, "department"),
    )


def read_consultation(settings: dict[str, Any], folder: Path) -> Consultation:
    index = folder / INDEX_FILE
    source = _source(index, settings)
    if not index.is_file():
        raise ContentError(source, "index.md", "λείπει το αρχείο της διαβούλευσης")
    content, meta = _reader(settings, paragraph_ids=False).read(str(index))
    title = _required(meta, source, "Title")
    opens, closes = _date(meta, source, "Opens"), _date(meta, source, "Closes")
    if closes <= opens:
        raise ContentError(source, "Closes", "η λήξη πρέπει να είναι μετά την έναρξη (Opens)")
    slug = _slug(meta, source, title)
    consultation = Consultation(
        slug=slug,
        title=title,
        summary=_required(meta, source, "Summary"),
        theme=_required(meta, source, "Theme"),
        opens=opens,
        closes=closes,
        order=_integer(meta, source, "Order", DEFAULT_ORDER),
        content=_clean(source, "content", content),
        source=source,
        url=urls.url(settings, "CONSULTATION", slug=slug),
        contact=_optional(meta, source, "contact"),
        proposals_url=urls.url(settings, "PROPOSALS", consultation=slug),
        proposal_pattern=urls.proposal_pattern(settings, slug),
        feed_url=urls.url(settings, "CONSULTATION_FEED", slug=slug),
        results_url=urls.url(settings, "RESULTS", consultation=slug),
    )
    reader = _reader(settings, paragraph_ids=True)
    reserved = urls.reserved_slugs(settings)  # e.g. the proposals page's segment
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name in (INDEX_FILE, REPORT_FILE):
            continue
        text = read_text(reader, path, slug)
        if text.slug in seen or text.slug in reserved:
            raise ContentError(
                text.source,
                "Slug",
                f"«{text.slug}» υπάρχει ήδη ({seen.get(text.slug, 'δεσμευμένο')})",
            )
        seen[text.slug] = text.source
        consultation.texts.append(text)
    consultation.texts.sort(key=lambda t: (t.order, t.title))
    return consultation


def read_consultations(settings: dict[str, Any], root: Path) -> list[Consultation]:
    """Every consultation under ``root`` (one folder each), ordered for the home page."""
    consultations: list[Consultation] = []
    seen: dict[str, str] = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        consultation = read_consultation(settings, folder)
        if consultation.slug in seen:
            raise ContentError(
                consultation.source,
                "Slug",
                f"«{consultation.slug}» υπάρχει ήδη ({seen[consultation.slug]})",
            )
        seen[consultation.slug] = consultation.source
        consultations.append(consultation)
        logger.debug("Read consultation %s (%d texts)", consultation.slug, len(consultation.texts))
    consultations.sort(key=lambda c: (c.order, c.opens))
    return consultations
