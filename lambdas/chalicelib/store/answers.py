"""The municipality's answers: the ``answer`` attribute of an approved submission item.

An answer is one transaction, like a decision: the item (conditional on being approved and on
the version read, so of two members of staff answering at once exactly one wins), its audit
entry (which keeps the answer it replaced) and the decision count on the publish state item, so
that the next publish takes it. The item's ``by_status`` sort key moves to the answer's time:
that is how the publish step's delta (chalicelib.snapshot_delta) finds what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.store import decisions, keys

AUDIT_ACTION = "answer"


@dataclass(frozen=True)
class Answer:
    """One answer, checked by chalicelib.answers: what the write needs."""

    disposition: str
    text: str
    at: str
    by: str

    def stored(self) -> dict[str, str]:
        """The item's ``answer`` attribute (published without ``answered_by``)."""
        return {
            "disposition": self.disposition,
            "text": self.text,
            "answered_at": self.at,
            "answered_by": self.by,
        }


def answerable(item: dict[str, Any]) -> bool:
    """Only an approved (published) item gets an answer."""
    return item.get("status") == keys.ANSWERABLE


def audit_entry(item: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """The audit entry of ``answer`` on ``item``; it keeps the answer it replaces."""
    entry = decisions.audit_base(item, answer.at, answer.by, AUDIT_ACTION, item["status"])
    entry.update(disposition=answer.disposition, answer_text=answer.text)
    previous = item.get("answer")
    if isinstance(previous, dict):
        entry["previous_disposition"] = previous.get("disposition")
        entry["previous_answer_text"] = previous.get("text")
    return entry


def write(table: Any, item: dict[str, Any], answer: Answer, audit: dict[str, Any]) -> None:
    """The one transaction of an answer (store.submissions ``audited``): the item must still
    be as read, so approved (``answerable``, checked by the caller) and of the same version."""
    sets, values = changes(item, answer)
    decisions.audited(table, item, audit, at=answer.at, sets=sets, values=values)


def changes(item: dict[str, Any], answer: Answer) -> tuple[list[str], dict[str, Any]]:
    """What an answer sets on ``item`` (``write``; a group's batch: store.group_decisions): the
    ``answer`` map and the by_status stamp moved to the answer's time."""
    sort_key = keys.status_index(item["status"], answer.at, item["id"])["GSI2SK"]
    return ["answer = :answer", "GSI2SK = :gsi2sk"], {
        ":answer": answer.stored(),
        ":gsi2sk": sort_key,
    }


def same(item: dict[str, Any], answer: Answer) -> bool:
    """Does ``item`` already carry this answer (disposition and text)? A group's answer run
    again skips it."""
    given = item.get("answer")
    return (
        isinstance(given, dict)
        and given.get("disposition") == answer.disposition
        and given.get("text") == answer.text
    )


def applied(item: dict[str, Any], answer: Answer) -> dict[str, Any]:
    """The item as ``write`` left it (saves a read after the write)."""
    return {
        **item,
        "answer": answer.stored(),
        "updated_at": answer.at,
        "version": int(item.get("version", 0)) + 1,
        **keys.status_index(item["status"], answer.at, item["id"]),
    }
