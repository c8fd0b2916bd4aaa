"""Reads content/consultations/<folder>/ with Pelican's own Markdown reader into the model,
validating as it goes: a content mistake stops the build with the file and the field named."""

import copy
import logging
import os
import pickle
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, overload

from pelican.readers import MarkdownReader

from chalicelib import text as cleaner
from chalicelib.clock import ATHENS
from chalicelib.sources import code_digest, tree_digest
from chalicelib.spec import limits
from plugins.greek.elot743 import slugify

from . import urls
from .models import MISSING, Consultation, ContentError, Text
from .paragraphs import DuplicateParagraphId, Paragraph, ParagraphIdExtension
from .render_state import digest, settings_digest

logger = logging.getLogger(__name__)

DATE_FORMAT = "%Y-%m-%d %H:%M"
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEFAULT_ORDER = 100
INDEX_FILE = "index.md"  # the consultation itself
REPORT_FILE = "report.md"  # its results report (plugins/results), not a text
CONSULTED = "Consulted"  # names the text as consulted, frozen by scripts/freeze.py


def markdown_reader(settings: dict[str, Any], paragraph_ids: bool) -> MarkdownReader:
    """Pelican's reader, with paragraph ids for texts and the summary kept as plain text."""
    own = copy.copy(settings)
    own["MARKDOWN"] = copy.deepcopy(settings["MARKDOWN"])
    own["FORMATTED_FIELDS"] = []
    if paragraph_ids:
        own["MARKDOWN"].setdefault("extensions", []).append(ParagraphIdExtension())
    return MarkdownReader(own)


def clean(source: str, name: str, value: str) -> str:
    """Staff text through the one cleaner: invisible characters go, what can never be text
    (noncharacters, control characters) stops the build with the file and the field named."""
    try:
        return cleaner.clean_field(name.lower(), value)
    except cleaner.TextError as exc:
        raise ContentError(source, name, exc.reason) from None


def required(meta: dict[str, Any], source: str, name: str) -> str:
    value = clean(source, name, str(meta.get(name.lower(), "")))
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
    raw = required(meta, source, name)
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


def optional(meta: dict[str, Any], source: str, name: str) -> str | None:
    value = clean(source, name, str(meta.get(name, "")))
    return value or None


def source_of(path: Path, settings: dict[str, Any]) -> str:
    """The file as staff know it: relative to the content folder."""
    return os.path.relpath(path, settings["PATH"])


def _paragraphs(
    reader: MarkdownReader, path: Path, source: str
) -> tuple[str, dict[str, Any], list[Paragraph]]:
    """Content, metadata and paragraphs (with their ids) of one Markdown file; the paragraphs'
    plain text through the cleaner like the content (the results page shows it)."""
    try:
        content, meta = reader.read(str(path))
    except DuplicateParagraphId as exc:
        raise ContentError(source, "id παραγράφου", f"το «{exc}» υπάρχει δύο φορές") from None
    paragraphs = [
        replace(
            p, text=clean(source, "content", p.text), excerpt=clean(source, "content", p.excerpt)
        )
        for p in reader._md.paragraphs
    ]
    return content, meta, paragraphs


def _consulted(
    reader: MarkdownReader, path: Path, source: str, meta: dict[str, Any]
) -> tuple[list[Paragraph], str] | tuple[None, None]:
    """The text as consulted: the file its ``Consulted`` field names, inside its consultation's
    folder, read like a text (same paragraph ids for unchanged paragraphs). None: not frozen."""
    raw = clean(source, CONSULTED, str(meta.get(CONSULTED.lower(), "")))
    if not raw:
        return None, None
    folder = path.parent
    relative = PurePosixPath(raw)
    target = folder / relative
    if (
        relative.is_absolute()
        or ".." in relative.parts
        or relative.suffix != ".md"
        or not target.resolve().is_relative_to(folder.resolve())
    ):
        raise ContentError(
            source,
            CONSULTED,
            f"«{raw}»: πρέπει να είναι αρχείο .md μέσα στον φάκελο της διαβούλευσης "
            f"(π.χ. consulted/{path.name})",
        )
    if target.resolve() == path.resolve():
        raise ContentError(source, CONSULTED, f"«{raw}» είναι το ίδιο το κείμενο")
    if not target.is_file():
        raise ContentError(
            source,
            CONSULTED,
            f"δεν βρέθηκε το αρχείο {raw} (η εκδοχή του κειμένου όπως τέθηκε σε διαβούλευση)",
        )
    consulted_source = source_of(target, reader.settings)
    return _paragraphs(reader, target, consulted_source)[2], consulted_source


def read_text(reader: MarkdownReader, path: Path, consultation: str) -> Text:
    source = source_of(path, reader.settings)
    content, meta, paragraphs = _paragraphs(reader, path, source)
    title = required(meta, source, "Title")
    kind = required(meta, source, "Kind")
    kinds = limits()["text_kinds"]
    if kind not in kinds:
        raise ContentError(source, "Kind", f"«{kind}»: επιτρέπονται {', '.join(kinds)}")
    slug = _slug(meta, source, title)
    whole = reader.settings.get("COMMENTS_WHOLE")
    if any(p.id == whole for p in paragraphs):  # the whole text's comment pages are there
        raise ContentError(
            source, "id παραγράφου", f"το «{whole}» δεσμεύεται για τα σχόλια σε όλο το κείμενο"
        )
    consulted, consulted_source = _consulted(reader, path, source, meta)
    return Text(
        slug=slug,
        title=title,
        kind=kind,
        kind_label=kinds[kind],
        order=_integer(meta, source, "Order", DEFAULT_ORDER),
        content=clean(source, "content", content),
        paragraphs=paragraphs,
        source=source,
        url=urls.url(reader.settings, "TEXT", consultation=consultation, slug=slug),
        budget=_integer(meta, source, "Budget", None),
        location=optional(meta, source, "location"),
        department=optional(meta, source, "department"),
        consulted=consulted,
        consulted_source=consulted_source,
    )


def read_consultation(settings: dict[str, Any], folder: Path) -> Consultation:
    index = folder / INDEX_FILE
    source = source_of(index, settings)
    if not index.is_file():
        raise ContentError(source, "index.md", "λείπει το αρχείο της διαβούλευσης")
    content, meta = markdown_reader(settings, paragraph_ids=False).read(str(index))
    title = required(meta, source, "Title")
    opens, closes = _date(meta, source, "Opens"), _date(meta, source, "Closes")
    if closes <= opens:
        raise ContentError(source, "Closes", "η λήξη πρέπει να είναι μετά την έναρξη (Opens)")
    slug = _slug(meta, source, title)
    consultation = Consultation(
        slug=slug,
        title=title,
        summary=required(meta, source, "Summary"),
        theme=required(meta, source, "Theme"),
        opens=opens,
        closes=closes,
        order=_integer(meta, source, "Order", DEFAULT_ORDER),
        content=clean(source, "content", content),
        source=source,
        url=urls.url(settings, "CONSULTATION", slug=slug),
        contact=optional(meta, source, "contact"),
        proposals_url=urls.url(settings, "PROPOSALS", consultation=slug),
        proposal_pattern=urls.proposal_pattern(settings, slug),
        comment_pattern=urls.url(settings, "COMMENT_FIND", consultation=slug, bucket="{bucket}"),
        feed_url=urls.url(settings, "CONSULTATION_FEED", slug=slug),
        results_url=urls.url(settings, "RESULTS", consultation=slug),
    )
    reader = markdown_reader(settings, paragraph_ids=True)
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


def _cached(settings: dict[str, Any], folder: Path, base: str) -> Consultation:
    """The consultation in ``folder``, from the reader's cache when neither its files nor the
    code and settings that read them changed (CONSULTATIONS_CACHE_PATH; none: always read).
    Reading 600 texts' Markdown took seconds of every publish at ten times the site."""
    folder_digest = tree_digest(folder)
    cache_dir = settings.get("CONSULTATIONS_CACHE_PATH")
    cache = Path(cache_dir) / f"{folder.name}.pickle" if cache_dir else None
    key = digest([base, folder_digest, source_of(folder, settings)])
    if cache is not None:
        try:
            found_key, found = pickle.loads(cache.read_bytes())
            if found_key == key and isinstance(found, Consultation):
                return found
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
            pass  # absent or from another version: read the files
    consultation = read_consultation(settings, folder)
    consultation.folder_digest = folder_digest
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps((key, consultation), pickle.HIGHEST_PROTOCOL))
    return consultation


def read_consultations(settings: dict[str, Any], root: Path) -> list[Consultation]:
    """Every consultation under ``root`` (one folder each), ordered for the home page."""
    consultations: list[Consultation] = []
    seen: dict[str, str] = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    base = digest([code_digest(), settings_digest(settings)]) if folders else ""
    for folder in folders:
        consultation = _cached(settings, folder, base)
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
