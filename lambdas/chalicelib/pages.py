"""The HTML pages the API itself serves to browsers (the private link, the subscription and
unsubscribe buttons, their answers), from ``templates/pages/``.

They wear the site's own stylesheet and header so a citizen who follows a link from an e-mail
lands on something that looks like the site, and they hold no JavaScript: every action is a
plain form that posts back (chalicelib.follow, chalicelib.subscriptions). The API's
Content-Security-Policy allows styles from the site only, so no inline style either: what must
not rest on colour alone (a destructive button, an error) is said in words.

Jinja2 and Babel load on the first page, not on import (the API's cold start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import letters
from chalicelib.links import Links

HOME = "Αρχική σελίδα της διαβούλευσης"

TONES = ("info", "success", "error")
FOLLOW_STATES = ("pending", "approved", "published", "not_published", "hidden", "withdrawn")
DESTRUCTIVE = frozenset({"withdraw", "erase"})  # cannot be undone: marked as such

_REQUIRED: dict[str, tuple[str, ...]] = {
    "message": ("site_name", "site_url", "title"),
    "confirm": ("site_name", "site_url", "title", "action_url", "button"),
    "follow": ("site_name", "site_url", "reference", "kind_label", "status_label", "state"),
    "form": ("site_name", "site_url", "title", "kind", "consultation", "form", "LIMITS"),
    "received": ("site_name", "site_url", "title", "reference"),
}
_OPTIONAL: dict[str, dict[str, Any]] = {
    "message": {"paragraphs": [], "links": [], "tone": "info", "kept": ""},
    "form": {"paragraphs": [], "target_name": "text", "target_id": "", "form_paragraphs": []},
    "received": {"steps": [], "links": []},
    "confirm": {"paragraphs": [], "hidden": {}},
    "follow": {
        "explanation": "",
        "public_url": None,
        "reason_label": None,
        "resubmit_url": None,
        "answer": None,
        "consultation_title": "",
        "target_title": None,
        "paragraph": None,
        "held": [],
        "retention": "",
        "flash": None,
        "actions": [],
        "action_url": "",
    },
}
NAMES = frozenset(_REQUIRED)


def render(name: str, data: Mapping[str, Any]) -> str:
    """The full HTML document of page ``name`` (ValueError for an unknown name or bad data)."""
    if name not in NAMES:
        raise ValueError(f"unknown page: {name!r}")
    missing = [key for key in _REQUIRED[name] if data.get(key) in (None, "")]
    if missing:
        raise ValueError(f"page {name!r} lacks {', '.join(missing)}")
    context: dict[str, Any] = {**_OPTIONAL[name], **data}
    context["site_url"] = str(context["site_url"]).rstrip("/")
    if name == "message" and context["tone"] not in TONES:
        raise ValueError(f"message tone: {context['tone']!r}")
    if name == "follow":
        _follow(context)
    template = letters.environment("pages", html=True).get_template(f"{name}.html")
    return str(template.render(context))


def message(
    links: Links,
    title: str,
    paragraphs: list[str],
    tone: str,
    more: list[dict[str, str]] | None = None,
    kept: str = "",
) -> str:
    """The ``message`` page of this site: ``more`` links, then the site's home; ``kept`` is
    text a person wrote that could not be accepted, shown to copy."""
    home = {"href": links.site_url + "/", "label": HOME}
    data = {
        **links.frame(),
        "title": title,
        "paragraphs": paragraphs,
        "links": [*(more or []), home],
        "tone": tone,
        "kept": kept,
    }
    return render("message", data)


def _follow(context: dict[str, Any]) -> None:
    if context["state"] not in FOLLOW_STATES:
        raise ValueError(f"follow state: {context['state']!r}")
    flash = context["flash"]
    if flash and flash.get("tone", "info") not in TONES:
        raise ValueError(f"flash tone: {flash.get('tone')!r}")
    context["actions"] = [
        {"description": "", **action, "destructive": action["action"] in DESTRUCTIVE}
        for action in context["actions"]
    ]
    if context["answer"]:
        context["answer"] = {"disposition_label": "", "answered_at": None, **context["answer"]}
