"""Validation of a submission: the accepted fields (an allowlist), their types, their text
(chalicelib.text, the one cleaner, with each field's rule), their limits (spec/limits.json only)
and their targets (the manifest). Lengths are counted in characters after cleaning; an optional
field left empty is absent, a required one a Greek 422.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib import clock, text, timeline
from chalicelib.errors import ApiError
from chalicelib.manifest import Consultation, Manifest
from chalicelib.spec import limits

COMMON_FIELDS = frozenset(
    {
        "respondent_type",
        "display_name",
        "publish_name",
        "organisation_name",
        "organisation_type",
        "email",
        "consent",
        "submission_key",
        "website",
        "return_to",
    }
)
ACCEPTED_FIELDS = {
    "comment": COMMON_FIELDS | {"consultation", "text", "proposal", "paragraph", "parent", "body"},
    "proposal": COMMON_FIELDS | {"consultation", "title", "body", "location"},
}
BOOLEAN_FIELDS = frozenset({"publish_name", "consent"})
NOT_STORED = frozenset({"website", "return_to"})  # the guards and the redirect read these
TRUE_WORDS, FALSE_WORDS = frozenset({"on", "true"}), frozenset({"off", "false"})
# Fields that limits.json gives no label; the others take theirs from there.
LABELS = {
    "consultation": "Διαβούλευση",
    "text": "Κείμενο",
    "proposal": "Πρόταση",
    "paragraph": "Παράγραφος",
    "parent": "Σχόλιο στο οποίο απαντάτε",
    "respondent_type": "Συμμετέχετε ως",
    "organisation_type": "Είδος φορέα",
    "publish_name": "Δημοσίευση ονόματος",
    "consent": "Αποδοχή των όρων συμμετοχής",
    "submission_key": "Κλειδί υποβολής",
    "return_to": "Σελίδα επιστροφής",
}
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]+")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")

Fields = dict[str, Any]


def limit_name(kind: str, field: str) -> str:
    """The limits.json entry of ``field``: a proposal's body has its own."""
    return "proposal_body" if (kind, field) == ("proposal", "body") else field


def label(kind: str, field: str) -> str:
    spec = limits()["fields"].get(limit_name(kind, field), {})
    return spec.get("label") or LABELS.get(field, field)


def check_shape(raw: Any, kind: str) -> Fields:
    """Refuse anything but an object of strings (booleans for the two checkboxes) whose keys are
    all in the allowlist: 400 ``invalid_type`` / ``unknown_field``."""
    if not isinstance(raw, dict):
        raise ApiError("invalid_type", fields={"": "Αναμενόταν αντικείμενο JSON με πεδία."})
    unknown = [name for name in raw if name not in ACCEPTED_FIELDS[kind]]
    if unknown:
        raise ApiError("unknown_field", fields={_shown(n): "Άγνωστο πεδίο." for n in unknown[:20]})
    wrong = {
        name: "Αναμενόταν ναι/όχι ή κείμενο." if name in BOOLEAN_FIELDS else "Αναμενόταν κείμενο."
        for name, value in raw.items()
        if not (isinstance(value, str) or (name in BOOLEAN_FIELDS and isinstance(value, bool)))
    }
    if wrong:
        raise ApiError("invalid_type", fields=wrong)
    broken = {
        n: "Μη έγκυρο κείμενο."
        for n, v in raw.items()
        if isinstance(v, str) and text.has_surrogates(v)
    }
    if broken:
        raise ApiError("invalid_encoding", fields=broken)
    return raw


def _shown(name: str) -> str:
    """A field name safe to echo back in an error (printable, short, valid UTF-8)."""
    shown = "".join(c for c in name if c.isprintable() and not text.has_surrogates(c))
    return shown[:64] or "?"


def normalise(name: str, value: str) -> tuple[str, str | None]:
    """The cleaned text of field ``name`` and, if it must be refused, the Greek reason
    (verify-style); lone surrogates are a 400 ``invalid_encoding`` for the whole request."""
    try:
        return text.clean_field(name, value), None
    except text.TextError as exc:
        if exc.code == "invalid_encoding":
            raise ApiError("invalid_encoding", fields={_shown(name): exc.reason}) from exc
        return "", exc.reason


def clean(raw: Fields, kind: str) -> Fields:
    """The submission's fields, normalised and checked against limits.json; 422 ``validation``
    with a Greek message per field otherwise. Optional fields left empty are absent."""
    errors: dict[str, str] = {}
    out: Fields = {}
    for name, value in raw.items():
        if name in NOT_STORED:
            continue
        if name in BOOLEAN_FIELDS:
            flag = boolean(value)
            if flag is None:
                errors[name] = "Μη έγκυρη τιμή."
            out[name] = bool(flag)
            continue
        cleaned, problem = normalise(name, value)
        if problem:
            errors[name] = problem
        elif cleaned:
            out[name] = cleaned
    _check_people(kind, out, errors)
    _check_content(kind, out, errors)
    for name, value in out.items():
        if name not in errors and isinstance(value, str):
            problem = length_problem(kind, name, value)
            if problem:
                errors[name] = problem
    if errors:
        raise ApiError("validation", fields=errors)
    return out


def boolean(value: str | bool) -> bool | None:
    """A checkbox's value (a form's "on", JSON's true), or None when it is neither."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    return False if word in FALSE_WORDS or not word else None


def message(code: str, **values: Any) -> str:
    """limits.json's wording for ``code`` (the site's form script shows the same)."""
    return str(limits()["messages"][code]).format(**values)


def required_message(kind: str, name: str) -> str:
    return message("required", label=label(kind, name))


def _check_people(kind: str, out: Fields, errors: dict[str, str]) -> None:
    spec = limits()
    for name in ("respondent_type", "display_name", "email"):
        if name not in out and name not in errors:
            errors[name] = required_message(kind, name)
    rtype = out.get("respondent_type")
    if rtype is not None and rtype not in spec["respondent_types"]:
        errors["respondent_type"] = message("respondent_type")
    if rtype == "organisation":
        for name in ("organisation_name", "organisation_type"):
            if name not in out and name not in errors:
                errors[name] = required_message(kind, name)
        otype = out.get("organisation_type")
        if otype is not None and otype not in spec["organisation_types"]:
            errors["organisation_type"] = message("organisation_type")
    else:  # a citizen's stray organisation fields are not kept
        out.pop("organisation_name", None)
        out.pop("organisation_type", None)
        errors.pop("organisation_name", None)
        errors.pop("organisation_type", None)
    email = out.get("email")
    problem = email_problem(email) if email is not None and "email" not in errors else None
    if problem:
        errors["email"] = problem
    if out.get("consent") is not True and "consent" not in errors:
        errors["consent"] = message("consent")
    key = out.get("submission_key")
    if key is not None and "submission_key" not in errors and not SUBMISSION_KEY.fullmatch(key):
        errors["submission_key"] = "Μη έγκυρο κλειδί υποβολής."


def email_problem(address: str) -> str | None:
    """Why ``address`` cannot receive our e-mail, in Greek, or None. The local part is a
    dot-atom of ASCII characters (SES, and so production, cannot deliver to anything else, and
    it keeps every header we write unambiguous); the domain may be internationalised (sent as
    punycode)."""
    invalid = message("email")
    if not EMAIL.fullmatch(address):
        return invalid
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return (
            "Η διεύθυνση δεν μπορεί να έχει ελληνικούς ή άλλους μη λατινικούς χαρακτήρες πριν "
            "από το «@»: δεν μπορούμε να στείλουμε μήνυμα σε αυτήν. Δώστε άλλη διεύθυνση."
        )
    if not LOCAL_PART.fullmatch(local):
        return invalid
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return invalid
    return invalid if len(ascii_domain) > 253 else None


def _check_content(kind: str, out: Fields, errors: dict[str, str]) -> None:
    required = ("consultation", "body") if kind == "comment" else ("consultation", "title", "body")
    for name in required:
        if name not in out and name not in errors:
            errors[name] = required_message(kind, name)
    if kind != "comment":
        return
    if "text" in out and "proposal" in out:
        errors["proposal"] = "Ένα σχόλιο αφορά είτε ένα κείμενο είτε μια πρόταση, όχι και τα δύο."
    elif "text" not in out and "proposal" not in out and "text" not in errors:
        errors["text"] = "Επιλέξτε το κείμενο ή την πρόταση που σχολιάζετε."
    if "paragraph" in out and "proposal" in out:
        errors["paragraph"] = "Παράγραφοι υπάρχουν μόνο στα κείμενα της διαβούλευσης."


def length_problem(kind: str, name: str, value: str) -> str | None:
    spec = limits()["fields"].get(limit_name(kind, name), {})
    low, high = spec.get("min"), spec.get("max")
    if low is not None and len(value) < low:
        return message("too_short", label=label(kind, name), min=low)
    if high is not None and len(value) > high:
        return message("too_long", label=label(kind, name), max=high)
    return None


def find_consultation(manifest: Manifest, slug: str) -> Consultation:
    """The consultation ``slug`` names: 422 when absent, 404 ``not_found`` when unknown."""
    if not slug:
        raise ApiError(
            "validation", fields={"consultation": required_message("comment", "consultation")}
        )
    cons = manifest.consultation(slug)
    if cons is None:
        raise ApiError("not_found", fields={"consultation": "Δεν υπάρχει αυτή η διαβούλευση."})
    return cons


def check_target(cons: Consultation, fields: Fields) -> None:
    """A comment's text must be one of the consultation's (404), its paragraph one of the
    text's (422 ``invalid_reference``)."""
    slug = fields.get("text")
    if slug is None:
        return
    found = cons.texts.get(slug)
    if found is None:
        raise ApiError("not_found", fields={"text": "Δεν υπάρχει αυτό το κείμενο στη διαβούλευση."})
    paragraph = fields.get("paragraph")
    if paragraph is not None and paragraph not in found.paragraphs:
        raise ApiError(
            "invalid_reference", fields={"paragraph": "Δεν υπάρχει αυτή η παράγραφος στο κείμενο."}
        )


def verify_open(cons: Consultation, now: datetime) -> tuple[bool, str]:
    """(ok, reason) by the rule the site shows its forms by (chalicelib.timeline)."""
    current = timeline.state(cons.opens, cons.closes, now)
    if current == timeline.UPCOMING:
        return False, "consultation_not_open"
    if current == timeline.CLOSED:
        return False, "consultation_closed"
    return True, ""


def check_open(cons: Consultation, now: datetime) -> None:
    """409 with a Greek message that names the date it opens or closed (Athens time)."""
    ok, reason = verify_open(cons, now)
    if ok:
        return
    from babel.dates import format_date  # only on this path: keeps the cold start small

    when = cons.opens if reason == "consultation_not_open" else cons.closes
    day = format_date(when.astimezone(clock.ATHENS).date(), "d MMMM y", locale="el")
    verb = "ανοίγει" if reason == "consultation_not_open" else "έκλεισε"
    raise ApiError(reason, message=f"Η διαβούλευση {verb} στις {day}.")


def verify_reference(item: dict[str, Any] | None, kind: str, target: dict[str, str]) -> bool:
    """An approved submission of ``kind`` on the same consultation and, for a parent comment,
    the same text or proposal (``target``: the keys that must match)."""
    if item is None or item.get("kind") != kind or item.get("status") != "approved":
        return False
    return all(item.get(key) == value for key, value in target.items())


def dedup_text(body: str) -> str:
    """The body as the duplicate guard compares it: casefolded, whitespace collapsed."""
    return " ".join(body.casefold().split())
