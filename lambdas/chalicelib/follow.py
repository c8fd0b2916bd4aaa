"""The private link of a submission, ``/v1/follow/{token}``: what became of it, everything the
platform holds about its author for it (GDPR art. 15), and the author's four actions —
withdraw, remove my name, erase my personal data (art. 17), stop e-mails (store.follow,
store.outbox).

No account: whoever holds the link, which only the receipt carried, is the author. A browser
gets themed HTML pages and plain form posts (origin-checked, redirected back to the page so a
reload repeats nothing); scripts get JSON. A token that is malformed, unknown, expired or of
another kind gets the same Greek 404, so the page tells nobody whether a submission exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib import clock, db, http, logs, pages, tokens
from chalicelib.errors import ApiError
from chalicelib.links import Links
from chalicelib.spec import limits
from chalicelib.store import follow as store
from chalicelib.store import outbox, state, submissions
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

ACTIONS: dict[str, dict[str, str]] = {
    "withdraw": {
        "label": "Απόσυρση της συμμετοχής",
        "description": "Δεν θα δημοσιευτεί ή, αν έχει δημοσιευτεί, στη θέση της θα εμφανίζεται "
        "«Αποσύρθηκε από τον συντάκτη». Το κείμενο και τα στοιχεία σας διαγράφονται. "
        "Η απόσυρση δεν αναιρείται.",
        "button": "Αποσύρω τη συμμετοχή μου",
        "done": "Η συμμετοχή σας αποσύρθηκε και τα στοιχεία σας διαγράφηκαν.",
    },
    "anonymise": {
        "label": "Αφαίρεση του ονόματός μου",
        "description": "Από την επόμενη δημοσίευση η συμμετοχή σας θα εμφανίζεται ανώνυμα.",
        "button": "Να εμφανίζεται ανώνυμα",
        "done": "Από την επόμενη δημοσίευση η συμμετοχή σας θα εμφανίζεται ανώνυμα.",
    },
    "erase": {
        "label": "Διαγραφή των προσωπικών μου δεδομένων",
        "description": "Διαγράφονται η διεύθυνση ηλεκτρονικού ταχυδρομείου και το όνομά σας "
        "(άρθρο 17 ΓΚΠΔ). Το κείμενο παραμένει, ανώνυμα, ως συμβολή στη δημόσια διαβούλευση· "
        "αν θέλετε να φύγει κι αυτό, επιλέξτε την απόσυρση.",
        "button": "Διαγράψτε τα στοιχεία μου",
        "done": "Τα προσωπικά σας δεδομένα διαγράφηκαν. Δεν θα λάβετε άλλα μηνύματα γι' αυτή "
        "τη συμμετοχή.",
    },
    "stop_mail": {
        "label": "Διακοπή μηνυμάτων",
        "description": "Δεν θα λάβετε άλλο μήνυμα από την πλατφόρμα σε αυτή τη διεύθυνση.",
        "button": "Να μη λαμβάνω μηνύματα",
        "done": "Δεν θα λάβετε άλλα μηνύματα από την πλατφόρμα σε αυτή τη διεύθυνση.",
    },
}


def _found(token: str, now: datetime) -> dict[str, Any]:
    """The submission a live link opens, or ApiError("not_found") for anything else."""
    link = tokens.read_link(token)
    if link is not None:
        with db.database_errors():
            item = store.opened(db.table(), *link, now)
        if item is not None:
            return item
    raise ApiError("not_found", message=GONE)


GONE = "Ο σύνδεσμος δεν ισχύει: μπορεί να έληξε ή να αντιγράφηκε λάθος."


def view(token: str, request: Request) -> Response:
    """GET: the page (a browser) or the same facts as JSON."""
    now = clock.now()
    done = request.query_params.get("done") if request.query_params else None
    try:
        item = _found(token, now)
        with db.database_errors():
            data = describe(item, now, done if done in ACTIONS else None)
    except ApiError as error:
        return _refusal(request, error)
    data["action_url"] = token  # relative: the forms post back to this page's address
    if http.wants_html(request.headers):
        return http.page(pages.render("follow", data))
    return http.json_answer(public_json(data))


def act(token: str, request: Request) -> Response:
    """POST: one action (``action``: a form field, or a JSON member)."""
    now = clock.now()
    try:
        if not http.same_site(request.headers):
            raise ApiError("forbidden_origin")
        action = _action(request)
        item = _found(token, now)
        with db.database_errors():
            changed = _run(action, item, now)
    except ApiError as error:
        return _refusal(request, error)
    logs.metric("follow", action=action, changed=changed)
    if http.from_plain_form(request.headers):
        # Post/Redirect/Get: a relative reference (the same page, behind any stage prefix).
        return Response(
            body="",
            status_code=303,
            headers={"Location": f"?done={action}", "Cache-Control": "no-store"},
        )
    return http.json_answer({"action": action, "changed": changed})


def _action(request: Request) -> str:
    fields = http.read_body(request)
    action = fields.get("action") if isinstance(fields, dict) else None
    if not isinstance(action, str) or action not in ACTIONS:
        raise ApiError("validation", fields={"action": "Άγνωστη ενέργεια."})
    return action


def _run(action: str, item: dict[str, Any], now: datetime) -> bool:
    table, do = db.table(), DOERS[action]
    for attempt in range(3):  # a staff decision in between: read again and redo
        try:
            return do(table, item, now)
        except ApiError as error:
            if error.code != "conflict" or attempt == 2:
                raise
            fresh = submissions.get(table, item["id"])
            if fresh is None:
                raise ApiError("not_found", message=GONE) from error
            item = fresh
    return False


def _stop_mail(table: Any, item: dict[str, Any], now: datetime) -> bool:
    email = item.get("email")
    if not email:
        return False
    hashed = tokens.address_hash(email)
    if outbox.is_suppressed(table, hashed):
        return False
    outbox.suppress(table, hashed, now, "follow")
    return True


# What each action does; each is idempotent and says whether it changed anything.
DOERS: dict[str, Callable[[Any, dict[str, Any], datetime], bool]] = {
    "withdraw": store.withdraw,
    "anonymise": store.anonymise,
    "erase": store.erase,
    "stop_mail": _stop_mail,
}


def _refusal(request: Request, error: ApiError) -> Response:
    if not http.wants_html(request.headers):
        return http.error_json(error, {})
    if error.code == "not_found":
        title, paragraphs = "Ο σύνδεσμος δεν ισχύει", [GONE, CHECK_THE_LINK]
    else:
        title, paragraphs = error.message, [*error.fields.values()]
    response = http.page(pages.message(Links.current(), title, paragraphs, "error"), error.status)
    response.headers.update(error.headers)  # Retry-After of a 503
    return response


CHECK_THE_LINK = (
    "Αν αντιγράψατε τον σύνδεσμο από το μήνυμα, ελέγξτε ότι τον αντιγράψατε ολόκληρο. Για "
    "οτιδήποτε άλλο, επικοινωνήστε με τον Δήμο."
)


def describe(item: dict[str, Any], now: datetime, done: str | None) -> dict[str, Any]:
    """The follow page's data (chalicelib.pages ``follow``)."""
    from chalicelib import follow_view  # Babel and the labels: only when a page is shown

    links = Links.current()
    table = db.table()
    published = _published(table, item)
    suppressed = "email" in item and outbox.is_suppressed(table, tokens.address_hash(item["email"]))
    data = follow_view.page_data(item, links, published=published, now=now)
    data["actions"] = [
        {"action": name, **{k: v for k, v in ACTIONS[name].items() if k != "done"}}
        for name in available(item, suppressed)
    ]
    data["flash"] = {"tone": "success", "text": ACTIONS[done]["done"]} if done else None
    return data


def available(item: dict[str, Any], suppressed: bool) -> list[str]:
    """The actions that would still change something."""
    found = []
    if item["status"] != Status.WITHDRAWN:
        found.append("withdraw")
        if item.get("publish_name") is True:
            found.append("anonymise")
    if any(f in item for f in store.PERSONAL):
        found.append("erase")
    if "email" in item and not suppressed:
        found.append("stop_mail")
    return found


def _published(table: Any, item: dict[str, Any]) -> bool:
    """Approved and covered by a completed publish (its approval is behind the watermark)."""
    if item["status"] != Status.APPROVED:
        return False
    watermark = state.read(table).get("watermark") or ""
    return (item.get("decided_at") or item.get("approved_at") or "~") <= watermark


def public_json(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON answer: the page's facts, without the page's prose."""
    keep = ("reference", "kind", "status", "state", "public_url", "answer", "held", "actions")
    out = {k: data.get(k) for k in keep}
    out["actions"] = [a["action"] for a in data.get("actions", [])]
    out["retention_days"] = int(limits()["retention"]["email_days_after_close"])
    return out
