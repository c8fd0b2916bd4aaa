"""The words of every e-mail the platform sends (chalicelib.outbox composes, this renders).

One template pair per kind under ``templates/mail/`` (``<kind>.txt``, ``<kind>.html``, sharing
``_base.*``); the subject is the ``subject`` block of the text template, so the words of a letter
live in one place. The HTML part is autoescaped; the text part is not, so control characters are
stripped from every interpolated value (a name with a CR/LF or an escape sequence cannot forge a
line or recolour a terminal), and the subject is one line that never holds submitted text.

Jinja2 and Babel load on the first letter, not on import: the API's cold start does not pay for
the sender's words. ``environment`` and the date filters serve chalicelib.pages too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib import clock

if TYPE_CHECKING:
    import jinja2

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"

# C0 and C1 controls and DEL, but not tab and newline; CR is turned into a newline first.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n{3,}")

# The same sentence, said of a comment (neuter) or a proposal (feminine).
WORDS: dict[str, dict[str, str]] = {
    "comment": {
        "the": "το σχόλιό σας",
        "The": "Το σχόλιό σας",
        "nom": "το σχόλιό σας",
        "for": "για το σχόλιό σας",
        "to": "στο σχόλιό σας",
        "it": "το",
        "noun": "σχόλιο",
        "new": "νέο σχόλιο",
    },
    "proposal": {
        "the": "την πρότασή σας",
        "The": "Η πρότασή σας",
        "nom": "η πρότασή σας",
        "for": "για την πρότασή σας",
        "to": "στην πρότασή σας",
        "it": "την",
        "noun": "πρόταση",
        "new": "νέα πρόταση",
    },
}

# Each kind's data (docs: /tmp design, chalicelib.outbox): required keys, then optional ones.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "receipt": ("site_name", "reference", "kind", "consultation_title", "body", "follow_url"),
    "notice": ("site_name", "events", "unsubscribe_url"),
    "confirm": ("site_name", "consultation_title", "confirm_url", "expires_days"),
    "announce": ("site_name", "event", "consultation_title", "consultation_url", "unsubscribe_url"),
    "digest": ("site_name", "moderation_url", "generated_at"),
    "support_confirm": (
        "site_name",
        "consultation_title",
        "item_kind",
        "confirm_url",
        "expires_days",
    ),
}
_OPTIONAL: dict[str, dict[str, Any]] = {
    "receipt": dict.fromkeys(
        (
            "site_url",
            "consultation_url",
            "target_title",
            "paragraph",
            "title",
            "created_at",
            "closes_at",
        )
    ),
    "notice": {"site_url": None},
    "confirm": {"consultation_url": None},
    "announce": {"closes_at": None, "results_url": None, "days_left": None},
    "digest": {
        "wait_hours": 48,
        "consultations": [],
        "oldest": None,
        "overdue_total": 0,
        "left_out": [],
        "failed_mail": 0,
    },
    "support_confirm": dict.fromkeys(("reference", "item_title", "excerpt", "item_url")),
}
KINDS = frozenset(_REQUIRED)
NOTICE_EVENTS = ("published", "not_published", "answered", "report")
ANNOUNCE_EVENTS = ("opened", "closing", "report")
EVENT_KEYS = (  # what a notice's event carries (chalicelib.notices fills them)
    "reference",
    "kind",
    "redacted",
    "consultation_title",
    "url",
    "reason_label",
    "disposition_label",
    "answer_text",
)


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str


def render(kind: str, data: Mapping[str, Any]) -> Letter:
    """The letter of ``kind`` for ``data`` (ValueError for an unknown kind or missing data)."""
    if kind not in KINDS:
        raise ValueError(f"unknown letter kind: {kind!r}")
    context = _context(kind, data)
    text_template = environment("mail", html=False).get_template(f"{kind}.txt")
    subject_block = text_template.blocks["subject"]
    subject = one_line("".join(subject_block(text_template.new_context(context))))
    context["subject"] = subject
    text = _tidy(text_template.render(context))
    html = environment("mail", html=True).get_template(f"{kind}.html").render(context)
    return Letter(subject, text, html)


def _context(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in _REQUIRED[kind] if data.get(key) in (None, "")]
    if missing:
        raise ValueError(f"letter {kind!r} lacks {', '.join(missing)}")
    context: dict[str, Any] = {**_OPTIONAL[kind], **data}
    if kind == "receipt":
        context["w"] = WORDS.get(str(context["kind"]), WORDS["comment"])
    elif kind == "notice":
        events = [{**dict.fromkeys(EVENT_KEYS), **event} for event in context["events"]]
        unknown = {e.get("event") for e in events} - set(NOTICE_EVENTS)
        if unknown or not events:
            raise ValueError(f"notice events: {unknown or 'none'}")
        context["events"] = events
        context["words"] = WORDS
        titles = {e["consultation_title"] for e in events}
        context["one_consultation"] = titles.pop() if len(titles) == 1 else None
    elif kind == "announce":
        if context["event"] not in ANNOUNCE_EVENTS:
            raise ValueError(f"announce event: {context['event']!r}")
        if context["days_left"] is None and context["closes_at"]:
            context["days_left"] = days_until(context["closes_at"])
        elif context["days_left"] is not None:
            context["days_left"] = int(context["days_left"])
    elif kind == "support_confirm":
        if context["item_kind"] not in WORDS:
            raise ValueError(f"support of a {context['item_kind']!r}")
    elif kind == "digest":
        context["consultations"] = [
            {**dict.fromkeys(("title", "pending", "oldest_at", "overdue")), **c}
            for c in context["consultations"]
        ]
        context["left_out"] = [{"id": "", "why": "", **x} for x in context["left_out"]]
        if context["oldest"]:
            keys = ("reference", "consultation_title", "created_at")
            context["oldest"] = {**dict.fromkeys(keys), **context["oldest"]}
        context["pending_total"] = sum(int(c.get("pending") or 0) for c in context["consultations"])
    return context


# ---------------------------------------------------------------- shared with chalicelib.pages


def clean(value: str) -> str:
    """Text without control characters (newlines and tabs stay; CR becomes a newline)."""
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def excerpt(value: str | None, chars: int = 200) -> str:
    """The start of a published text on one line (a support's letter and pages): whole words,
    with «…» when cut."""
    flat = " ".join(clean(value or "").split())
    if len(flat) <= chars:
        return flat
    return flat[:chars].rsplit(" ", 1)[0].rstrip(",.;:·") + "…"


def one_line(value: str) -> str:
    """A header's worth of text: every run of whitespace or control characters is one space."""
    return " ".join(_CONTROLS.sub(" ", value).split())


def moment(value: datetime | str) -> datetime:
    """A stored UTC stamp (``...Z``) or a datetime as an aware datetime (naive means UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def when(value: datetime | str | None) -> str:
    """``26 Νοεμβρίου 2026, 14:30``, in Athens, as the site shows dates."""
    if not value:
        return ""
    from babel.dates import format_datetime

    return format_datetime(moment(value), "d MMMM y, HH:mm", tzinfo=clock.ATHENS, locale="el")


def day(value: datetime | str | None) -> str:
    """``26 Νοεμβρίου 2026``, the Athens day."""
    if not value:
        return ""
    from babel.dates import format_date

    return format_date(moment(value).astimezone(clock.ATHENS), "d MMMM y", locale="el")


def machine(value: datetime | str | None) -> str:
    """The value of ``<time datetime>``: Athens time with its offset, to the minute."""
    return moment(value).astimezone(clock.ATHENS).isoformat(timespec="minutes") if value else ""


def days_until(value: datetime | str) -> int:
    """Whole Athens calendar days from today to the day of ``value`` (0: today)."""
    target = moment(value).astimezone(clock.ATHENS).date()
    return (target - clock.now().astimezone(clock.ATHENS).date()).days


def number(value: Any) -> str:
    """A count as people read it: DynamoDB's Decimal 3 is ``3``, thousands with a dot."""
    if isinstance(value, Decimal | float) and value == int(value):
        value = int(value)
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def href(value: str) -> str:
    """A link's target: only http(s), mailto or a relative reference; anything else is a bug
    upstream and must not reach a person (a ``javascript:`` link in a letter or a page)."""
    scheme = urlsplit(str(value)).scheme.lower()
    if scheme not in ("", "http", "https", "mailto"):
        raise ValueError(f"refusing a {scheme!r} link")
    return str(value)


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}``: None prints nothing, text loses its control characters (markup that a
    template built, such as ``paras``, is already clean and escaped)."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Decimal):
        return number(value)
    return value


def _paras(value: str | None) -> Any:
    """Text as HTML paragraphs: blank lines part them, single newlines become ``<br>``."""
    from markupsafe import Markup, escape

    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", clean(value or "").strip())]
    return Markup("\n").join(
        Markup("<p>%s</p>") % Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        for block in blocks
        if block
    )


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


FILTERS: dict[str, Callable[..., Any]] = {
    "when": when,
    "day": day,
    "machine": machine,
    "number": number,
    "href": href,
    "one_line": one_line,
}


@cache
def environment(folder: str, *, html: bool) -> jinja2.Environment:
    """The Jinja2 environment of ``templates/<folder>``: autoescaped for HTML, not for text."""
    import jinja2

    env = jinja2.Environment(
        # The pages also reach the macros they share with the site (templates/shared).
        loader=jinja2.FileSystemLoader([TEMPLATES / folder, TEMPLATES / "shared"]),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    env.filters["paras"] = _paras
    return env
