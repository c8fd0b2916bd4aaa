"""The consultation's report, written by staff in git: ``content/consultations/<folder>/report.md``.

Markdown with a few metadata fields (``REPORT_FIELDS``): the summary, what enters the
Development Programme and why, the council decision's reference and link. A missing title, an
unknown field or a link that is not https is a content error naming the file and the field, so
that a typo never publishes a half-report. Without the file the results page still shows what
the build can work out and says that the final report is pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from plugins.consultations.models import Consultation, ContentError
from plugins.consultations.reader import (
    REPORT_FILE,
    clean,
    markdown_reader,
    optional,
    required,
    source_of,
)

logger = logging.getLogger(__name__)

# The fields a report may carry (Pelican's reader lower-cases them) and what each is for.
REPORT_FIELDS = {
    "title": "ο τίτλος της έκθεσης (υποχρεωτικό)",
    "summary": "μια σύντομη περίληψη",
    "date": "η ημερομηνία της έκθεσης (ΕΕΕΕ-ΜΜ-ΗΗ)",
    "decision": "ο αριθμός της απόφασης του δημοτικού συμβουλίου",
    "decision_url": "ο σύνδεσμος (https) της απόφασης, π.χ. στη Διαύγεια",
}


@dataclass(frozen=True)
class Report:
    title: str
    content: str  # HTML from the staff's Markdown
    source: str
    summary: str | None = None
    date: date | None = None
    decision: str | None = None
    decision_url: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        return dict(vars(self))


def report_path(settings: dict[str, Any], consultation: Consultation) -> Path:
    """Beside the consultation's index.md."""
    return (Path(settings["PATH"]) / consultation.source).parent / REPORT_FILE


def read_report(settings: dict[str, Any], consultation: Consultation) -> Report | None:
    """The consultation's report, or None when staff have not written it yet."""
    path = report_path(settings, consultation)
    if not path.is_file():
        return None
    source = source_of(path, settings)
    try:
        content, meta = markdown_reader(settings, paragraph_ids=False).read(str(path))
    except ValueError as exc:  # of the report's fields, Pelican itself parses only Date
        raise ContentError(source, "Date", f"δεν είναι ημερομηνία ΕΕΕΕ-ΜΜ-ΗΗ ({exc})") from None
    unknown = sorted(set(meta) - set(REPORT_FIELDS))
    if unknown:
        allowed = ", ".join(name.capitalize() for name in REPORT_FIELDS)
        problem = f"άγνωστο πεδίο (επιτρέπονται: {allowed})"
        raise ContentError(source, unknown[0].capitalize(), problem)
    link = optional(meta, source, "decision_url")
    if link is not None and not link.startswith("https://"):
        raise ContentError(source, "Decision_url", f"«{link}»: χρειάζεται σύνδεσμος https://")
    report = Report(
        title=required(meta, source, "Title"),
        content=clean(source, "content", content),
        source=source,
        summary=optional(meta, source, "summary"),
        date=_date(meta.get("date"), source),
        decision=optional(meta, source, "decision"),
        decision_url=link,
    )
    logger.debug("Report of %s read from %s", consultation.slug, source)
    return report


def _date(value: Any, source: str) -> date | None:
    """Pelican parses ``Date`` itself; a value it could not parse reaches us as text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ContentError(
            source, "Date", f"«{value}» δεν είναι ημερομηνία της μορφής ΕΕΕΕ-ΜΜ-ΗΗ"
        ) from None
