"""The approved-submissions snapshot: loading, validating, and attaching it to the model.

The snapshot's ``withdrawn`` entries (items their authors withdrew after publication) become
placeholders: a withdrawn comment keeps its place in its thread (its anchor, the replies under
it) and a withdrawn proposal keeps its page (a placeholder title and its comments). They are kept
apart from the targets' ``comments`` and the consultation's ``proposals``, which the counts, the
results and the feeds read."""

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema

from chalicelib.snapshot import WITHDRAWN, validate
from chalicelib.snapshot_shards import merged
from chalicelib.spec import limits
from chalicelib.store.keys import Status
from plugins.consultations.models import Answer, Author, Comment, Consultation, Proposal

from .groups import fold

logger = logging.getLogger(__name__)

ANONYMOUS = {"citizen": "Ανώνυμος πολίτης", "organisation": "Ανώνυμος φορέας"}
WITHDRAWN_LABEL = Status.WITHDRAWN.label  # «Αποσύρθηκε από τον συντάκτη», in the placeholders
# Beside a text staff shortened before publishing it (the terms say when they may).
REDACTED_LABEL = (
    "Δημοσιεύεται με περικοπή από τον Δήμο: αφαιρέθηκαν προσωπικά δεδομένα ή περιεχόμενο "
    "που αντίκειται στους όρους συμμετοχής."
)
NOBODY = Author("citizen", None, None, None, label="", detail="")  # a placeholder's: not shown


class SnapshotError(Exception):
    """The snapshot exists but cannot be used: the build stops rather than drop comments."""


def load_snapshot(
    path: str | Path | None, validated: bool = False, only: set[str] | None = None
) -> dict[str, Any] | None:
    """The validated snapshot, or None when there is none yet (a site with no submissions).
    ``validated``: the publish step has just validated this very file (SNAPSHOT_VALIDATED);
    ``only``: of a folder of shards, those consultations' (the others are settled)."""
    if not path or not (Path(path).is_file() or Path(path).is_dir()):
        logger.info("No snapshot at %s: building without submissions", path)
        return None
    try:
        if Path(path).is_dir():  # the publish step's: one shard per consultation
            data = merged(Path(path), only)
        else:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"Μη αναγνώσιμο στιγμιότυπο υποβολών {path}: {exc}") from exc
    if validated:
        return data
    try:
        validate(data)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(ρίζα)"
        raise SnapshotError(f"Άκυρο στιγμιότυπο υποβολών {path}: {where}: {exc.message}") from exc
    return data


def author(data: dict[str, Any]) -> Author:
    """What the site shows for an author: their name only if they chose to publish it."""
    kind = data["respondent_type"]
    org_type = data.get("organisation_type")
    if kind == "organisation":
        label = data.get("organisation_name") or ANONYMOUS[kind]
        detail = limits()["organisation_types"].get(org_type, "") if org_type else ""
    else:
        label = data.get("display_name") or ANONYMOUS[kind]
        detail = ""
    return Author(
        respondent_type=kind,
        # an organisation is published by its name only, never its representative's
        display_name=data.get("display_name") if kind != "organisation" else None,
        organisation_name=data.get("organisation_name"),
        organisation_type=org_type,
        label=label,
        detail=detail,
    )


def answer(data: dict[str, Any] | None) -> Answer | None:
    """The municipality's answer with its disposition in words (limits.json)."""
    if not data:
        return None
    labels = limits()["dispositions"]["labels"]
    return Answer(
        disposition=data["disposition"],
        label=labels[data["disposition"]],
        text=data["text"],
        answered_at=data["answered_at"],
    )


def _comment(item: dict[str, Any]) -> Comment:
    return Comment(
        id=item["id"],
        reference=item["reference"],
        body=item["body"],
        author=author(item["author"]),
        paragraph=item.get("paragraph"),
        parent=item.get("parent"),
        created_at=item["created_at"],
        approved_at=item["approved_at"],
        answer=answer(item.get("answer")),
        participant=item.get("participant"),
        redacted=bool(item.get("redacted")),
        group=item.get("group"),
        supports=int(item.get("supports") or 0),
    )


def _placeholder(item: dict[str, Any]) -> Comment:
    return Comment(
        id=item["id"],
        reference="",
        body="",
        author=NOBODY,
        paragraph=item.get("paragraph"),
        parent=item.get("parent"),
        created_at=item["created_at"],
        approved_at="",
        withdrawn=True,
    )


def _placeholder_proposal(item: dict[str, Any], consultation: Consultation) -> Proposal:
    """A withdrawn proposal: its page stays at its address, titled by the placeholder."""
    return Proposal(
        id=item["id"],
        reference="",
        title=WITHDRAWN_LABEL,
        body="",
        location=None,
        author=NOBODY,
        created_at=item["created_at"],
        approved_at="",
        url=consultation.proposal_url(item["id"]),
        withdrawn=True,
    )


def thread(comments: list[Comment]) -> list[Comment]:
    """Replies under their parents (a reply whose parent is not published stands alone)."""
    by_id = {c.id: c for c in comments}
    for c in comments:
        c.replies = []
    top: list[Comment] = []
    for c in comments:
        parent = by_id.get(c.parent) if c.parent else None
        (parent.replies if parent is not None and parent is not c else top).append(c)
    return top


def attach(consultations: list[Consultation], snapshot: dict[str, Any]) -> None:
    """Give each text and proposal its approved comments, oldest first, threaded, with the
    placeholders of the withdrawn ones in their places; groups folded for display (groups.py)."""
    by_slug = {c.slug: c for c in consultations}
    for c in consultations:
        c.proposals = []
        c.withdrawn_proposals = []
    withdrawn = sorted(snapshot.get(WITHDRAWN, []), key=lambda x: (x["created_at"], x["id"]))
    for item in (w for w in withdrawn if w["kind"] == "proposal"):
        if (consultation := by_slug.get(item["consultation"])) is not None:
            consultation.withdrawn_proposals.append(_placeholder_proposal(item, consultation))
    for item in sorted(snapshot["proposals"], key=lambda p: (p["approved_at"], p["id"])):
        consultation = by_slug.get(item["consultation"])
        if consultation is None:
            logger.warning("Proposal %s: unknown consultation %s", item["id"], item["consultation"])
            continue
        consultation.proposals.append(
            Proposal(
                id=item["id"],
                reference=item["reference"],
                title=item["title"],
                body=item["body"],
                location=item.get("location"),
                author=author(item["author"]),
                created_at=item["created_at"],
                approved_at=item["approved_at"],
                answer=answer(item.get("answer")),
                participant=item.get("participant"),
                redacted=bool(item.get("redacted")),
                group=item.get("group"),
                supports=int(item.get("supports") or 0),
                url=consultation.proposal_url(item["id"]),
            )
        )
    targets: dict[tuple[str, str, str], Any] = {}
    for c in consultations:
        fold(c.proposals)  # a group of near-identical proposals listed once
        targets.update({(c.slug, "text", t.slug): t for t in c.texts})
        targets.update({(c.slug, "proposal", p.id): p for p in c.proposals})
        targets.update({(c.slug, "proposal", p.id): p for p in c.withdrawn_proposals})
    grouped: dict[tuple[str, str, str], list[Comment]] = defaultdict(list)
    placed: dict[tuple[str, str, str], list[Comment]] = defaultdict(list)
    for item in sorted(snapshot["comments"], key=lambda x: (x["created_at"], x["id"])):
        key = _target(item)
        if key not in targets:
            logger.warning("Comment %s: unknown target %s", item["id"], "/".join(key))
            continue
        grouped[key].append(_comment(item))
    for item in (w for w in withdrawn if w["kind"] == "comment"):
        if _target(item) in targets:  # else its target is gone too: nothing to hold a place in
            placed[_target(item)].append(_placeholder(item))
    for key in grouped.keys() | placed.keys():
        target = targets[key]
        target.comments, target.placeholders = grouped.get(key, []), placed.get(key, [])
        everything = sorted(
            target.comments + target.placeholders, key=lambda x: (x.created_at, x.id)
        )
        if key[1] == "proposal":
            target.threads = thread(everything)
            fold(target.threads)
            continue
        paragraph_ids = {p.id for p in target.paragraphs}
        threads: dict[str | None, list[Comment]] = defaultdict(list)
        for top in thread(everything):
            threads[top.paragraph if top.paragraph in paragraph_ids else None].append(top)
        for tops in threads.values():  # a group is shown once per paragraph it is on
            fold(tops)
        target.threads = dict(threads)
        target.paragraph_counts = {
            pid: sum(_size(top) for top in tops) for pid, tops in threads.items() if pid
        }
        target.paragraph_answers = {
            pid: _dispositions(tops) for pid, tops in threads.items() if pid
        }


def _target(item: dict[str, Any]) -> tuple[str, str, str]:
    if item.get("text"):
        return (item["consultation"], "text", item["text"])
    return (item["consultation"], "proposal", item.get("proposal") or "")


def _size(comment: Comment) -> int:
    """The published comments of a thread (a placeholder is not one; its replies are)."""
    return (0 if comment.withdrawn else 1) + sum(_size(reply) for reply in comment.replies)


def _dispositions(tops: list[Comment]) -> dict[str, int]:
    """disposition → answered comments of a paragraph, replies included, in limits.json order."""
    found: dict[str, int] = defaultdict(int)
    stack = list(tops)
    while stack:
        comment = stack.pop()
        stack.extend(comment.replies)
        if comment.answer is not None:
            found[comment.answer.disposition] += 1
    order = list(limits()["dispositions"]["labels"])
    return {code: found[code] for code in order if found[code]}
