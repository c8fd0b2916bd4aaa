"""Every key, index, status and transition of the one DynamoDB table (spec/table.json).

This is the only module that spells a key prefix (``SUB#``, ``STATUS#``, ``CONS#`` …) or an
index name; tests/test_store_keys.py fails when one appears anywhere else in the source. New item
types (answers, outbox, subscriptions, campaign groups) get their builders here first.

Item layout (docs/contracts.md, "The table"):

=====================  ==========================  ===========================================
item                   PK / SK                     indexes
=====================  ==========================  ===========================================
submission             SUB#<id> / SUB              by_status: STATUS#<status> / <decided>#<id>
                                                   by_consultation: CONS#<slug> /
                                                   <status>#<created>#<id>
                                                   by_target (comments): TARGET#<cons>#<text> or
                                                   TARGET#<cons>#proposal#<id> / <created>#<id>
decision audit entry   SUB#<id> / AUDIT#<at>#<v>  (answers and authors' actions too)
redacted original      SUB#<id> / ORIGINAL#<at>#<v> (TTL: retention.redacted_original_days)
idempotency record     IDEM#<hmac> / IDEM          (TTL)
rate count             RATE#<hmac>#<window> / RATE (TTL)
duplicate guard        DUP#<sha256> / DUP          (TTL)
staff token            STAFF#<sha256> / TOKEN      by_target: STAFF / <created>#<sha256>
publish state          META#publish / STATE
publish lock           LOCK#publish / LOCK         (TTL)
outbox message         MAIL#<id> / MAIL            by_status: MAIL#due / <send after>#<id>
                                                   (only while due); TTL once sent or failed
mail count             MAILCOUNT#<scope>#<day> /   (TTL) receipts per address, per network
                       COUNT
suppressed address     NOMAIL#<address hash> /     (no TTL: a person's "no more e-mail")
                       NOMAIL
subscription           SUBSCR#<slug>#<address      by_target: SUBSCRIBERS#<slug> / <address
                       hash> / SUBSCR              hash> (once confirmed); TTL
announcement           META#announce / <slug>      what each consultation's subscribers heard
consultations seen     META#consultations / SEEN   slug -> last seen by a publish (retention)
grouping state         META#grouping / STATE       how far near-identical submissions are grouped
support                SUPPORT#<item id>#<address  (TTL) one address's «Υποστηρίζω» of a
                       hash> / SUPPORT             published comment or proposal
=====================  ==========================  ===========================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

# --- indexes (spec/table.json) ------------------------------------------------------------------
BY_TARGET = "by_target"
BY_STATUS = "by_status"
BY_CONSULTATION = "by_consultation"
TTL_ATTRIBUTE = "expires_at"


# --- statuses and their transitions -------------------------------------------------------------
class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"  # by its author (chalicelib.follow), never by staff

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.PENDING: "Σε αναμονή",
    Status.APPROVED: "Εγκρίθηκε",
    Status.REJECTED: "Απορρίφθηκε",
    Status.HIDDEN: "Κρυφό",
    Status.WITHDRAWN: "Αποσύρθηκε από τον συντάκτη",
}


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"

    @property
    def target(self) -> Status:
        return ACTION_TARGETS[self]


ACTION_TARGETS = {
    Action.APPROVE: Status.APPROVED,
    Action.REJECT: Status.REJECTED,
    Action.HIDE: Status.HIDDEN,
}
ACTION_LABELS = {Action.APPROVE: "έγκριση", Action.REJECT: "απόρριψη", Action.HIDE: "απόκρυψη"}
NEEDS_REASON = frozenset({Action.REJECT, Action.HIDE})

# pending → approved | rejected | hidden; approved → hidden (take down); hidden → approved (show
# again); rejected → approved (on appeal); approved → approved only with a redacted body.
TRANSITIONS = frozenset(
    {
        (Status.PENDING, Status.APPROVED),
        (Status.PENDING, Status.REJECTED),
        (Status.PENDING, Status.HIDDEN),
        (Status.APPROVED, Status.HIDDEN),
        (Status.HIDDEN, Status.APPROVED),
        (Status.REJECTED, Status.APPROVED),
    }
)
REDACTABLE = Status.APPROVED  # approved → approved, with ``redacted_body``
ANSWERABLE = Status.APPROVED  # the municipality answers what it published (store.answers)
# Where an approved item goes when it is taken down: the snapshot drops it.
TAKEN_DOWN = (Status.HIDDEN, Status.REJECTED)
# Its author may withdraw an item from any status (staff transitions end there): a withdrawn
# item that was published leaves a placeholder (chalicelib.snapshot), the others nothing.
WITHDRAWABLE = frozenset({Status.PENDING, Status.APPROVED, Status.HIDDEN, Status.REJECTED})


def allowed(source: str, target: str, redacting: bool = False) -> bool:
    """May an item in ``source`` move to ``target`` (``redacting``: with a new body)?"""
    if redacting and source == target == REDACTABLE:
        return True
    return (source, target) in TRANSITIONS


def actions_from(status: str) -> list[str]:
    """The actions staff may take on an item in ``status`` (the moderation page's buttons)."""
    found = [a.value for a in Action if allowed(status, a.target)]
    if status == REDACTABLE and Action.APPROVE.value not in found:
        found.append(Action.APPROVE.value)  # redaction: approve again with a new body
    return found


# --- submissions --------------------------------------------------------------------------------
_SUB, _AUDIT = "SUB#", "AUDIT#"


def submission(sub_id: str) -> dict[str, str]:
    return {"PK": _SUB + sub_id, "SK": "SUB"}


def audit(sub_id: str, at: str, version: int) -> dict[str, str]:
    """A decision's audit entry sits in its submission's partition, in time order."""
    return {"PK": _SUB + sub_id, "SK": f"{_AUDIT}{at}#{version:06d}"}


ORIGINAL = _ORIGINAL = "ORIGINAL#"


def original(sub_id: str, at: str, version: int) -> dict[str, str]:
    """The body a redaction replaced, beside its audit entry, with its own TTL (limits.json
    ``retention.redacted_original_days``): the audit entry stays, the original does not."""
    return {"PK": _SUB + sub_id, "SK": f"{_ORIGINAL}{at}#{version:06d}"}


def original_of(sk: str) -> str | None:
    """The audit entry's sort key an original belongs to (None for other items)."""
    return _AUDIT + sk.removeprefix(_ORIGINAL) if sk.startswith(_ORIGINAL) else None


def audit_range(sub_id: str) -> tuple[str, str]:
    """(PK, SK prefix) of a submission's audit trail."""
    return _SUB + sub_id, _AUDIT


def status_pk(status: str) -> str:
    return f"STATUS#{status}"


def status_index(status: str, at: str, sub_id: str) -> dict[str, str]:
    """by_status: every item of a status, ordered by the time of its last decision."""
    return {"GSI2PK": status_pk(status), "GSI2SK": f"{at}#{sub_id}"}


# "~" sorts after every id character: a bound that excludes everything stamped at ``at``.
def status_after(at: str) -> str:
    return f"{at}#~"


def consultation_pk(slug: str) -> str:
    return f"CONS#{slug}"


def consultation_sk_prefix(status: str) -> str:
    return f"{status}#"


def consultation_index(slug: str, status: str, created: str, sub_id: str) -> dict[str, str]:
    """by_consultation: a consultation's items by status, then by creation."""
    return {
        "GSI3PK": consultation_pk(slug),
        "GSI3SK": f"{consultation_sk_prefix(status)}{created}#{sub_id}",
    }


def target_pk(consultation: str, text: str | None = None, proposal: str | None = None) -> str:
    """by_target partition: the comments on one text, or on one proposal."""
    if text is not None:
        return f"TARGET#{consultation}#{text}"
    if proposal is not None:
        return f"TARGET#{consultation}#proposal#{proposal}"
    raise ValueError("a target is a text or a proposal")


def target_index(fields: dict[str, Any], created: str, sub_id: str) -> dict[str, str]:
    """The by_target keys of a comment; proposals have none (they are listed per
    consultation)."""
    if fields.get("text") is None and fields.get("proposal") is None:
        return {}
    pk = target_pk(fields["consultation"], fields.get("text"), fields.get("proposal"))
    return {"GSI1PK": pk, "GSI1SK": f"{created}#{sub_id}"}


# --- guards and idempotency (all expire through TTL) ----------------------------------------------
def idempotency(fingerprint_key: str) -> dict[str, str]:
    return {"PK": f"IDEM#{fingerprint_key}", "SK": "IDEM"}


def rate(ip_hash: str, window_start: int) -> dict[str, str]:
    return {"PK": f"RATE#{ip_hash}#{window_start}", "SK": "RATE"}


def duplicate(digest: str) -> dict[str, str]:
    return {"PK": f"DUP#{digest}", "SK": "DUP"}


# --- staff tokens (chalicelib.auth) ---------------------------------------------------------------
_STAFF = "STAFF#"
STAFF_INDEX_PK = "STAFF"  # every token under one by_target key: listed without a Scan


def staff_token(digest: str) -> dict[str, str]:
    return {"PK": _STAFF + digest, "SK": "TOKEN"}


def staff_index(created: str, digest: str) -> dict[str, str]:
    return {"GSI1PK": STAFF_INDEX_PK, "GSI1SK": f"{created}#{digest}"}


def staff_digest(pk: str) -> str:
    return pk.removeprefix(_STAFF)


# --- private links, mail and subscriptions (chalicelib.follow, outbox, subscriptions) ----------
OUTBOX_DUE = "MAIL#due"
OUTBOX_FAILED = "MAIL#failed"  # by_status: failed messages, by when they failed


class MailStatus(StrEnum):
    """An outbox message: due → sending → sent; sending → due (a temporary failure, with
    backoff) or failed (out of attempts, or a claim that outlived its lease: never sent twice);
    due → dropped (suppressed address, over a limit, data erased, address refused)."""

    DUE = "due"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


def outbox(message_id: str) -> dict[str, str]:
    return {"PK": f"MAIL#{message_id}", "SK": "MAIL"}


def outbox_due(send_after: str, message_id: str) -> dict[str, str]:
    """by_status: the messages waiting to be sent, oldest due first (removed once sent)."""
    return {"GSI2PK": OUTBOX_DUE, "GSI2SK": f"{send_after}#{message_id}"}


def mail_count(scope: str, day: str) -> dict[str, str]:
    """How many receipts went to one address (``a:<hash>``) or network (``n:<hash>``) on
    ``day`` (the abuse limit of limits.json ``mail``)."""
    return {"PK": f"MAILCOUNT#{scope}#{day}", "SK": "COUNT"}


def suppressed(address_hash: str) -> dict[str, str]:
    return {"PK": f"NOMAIL#{address_hash}", "SK": "NOMAIL"}


def subscription(slug: str, address_hash: str) -> dict[str, str]:
    return {"PK": f"SUBSCR#{slug}#{address_hash}", "SK": "SUBSCR"}


def subscribers_pk(slug: str) -> str:
    return f"SUBSCRIBERS#{slug}"


def subscribers_index(slug: str, address_hash: str) -> dict[str, str]:
    """by_target: the confirmed subscribers of a consultation."""
    return {"GSI1PK": subscribers_pk(slug), "GSI1SK": address_hash}


ANNOUNCEMENTS_PK = "META#announce"


def announcement(slug: str) -> dict[str, str]:
    return {"PK": ANNOUNCEMENTS_PK, "SK": slug}


CONSULTATIONS_SEEN = {"PK": "META#consultations", "SK": "SEEN"}
COUNTS_PK = "META#counts"  # submissions per status, in shards (store.counts)


def counts_shard(n: int) -> dict[str, str]:
    return {"PK": COUNTS_PK, "SK": f"SHARD#{n:02d}"}


# --- campaigns: near-identical submissions grouped (chalicelib.grouping, store.groups) ---------
# A submission's ``group`` is the id of its group (the id of a member); ``group_split``: staff
# took it out of its group, and grouping leaves it alone.
GROUPING_STATE = {"PK": "META#grouping", "SK": "STATE"}
PROPOSALS_TARGET = "proposals"  # the target of a consultation's proposals (they are grouped too)


# --- supports: «Υποστηρίζω» on a published comment or proposal (chalicelib.supports) ------------
def support(item_id: str, address_hash: str) -> dict[str, str]:
    """One address's support of one published item: its keyed hash only, never the address."""
    return {"PK": f"SUPPORT#{item_id}#{address_hash}", "SK": "SUPPORT"}


# --- the publish machinery ------------------------------------------------------------------------
PUBLISH_STATE = {"PK": "META#publish", "SK": "STATE"}
PUBLISH_LOCK = {"PK": "LOCK#publish", "SK": "LOCK"}
