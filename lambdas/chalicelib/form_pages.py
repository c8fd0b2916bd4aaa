"""The pages the API answers a browser with when a submission form is used without a script:
the form itself (opened from a paragraph's or a comment's link, already aimed at it), the form
again after a post that could not be accepted (an error summary, the messages beside the fields,
everything typed kept), and the confirmation after one that was (POST → 303 → a page with the
reference in large type). The forms are the site's own macros
(``templates/shared/_submission.html``), so both look and post the same.

Every address in these pages is relative to the API's own path (``received/…``, ``../comments``)
or absolute on the site: the API may sit under a stage prefix it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from chalice import Response

from chalicelib import clock, db, http, ids, manifest, pages, validation
from chalicelib.errors import ApiError, unavailable
from chalicelib.links import Links
from chalicelib.manifest import Consultation
from chalicelib.spec import limits
from chalicelib.store import submissions

TITLES = {"comment": "Σχόλιο", "proposal": "Πρόταση"}
# Errors after which the form comes back to be corrected and sent again; after the others it
# cannot be accepted as it is (closed, duplicate, unknown target), so the text is shown to keep.
CORRECTABLE = frozenset(
    {
        "validation",
        "invalid_reference",
        "invalid_type",
        "unknown_field",
        "rate_limited",
        "unavailable",
    }
)
EXCERPT_CHARS = 120


def received(reference: str, query: Mapping[str, str] | None) -> Response:
    """The confirmation page (``GET /v1/received/{reference}?back=<site path>``)."""
    links = Links.current()
    if not ids.is_reference(reference):
        return _message(links, "Δεν βρέθηκε η σελίδα", ["Ο σύνδεσμος δεν είναι σωστός."], 404)
    back = http.safe_return_to((query or {}).get("back"), "/")
    steps = [
        "Ο Δήμος ελέγχει κάθε υποβολή πριν τη δημοσιεύσει, συνήθως μέσα σε δύο εργάσιμες ημέρες.",
        "Σας στείλαμε απόδειξη στο ηλεκτρονικό σας ταχυδρομείο, με προσωπικό σύνδεσμο για να "
        "παρακολουθείτε την υποβολή σας, να αφαιρέσετε το όνομά σας ή να την αποσύρετε.",
        "Θα σας γράψουμε όταν δημοσιευθεί και όταν ο Δήμος απαντήσει.",
    ]
    more = [{"href": links.site(back), "label": "Επιστροφή στη σελίδα της υποβολής"}]
    if back != "/":
        more.append({"href": links.site("/"), "label": pages.HOME})
    data = {
        **links.frame(),
        "title": "Η υποβολή σας καταχωρίστηκε",
        "reference": reference,
        "steps": steps,
        "links": more,
    }
    return http.page(pages.render("received", data))


def received_location(reference: str, return_to: str) -> str:
    """Where a post without a script goes once accepted: relative to ``/v1/comments``."""
    return f"received/{quote(reference)}?{urlencode({'back': return_to})}"


def blank(query: Mapping[str, str] | None) -> Response:
    """The comment form aimed at a paragraph or a comment (``GET /v1/comments/new?…``); a
    page saying why not when it cannot be (503 with Retry-After while the database or the
    manifest cannot be read)."""
    try:
        return _blank(Links.current(manifest.current()), query or {})
    except manifest.ManifestError:
        error = unavailable()
    except ApiError as exc:
        error = exc
    links = Links.current()
    page = _message(links, "Η σελίδα δεν είναι διαθέσιμη", [error.message], error.status)
    return _with_headers(page, error.headers)


def _blank(links: Links, query: Mapping[str, str]) -> Response:
    cons = links.consultation(query.get("consultation", ""))
    target_name = "text" if query.get("text") else "proposal"
    target = _target(cons, target_name, query.get(target_name, ""))
    if cons is None or target is None:
        return _message(
            links, "Δεν βρέθηκε το κείμενο", ["Το κείμενο ή η πρόταση δεν υπάρχει πια."], 404
        )
    ok, reason = validation.verify_open(cons, clock.now())
    if not ok:
        error = ApiError(reason)
        return _message(links, "Η διαβούλευση δεν δέχεται σχόλια", [error.message], error.status)
    typed = {key: query[key] for key in ("paragraph",) if query.get(key)}
    parent = None
    if query.get("parent"):
        parent = _parent(links, cons, target, query["parent"])
        if parent is None:
            return _message(
                links,
                "Δεν βρέθηκε το σχόλιο",
                ["Το σχόλιο στο οποίο θέλετε να απαντήσετε δεν είναι δημοσιευμένο."],
                404,
            )
    form = _form(target["return_to"], typed, {}, None, parent, "new?" + _new_query(query))
    form["action"] = "../comments"
    return http.page(pages.render("form", _form_page(links, cons, "comment", target, form)))


def failure(
    kind: str, raw: Any, error: ApiError, return_to: str, cons: Consultation | None
) -> Response:
    """The page answering a post without a script that was not accepted."""
    links = Links.current()
    typed = _typed(kind, raw)
    target_name = "text" if kind == "comment" and typed.get("text") else "proposal"
    target = None
    if kind == "proposal" and cons is not None:
        target = {"name": "", "title": "", "return_to": return_to, "id": "", "paragraphs": []}
    elif cons is not None:
        target = _target(cons, target_name, typed.get(target_name, ""))
    if cons is None or target is None or error.code not in CORRECTABLE:
        return _refused(links, kind, typed, error, return_to)
    parent = None
    if typed.get("parent"):  # not read again: the link to it is enough to see which it was
        url = links.submission({**typed, "id": typed["parent"], "kind": "comment"}) or ""
        parent = {"id": typed["parent"], "reference": "", "excerpt": "", "url": url}
    problem = None if error.code == "validation" else error.message
    new_url = "comments/new?" + _new_query({**typed, "parent": ""})
    form = _form(return_to, typed, dict(error.fields), problem, parent, new_url)
    data = _form_page(links, cons, kind, target, form)
    data["paragraphs"] = ["Η υποβολή σας δεν καταχωρίστηκε ακόμη. " + _advice(error)]
    return _with_headers(http.page(pages.render("form", data), error.status), error.headers)


def _advice(error: ApiError) -> str:
    if error.code == "rate_limited":
        return "Έγιναν πολλές υποβολές σε λίγο χρόνο· περιμένετε λίγα λεπτά και υποβάλετε ξανά."
    if error.code == "unavailable":
        return "Η υπηρεσία δεν είναι προσωρινά διαθέσιμη· υποβάλετε ξανά σε λίγα λεπτά."
    return "Διορθώστε ό,τι σημειώνεται παρακάτω και υποβάλετε ξανά· ό,τι γράψατε κρατήθηκε."


def _refused(
    links: Links, kind: str, typed: dict[str, str], error: ApiError, return_to: str
) -> Response:
    """A post that cannot be sent again as it is: say why, keep the text to copy."""
    kept = "\n\n".join(typed[name] for name in ("title", "body") if typed.get(name))
    titles = {
        "duplicate": "Η υποβολή σας έχει ήδη καταχωριστεί",
        "consultation_closed": "Η διαβούλευση έχει ολοκληρωθεί",
        "consultation_not_open": "Η διαβούλευση δεν έχει ανοίξει ακόμη",
    }
    paragraphs = [error.message]
    if error.code == "duplicate":
        paragraphs.append(
            "Δεν χρειάζεται να το στείλετε ξανά· θα το δείτε στη σελίδα μόλις ελεγχθεί."
        )
        kept = ""
    more = [{"href": links.site(return_to), "label": "Επιστροφή στη σελίδα"}]
    body = pages.message(
        links,
        titles.get(error.code, "Η υποβολή δεν καταχωρίστηκε"),
        paragraphs,
        "error",
        more,
        kept=kept,
    )
    return _with_headers(http.page(body, error.status), error.headers)


def _with_headers(response: Response, headers: Mapping[str, Any]) -> Response:
    response.headers.update(headers)
    return response


def _message(links: Links, title: str, paragraphs: list[str], status: int) -> Response:
    return http.page(pages.message(links, title, paragraphs, "error"), status)


def _typed(kind: str, raw: Any) -> dict[str, str]:
    """What was posted, as it was typed: only the form's own fields, only text, never the trap."""
    if not isinstance(raw, dict):
        return {}
    allowed = validation.ACCEPTED_FIELDS[kind] - {"website", "return_to"}
    return {k: v for k, v in raw.items() if k in allowed and isinstance(v, str)}


def _target(cons: Consultation | None, name: str, slug_or_id: str) -> dict[str, Any] | None:
    """The text (its title, paragraphs and page) or proposal a comment form is aimed at."""
    if cons is None or not slug_or_id:
        return None
    if name == "text":
        text = cons.texts.get(slug_or_id)
        if text is None:
            return None
        numbered = [
            {"id": pid, "number": n, "excerpt": ""} for n, pid in enumerate(text.paragraphs, 1)
        ]
        return {
            "name": name,
            "title": text.title,
            "return_to": text.url,
            "id": text.slug,
            "paragraphs": numbered,
        }
    if not cons.proposal_url:
        return None
    path = cons.proposal_url.format(id=slug_or_id)
    return {"name": name, "title": "", "return_to": path, "id": slug_or_id, "paragraphs": []}


def _parent(
    links: Links, cons: Consultation, target: dict[str, Any], item_id: str
) -> dict[str, str] | None:
    """The published comment a reply answers, checked as the post will check it."""
    with db.database_errors():
        item = submissions.get(db.table(), item_id[:64])
    other = "proposal" if target["name"] == "text" else "text"
    match = {"consultation": cons.slug, target["name"]: target["id"], other: None}
    if item is None or not validation.verify_reference(item, "comment", match):
        return None
    body = str(item.get("body", ""))
    excerpt = body if len(body) <= EXCERPT_CHARS else body[:EXCERPT_CHARS].rstrip() + "…"
    return {
        "id": item["id"],
        "reference": item.get("reference", ""),
        "excerpt": " ".join(excerpt.split()),
        "url": links.submission(item) or "",
    }


def _new_query(query: Mapping[str, str]) -> str:
    keys = ("consultation", "text", "proposal", "paragraph", "parent")
    return urlencode({k: query[k] for k in keys if query.get(k)})


def _form(
    return_to: str,
    typed: dict[str, str],
    errors: dict[str, str],
    problem: str | None,
    parent: dict[str, str] | None,
    new_comment_url: str,
) -> dict[str, Any]:
    return {
        "action": None,
        "return_to": return_to,
        "typed": typed,
        "errors": errors,
        "problem": problem,
        "parent": parent,
        "new_comment_url": new_comment_url if parent else "",
    }


def _form_page(
    links: Links, cons: Consultation, kind: str, target: dict[str, Any], form: dict[str, Any]
) -> dict[str, Any]:
    if kind == "proposal":
        title = "Καταθέστε τη δική σας πρόταση"
    elif target["title"]:
        title = f"Σχόλιο στο κείμενο «{target['title']}»"
    else:
        title = "Σχόλιο στην πρόταση"
    return {
        **links.frame(),
        "title": title,
        "kind": kind,
        "paragraphs": [],
        "consultation": cons,
        "consultation_title": cons.title,
        "target_name": target["name"],
        "target_id": target["id"],
        "form_paragraphs": target["paragraphs"],
        "form": form,
        "back_url": links.site(target["return_to"]),
        "back_label": "Επιστροφή στη σελίδα χωρίς υποβολή",
        "LIMITS": limits(),
        "SITEURL": links.site_url,
    }
