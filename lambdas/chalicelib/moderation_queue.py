"""The reading side of moderation: the queue (paginated Queries on the by_status or
by_consultation index, never a Scan), one item with its audit trail, counts per status and what
awaits publishing. Staff see an allowlist of fields (never email or ip_hash) plus each item's
context: the consultation and text titles from the manifest, a link to the page and paragraph on
the site, the title of the proposal a comment is about.

The manifest carries paragraph ids but not their text, so the context gives the paragraph id
and a link to ``<text url>#<paragraph id>``; the page shows the paragraph there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib import clock, config, cursors, db, manifest
from chalicelib.errors import ApiError
from chalicelib.spec import limits
from chalicelib.store import counts as submission_counts
from chalicelib.store import keys, queries, state, submissions
from chalicelib.store.keys import Status

logger = logging.getLogger(__name__)

STATUSES = tuple(s.value for s in Status)
LIST_PARAMS = frozenset(
    {"status", "consultation", "text", "paragraph", "order", "limit", "cursor"}
    | {"group", "older_than"}  # one campaign group's members; created more than N hours ago
)
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
# Matched whole (fullmatch): "$" would let a trailing newline through.
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
ITEM_ID = re.compile(r"[0-9a-z]{1,64}")
PARAGRAPH = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,79}")  # plugins/consultations/paragraphs.py
LIMIT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²".isdigit() is True
HOURS = re.compile(r"[0-9]{1,6}")  # older_than: whole hours
# The publish state's build_error as staff see it (a content file's mistake stops the publish).
BUILD_ERROR_FIELDS = ("file", "field", "problem", "at")

# Returned to staff; everything else (email, ip_hash, submission_key, consent, keys) stays in.
ITEM_FIELDS = (
    "id",
    "kind",
    "status",
    "reference",
    "consultation",
    "text",
    "proposal",
    "paragraph",
    "parent",
    "title",
    "location",
    "body",
    "respondent_type",
    "display_name",
    "publish_name",
    "organisation_name",
    "organisation_type",
    "created_at",
    "updated_at",
    "version",
    "decided_at",
    "decided_by",
    "decision_reason",
    "decision_note",
    "approved_at",
    "redacted",
    "answer",  # disposition, text, answered_at, answered_by (chalicelib.store.answers)
    "group",  # its campaign group (chalicelib.grouping): the id of a member
    "group_split",  # staff took it out of its group
)
AUDIT_FIELDS = (
    "at",
    "by",
    "action",
    "from_status",
    "to_status",
    "reason",
    "note",
    "version",
    "redacted",
    "original_body",
    "disposition",
    "answer_text",
    "previous_disposition",
    "previous_answer_text",
    "group",  # a group's decision or answer, or the group an item was split from
)


def list_items(params: Mapping[str, str] | None) -> dict[str, Any]:
    """One page of the queue: by_status, or by_consultation when a consultation is given, or
    the comments of one text (and paragraph) when a text is given too, or the members of one
    campaign group (``group``); ``older_than``: only items created more than that many hours
    ago. ``groups``: the summary of every group among the page's items
    (chalicelib.moderation_groups)."""
    from chalicelib import moderation_groups  # it reads the queue's helpers from here

    params = known_params(params, LIST_PARAMS)
    status = params.get("status", Status.PENDING.value)
    consultation = params.get("consultation") or None
    text = params.get("text") or None
    paragraph = params.get("paragraph") or None
    order = params.get("order", "oldest")  # first come, first moderated
    errors = {}
    if status not in STATUSES:
        errors["status"] = "Άγνωστη κατάσταση."
    if consultation is not None and not SLUG.fullmatch(consultation):
        errors["consultation"] = "Μη έγκυρο αναγνωριστικό διαβούλευσης."
    if text is not None and (consultation is None or not SLUG.fullmatch(text)):
        errors["text"] = "Μη έγκυρο κείμενο (χρειάζεται και η διαβούλευση)."
    if paragraph is not None and (text is None or not PARAGRAPH.fullmatch(paragraph)):
        errors["paragraph"] = "Μη έγκυρη παράγραφος (χρειάζεται και το κείμενο)."
    if order not in ("newest", "oldest"):
        errors["order"] = "Η ταξινόμηση είναι newest ή oldest."
    limit = page_limit(params.get("limit"), errors)
    group, hours = params.get("group") or None, params.get("older_than")
    if group is not None and not ITEM_ID.fullmatch(group):
        errors["group"] = "Μη έγκυρο αναγνωριστικό ομάδας."
    if hours is not None and not HOURS.fullmatch(hours):
        errors["older_than"] = "Ώρες: ακέραιος από 0 έως 999999."
    if errors:
        raise ApiError("validation", fields=errors)
    cutoff = clock.iso(clock.now() - timedelta(hours=int(hours))) if hours else None
    scope = f"{status}|{consultation or ''}|{text or ''}|{paragraph or ''}|{order}"
    scope += f"|{hours}" if hours else ""
    cursor = params.get("cursor")
    if group is not None:
        where = moderation_groups.Where(status, consultation, text, paragraph, cutoff)
        return moderation_groups.queue_page(group, where, order, limit, cursor, scope)
    start = _decode_cursor(cursor, scope, status, consultation, text) if cursor else None
    items, last = queries.page(
        db.table(),
        status,
        consultation,
        oldest_first=order == "oldest",
        limit=limit,
        start=start,
        text=text,
        paragraph=paragraph,
    )
    if cutoff is not None:  # created before it (a filter: a page may hold fewer than limit)
        newer = any(str(i.get("created_at", "")) >= cutoff for i in items)
        items = [i for i in items if str(i.get("created_at", "")) < cutoff]
        # Sorted by creation (a consultation's or a text's, and pending ones by_status): past
        # the first newer item, only newer ones follow.
        if newer and order == "oldest" and (consultation or status == Status.PENDING):
            last = None
    return {
        "status": status,
        "order": order,
        "items": with_context(items),
        "cursor": cursors.encode(last, scope) if last else None,
        "groups": moderation_groups.summaries(items),
    }


def get_item(item_id: str) -> dict[str, Any]:
    """One submission with its context and its audit trail, oldest entry first."""
    item = read(item_id)
    trail = queries.audit_trail(db.table(), item_id)
    return {"item": with_context([item])[0], "audit": [public_audit(a) for a in trail]}


def summary(params: Mapping[str, str] | None) -> dict[str, Any]:
    """Counts per status (the counts' shards: chalicelib.store.counts) and what waits in each
    consultation (``waiting``: its pending count, from the same read), what the last publish had
    to leave out, why the site did not build (``build_error``, None when it did), and everything
    the moderation page shows or checks: statuses, the actions allowed from each, reasons,
    limits. The page copies none of these."""
    params = known_params(params, {"consultation"})
    consultation = params.get("consultation") or None
    if consultation is not None and not SLUG.fullmatch(consultation):
        raise ApiError("validation", fields={"consultation": "Μη έγκυρο αναγνωριστικό."})
    table = db.table()
    every = submission_counts.read_all(table, _known_consultations(consultation))
    published = state.read(table)
    spec = limits()
    return {
        "counts": every[consultation or submission_counts.SITE],
        # what waits in each consultation (the manifest's and any the counts hold)
        "waiting": {
            slug: counted[Status.PENDING.value]
            for slug, counted in every.items()
            if slug != submission_counts.SITE
        },
        "attention": [
            {"id": str(a["id"]), "problem": str(a["problem"])}
            for a in published.get("attention", [])
        ],
        "build_error": _build_error(published.get("build_error")),
        "status_labels": {s.value: s.label for s in Status},
        "actions": {
            a.value: {
                "label": keys.ACTION_LABELS[a],
                "to": a.target.value,
                "needs_reason": a in keys.NEEDS_REASON,
            }
            for a in keys.Action
        },
        "transitions": {s.value: keys.actions_from(s) for s in Status},
        "redactable": keys.REDACTABLE.value,
        "reasons": spec["moderation_reasons"],
        "dispositions": spec["dispositions"]["labels"],
        "answerable": keys.ANSWERABLE.value,
        "respondent_types": spec["respondent_types"],
        "limits": {
            "note": spec["fields"]["reason_text"]["max"],
            "body": spec["fields"]["body"],
            "proposal_body": spec["fields"]["proposal_body"],
            "answer": spec["fields"]["answer_text"],
            "answer_ids": spec["fields"]["answer_ids"]["max"],
        },
    }


def _build_error(stored: Any) -> dict[str, str | None] | None:
    """Why the last publish did not build the site (recorded by ``state.record_build_error``,
    removed by the next publish that builds): only the allowlisted keys, each a string or None."""
    if not isinstance(stored, Mapping):
        return None
    return {
        name: None if stored.get(name) is None else str(stored[name]) for name in BUILD_ERROR_FIELDS
    }


def _known_consultations(asked: str | None) -> list[str]:
    """The site's consultations (and the one asked about), for a table's very first count."""
    site = manifest.usable()
    return sorted({*(site.consultations if site else ())} | ({asked} if asked else set()))


def decided_unpublished(params: Mapping[str, str] | None) -> dict[str, Any]:
    """Approved or hidden items decided after the publish watermark, newest first."""
    params = known_params(params, {"limit"})
    errors: dict[str, str] = {}
    limit = page_limit(params.get("limit"), errors)
    if errors:
        raise ApiError("validation", fields=errors)
    table = db.table()
    published = state.read(table)
    watermark = published.get("watermark")
    items, total = [], 0
    for status in (Status.APPROVED, Status.HIDDEN):
        # Counted since the watermark: the backlog of one publish. Before the first publish
        # everything is unpublished, and the counts say how much without reading it all.
        found, count = queries.newest_decided(
            table, status, watermark, limit, count=bool(watermark)
        )
        items.extend(found)
        total += count
    if not watermark:
        counts = submission_counts.read(table, None, _known_consultations(None))
        total = counts[Status.APPROVED] + counts[Status.HIDDEN]
    items.sort(key=lambda i: i.get("GSI2SK", ""), reverse=True)
    return {
        "watermark": watermark,
        "last_decision_at": published.get("last_decision_at"),
        "count": total,
        "items": with_context(items[:limit]),
    }


def read(item_id: str) -> dict[str, Any]:
    if not ITEM_ID.fullmatch(item_id or ""):
        raise ApiError("not_found")
    item = submissions.get(db.table(), item_id)
    if item is None:
        raise ApiError("not_found")
    return item


def known_params(
    params: Mapping[str, str] | None, allowed: set[str] | frozenset[str]
) -> dict[str, str]:
    """The query parameters as a dict, refusing any outside the allowlist."""
    params = dict(params or {})
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ApiError("unknown_field", fields={k: "Άγνωστη παράμετρος." for k in unknown})
    return params


def page_limit(raw: str | None, errors: dict[str, str]) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        errors["limit"] = f"Ακέραιος από 1 έως {MAX_LIMIT}."
        return DEFAULT_LIMIT
    return int(raw)


def _decode_cursor(
    cursor: str, scope: str, status: str, consultation: str | None, text: str | None = None
) -> dict[str, str]:
    """The ExclusiveStartKey inside an opaque cursor, checked to belong to this very query."""
    pk_name, sk_name, pk = queries.page_key_names(status, consultation, text)
    key = cursors.decode(cursor, scope, {"PK", "SK", pk_name, sk_name})
    if key[pk_name] != pk:
        raise ApiError("validation", fields={"cursor": cursors.BAD_CURSOR})
    return key


def public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(item[k]) for k in ITEM_FIELDS if k in item}


def public_audit(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(entry[k]) for k in AUDIT_FIELDS if k in entry}


def with_context(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The public fields of ``items``, each with a ``context`` object."""
    wanted = {i["proposal"] for i in items if i.get("proposal")}
    titles = submissions.titles(db.table(), wanted) if wanted else {}
    site = config.get().site_url
    consultations = _consultations()
    result = []
    for item in items:
        public = public_item(item)
        public["context"] = _context(item, consultations, titles, site)
        result.append(public)
    return result


def _consultations() -> dict[str, manifest.Consultation]:
    """The manifest's consultations; none (items shown without titles) when it is unusable."""
    try:
        return manifest.current().consultations
    except manifest.ManifestError as exc:
        logger.warning("moderation: no manifest (%s); items shown without titles", exc)
        return {}


def proposal_url(consultation: manifest.Consultation, proposal_id: str) -> str:
    """The proposal's page, from the manifest's pattern (the site's settings spell the path);
    the consultation's page when an older manifest has no pattern."""
    if not consultation.proposal_url:
        return consultation.url
    return consultation.proposal_url.replace("{id}", proposal_id)


def _context(
    item: dict[str, Any],
    consultations: dict[str, manifest.Consultation],
    titles: dict[str, str],
    site: str,
) -> dict[str, Any]:
    cons = consultations.get(item.get("consultation", ""))
    if cons is None:  # a consultation removed from the site since: no title, no link
        return {}
    context: dict[str, Any] = {"consultation_title": cons.title}
    if item.get("kind") == "proposal":
        context["url"] = site + proposal_url(cons, item["id"])
    elif item.get("proposal"):
        context["proposal_title"] = titles.get(item["proposal"])
        context["url"] = site + proposal_url(cons, item["proposal"])
    elif item.get("text"):
        text = cons.texts.get(item["text"])
        url = site + (text.url if text else cons.url)
        if text:
            context["text_title"] = text.title
        paragraph = item.get("paragraph")
        if paragraph:
            context["paragraph_known"] = text is not None and paragraph in text.paragraphs
            url += f"#{paragraph}"
        context["url"] = url
    return {k: v for k, v in context.items() if v is not None}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; answer them as int."""
    if isinstance(value, bool) or not hasattr(value, "as_integer_ratio"):
        return value
    return int(value)
