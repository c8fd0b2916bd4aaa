"""What the private link's page says (chalicelib.follow): the submission's state in words, and
every piece of data the platform holds about its author for it, labelled (GDPR art. 15).
Apart from follow.py so that Babel loads only when a page is shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.links import Links
from chalicelib.spec import limits
from chalicelib.store.keys import STATUS_LABELS, Status

KIND_LABELS = {"comment": "Σχόλιο", "proposal": "Πρόταση"}
EXPLANATIONS = {
    "pending": "Η συμμετοχή σας περιμένει έλεγχο από το προσωπικό του Δήμου πριν δημοσιευτεί. "
    "Θα σας ενημερώσουμε με μήνυμα όταν δημοσιευτεί ή αν δεν μπορεί να δημοσιευτεί.",
    "approved": "Η συμμετοχή σας εγκρίθηκε και θα εμφανιστεί στον ιστότοπο με την επόμενη "
    "ενημέρωσή του, μέσα σε λίγα λεπτά.",
    "published": "Η συμμετοχή σας έχει δημοσιευτεί στον ιστότοπο της διαβούλευσης.",
    "not_published": "Η συμμετοχή σας δεν δημοσιεύτηκε, για τον λόγο που αναφέρεται. "
    "Μπορείτε να υποβάλετε νέα συμμετοχή που να τηρεί τους όρους συμμετοχής.",
    "hidden": "Η συμμετοχή σας δεν εμφανίζεται στον ιστότοπο, για τον λόγο που αναφέρεται.",
    "withdrawn": "Αποσύρατε αυτή τη συμμετοχή. Το κείμενό της και τα στοιχεία σας έχουν "
    "διαγραφεί· στον ιστότοπο, αν είχε δημοσιευτεί, εμφανίζεται «Αποσύρθηκε από τον συντάκτη».",
}


def when(stamp: str | None) -> str:
    """A stored UTC stamp as a Greek date and time in Athens."""
    if not stamp:
        return ""
    from babel.dates import format_datetime

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return format_datetime(moment, "d MMMM y, HH:mm", tzinfo=clock.ATHENS, locale="el")


def state_of(item: dict[str, Any], published: bool) -> str:
    status = item["status"]
    if status == Status.APPROVED:
        return "published" if published else "approved"
    if status == Status.REJECTED:
        return "not_published"
    return str(status)


def page_data(
    item: dict[str, Any], links: Links, *, published: bool, now: datetime
) -> dict[str, Any]:
    spec = limits()
    cons = links.consultation(item["consultation"])
    state = state_of(item, published)
    reason = item.get("decision_reason")
    answer = item.get("answer") if isinstance(item.get("answer"), dict) else None
    return {
        **links.frame(),
        "reference": item["reference"],
        "kind": item["kind"],
        "kind_label": KIND_LABELS.get(item["kind"], item["kind"]),
        "status": item["status"],
        "status_label": STATUS_LABELS.get(Status(item["status"]), item["status"]),
        "state": state,
        "explanation": EXPLANATIONS[state],
        "public_url": links.submission(item) if state == "published" else None,
        "reason_label": spec["moderation_reasons"].get(reason) if reason else None,
        "resubmit_url": links.site(cons.url) if cons and state == "not_published" else None,
        "answer": {
            "disposition_label": spec["dispositions"]["labels"].get(answer["disposition"], ""),
            "text": answer["text"],
            "answered_at": answer["answered_at"],
        }
        if answer and state == "published"
        else None,
        "consultation_title": cons.title if cons else item["consultation"],
        "target_title": links.target_title(item),
        "paragraph": None,  # an id, not a number people know: the link shows the place
        "held": held(item),
        "retention": retention_note(),
    }


def held(item: dict[str, Any]) -> list[dict[str, str]]:
    """Every stored field about the author and their submission, in words."""
    spec = limits()
    fields = spec["fields"]
    yes_no = {True: "Ναι", False: "Όχι"}
    rows: list[tuple[str, Any]] = [
        ("Αριθμός αναφοράς", item.get("reference")),
        ("Είδος", KIND_LABELS.get(item["kind"])),
        ("Υποβλήθηκε", when(item.get("created_at"))),
        ("Συμμετέχετε ως", spec["respondent_types"].get(item.get("respondent_type", ""))),
        (fields["display_name"]["label"], item.get("display_name")),
        (fields["organisation_name"]["label"], item.get("organisation_name")),
        ("Είδος φορέα", spec["organisation_types"].get(item.get("organisation_type") or "")),
        (fields["email"]["label"], item.get("email")),
        ("Δημοσίευση ονόματος", yes_no.get(item.get("publish_name", False))),
        (fields["title"]["label"], item.get("title")),
        (
            fields["body"]["label"]
            if item["kind"] == "comment"
            else fields["proposal_body"]["label"],
            item.get("body"),
        ),
        (fields["location"]["label"], item.get("location")),
        ("Παράγραφος", item.get("paragraph")),
        (
            "Αποδοχή των όρων συμμετοχής",
            f"έκδοση {item['consent']['terms_version']}, {when(item['consent'].get('at'))}"
            if isinstance(item.get("consent"), dict)
            else None,
        ),
        (
            "Ψευδώνυμο καταμέτρησης συμμετεχόντων",
            "Ναι: κλειδωμένο αποτύπωμα της διεύθυνσής σας, μόνο για να μετρηθούν οι "
            "συμμετέχοντες· δεν δημοσιεύεται."
            if item.get("participant")
            else None,
        ),
        ("Αποσύρθηκε", when(item.get("withdrawn_at"))),
        ("Διαγραφή προσωπικών δεδομένων", when(item.get("erased_at"))),
    ]
    return [{"label": label, "value": str(value)} for label, value in rows if value]


def retention_note() -> str:
    days = int(limits()["retention"]["email_days_after_close"])
    return (
        f"Η διεύθυνση ηλεκτρονικού ταχυδρομείου σας και αυτός ο σύνδεσμος διαγράφονται {days} "
        "ημέρες μετά τη λήξη της διαβούλευσης, αν δεν τα διαγράψετε νωρίτερα. Το ίχνος του "
        "δικτύου από το οποίο υποβάλατε (κλειδωμένο αποτύπωμα, όχι η διεύθυνση IP) διαγράφεται "
        "μέσα σε 24 ώρες."
    )
