"""The pages of «Υποστηρίζω» (chalicelib.supports): the form (what is supported, the address,
the consent, the trap), the form again with what was typed after a post that could not be
accepted, «check your e-mail» after one that was, and the confirmation's pages. They wear the
site's frame (templates/pages/_base.html) and need no script; a client that does not ask for
HTML gets the same outcome as JSON (the API's error shape for a refusal).

Every address in these pages is relative to the API's own path (``../supports``, ``sent?…``,
the token) or absolute on the site: the API may sit under a stage prefix it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from chalice import Response

from chalicelib import http, letters, pages
from chalicelib.errors import ApiError
from chalicelib.links import Links
from chalicelib.manifest import Consultation
from chalicelib.spec import limits

# Refusals after which the form comes back, to be corrected or sent again later.
CORRECTABLE = frozenset(
    {"validation", "invalid_type", "unknown_field", "rate_limited", "unavailable"}
)
EXCERPT_CHARS = 240
NOUNS = {
    "comment": ("Σχόλιο", "το σχόλιο", "σχολίου"),
    "proposal": ("Πρόταση", "την πρόταση", "πρότασης"),
}
TITLES = {
    "consultation_closed": "Η διαβούλευση έχει ολοκληρωθεί",
    "consultation_not_open": "Η διαβούλευση δεν έχει ανοίξει ακόμη",
    "not_found": "Δεν βρέθηκε δημοσιευμένο σχόλιο ή πρόταση",
    "forbidden_origin": "Η ενέργεια δεν επιτράπηκε",
    "unavailable": "Η υπηρεσία δεν είναι διαθέσιμη",
}


def what(
    links: Links, sub: dict[str, Any], cons: Consultation, proposal_title: str | None
) -> dict[str, str]:
    """What a support is for, as a person recognises it: the kind and reference, where it was
    written, its title (a proposal), the start of its text and its place on the site."""
    noun, it, _ = NOUNS[sub["kind"]]
    where = ""
    if sub["kind"] == "comment" and sub.get("text"):
        text = cons.texts.get(sub["text"])
        where = f"στο κείμενο «{text.title}»" if text else ""
        if text and sub.get("paragraph") in text.paragraphs:
            where += f", §{text.paragraphs.index(sub['paragraph']) + 1}"
    elif sub["kind"] == "comment" and sub.get("proposal"):
        where = f"στην πρόταση «{proposal_title}»" if proposal_title else "σε πρόταση"
    return {
        "label": f"{noun} {sub.get('reference', '')}".strip(),
        "where": where,
        "title": str(sub.get("title") or "") if sub["kind"] == "proposal" else "",
        "excerpt": letters.excerpt(sub.get("body"), EXCERPT_CHARS),
        "url": links.submission(sub) or "",
        "it": it,
    }


def form(
    links: Links,
    sub: dict[str, Any],
    cons: Consultation,
    described: dict[str, str],
    shown: dict[str, Any],
    status: int = 200,
    headers: Mapping[str, Any] | None = None,
) -> Response:
    """The form page; ``shown``: item, return_to, typed, errors, problem, action."""
    _, _, of = NOUNS[sub["kind"]]
    data = {
        **links.frame(),
        "title": f"Υποστήριξη {of}",
        "paragraphs": shown.pop("paragraphs", []),
        "consultation_title": cons.title,
        "what": described,
        "form": shown,
        "back_url": links.site(shown["return_to"]),
        "LIMITS": limits(),
        "SITEURL": links.site_url,
    }
    response = http.page(_render("support", data), status)
    response.headers.update(headers or {})
    return response


def advice(error: ApiError) -> list[str]:
    """The sentence above a form that comes back."""
    if error.code == "rate_limited":
        return ["Έγιναν πολλά αιτήματα σε λίγο χρόνο· περιμένετε λίγα λεπτά και δοκιμάστε ξανά."]
    if error.code == "unavailable":
        return ["Η υπηρεσία δεν είναι προσωρινά διαθέσιμη· δοκιμάστε ξανά σε λίγα λεπτά."]
    return ["Η υποστήριξή σας δεν καταχωρίστηκε ακόμη. Διορθώστε ό,τι σημειώνεται παρακάτω."]


def typed(raw: Any) -> dict[str, str]:
    """What was typed, to put back: the address and the checkbox, never the trap."""
    if not isinstance(raw, dict):
        return {}
    found = {k: raw[k] for k in ("email", "consent") if isinstance(raw.get(k), str)}
    if raw.get("consent") is True:
        found["consent"] = "on"
    return found


def sent_location(return_to: str) -> str:
    """Where an accepted post without a script goes: relative to ``/v1/supports``."""
    return f"supports/sent?{urlencode({'back': return_to or '/'})}"


def sent(links: Links, back: str) -> Response:
    """«Check your e-mail»: the same page whether a link was sent now or before (the page tells
    nobody whether an address already supports an item)."""
    days = int(limits()["mail"]["subscription_confirm_days"])
    paragraphs = [
        "Στείλαμε στη διεύθυνση που δώσατε έναν σύνδεσμο επιβεβαίωσης. Ανοίξτε τον και πατήστε "
        "το κουμπί «Επιβεβαιώνω την υποστήριξή μου»: τότε μόνο μετράει η υποστήριξή σας.",
        f"Ο σύνδεσμος ισχύει {days} ημέρες. Κάθε διεύθυνση μετράει μία φορά: αν έχετε ήδη "
        "υποστηρίξει, δεν θα λάβετε νέο μήνυμα. Αν το μήνυμα δεν έρθει, κοιτάξτε και στην "
        "ανεπιθύμητη αλληλογραφία.",
        "Ο αριθμός των υποστηρίξεων εμφανίζεται στη σελίδα με την επόμενη ενημέρωσή της.",
    ]
    more = [{"href": links.site(back), "label": "Επιστροφή στη σελίδα"}] if back != "/" else []
    body = pages.message(
        links, "Ελέγξτε το ηλεκτρονικό σας ταχυδρομείο", paragraphs, "success", more
    )
    return http.page(body)


def refused(
    request_headers: Mapping[str, str], links: Links, error: ApiError, back: str = "/"
) -> Response:
    """A refusal as a page for a browser (the error's status), the error's JSON otherwise."""
    if not http.wants_html(request_headers) and not http.from_plain_form(request_headers):
        return http.error_json(error, {})
    more = [{"href": links.site(back), "label": "Επιστροφή στη σελίδα"}] if back != "/" else []
    title = TITLES.get(error.code, "Η υποστήριξη δεν καταχωρίστηκε")
    response = http.page(pages.message(links, title, [error.message], "error", more), error.status)
    response.headers.update(error.headers)
    return response


def outcome(
    request_headers: Mapping[str, str],
    links: Links,
    title: str,
    paragraphs: list[str],
    answer: dict[str, Any],
    more: list[dict[str, str]] | None = None,
) -> Response:
    """A confirmation's outcome (200): a page for a browser, ``answer`` as JSON otherwise."""
    if not http.wants_html(request_headers):
        return http.json_answer(answer)
    return http.page(pages.message(links, title, paragraphs, "success", more))


def button(
    request_headers: Mapping[str, str], links: Links, token: str, described: dict[str, str]
) -> Response:
    """GET of a confirmation link: one button that posts back to the same address (link
    scanners follow links; they do not press buttons)."""
    if not http.wants_html(request_headers):
        return http.json_answer({"status": "pending", "method": "POST"})
    paragraphs = [
        f"Θέλετε να καταμετρηθεί η υποστήριξή σας για {described['it']}: "
        f"{described['label']}{' — ' + described['where'] if described['where'] else ''};",
        *([f"«{described['title']}»"] if described["title"] else []),
        *([f"«{described['excerpt']}»"] if described["excerpt"] else []),
        "Κάθε διεύθυνση μετράει μία φορά· ο αριθμός εμφανίζεται στη σελίδα με την επόμενη "
        "ενημέρωσή της.",
    ]
    data = {
        **links.frame(),
        "title": "Επιβεβαίωση υποστήριξης",
        "paragraphs": paragraphs,
        "action_url": token,
        "button": "Επιβεβαιώνω την υποστήριξή μου",
        "hidden": {},
    }
    return http.page(pages.render("confirm", data))


def _render(name: str, data: Mapping[str, Any]) -> str:
    context = {**data, "site_url": str(data["site_url"]).rstrip("/")}
    template = letters.environment("pages", html=True).get_template(f"{name}.html")
    return str(template.render(context))
