"""The reading side of moderation: the queue (paginated Queries on the by_status or
by_consultation index, never a Scan), one item with its audit trail, counts per status and what
awaits publishing. Staff see an allowlist of fields (never email or ip_hash) plus each item's
context: the consultation and text titles from the manifest, a link to the page and paragraph on
the site, the title of the proposal a comment is about.

The manifest carries paragraph ids but not their text, so the context gives the paragraph id
and a link to ``<text url>#<paragraph id>``; the page shows the paragraph there.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib import config, db
from chalicelib.errors import ApiError
from chalicelib.spec import limits

logger = logging.getLogger(__name__)

STATUSES = ("pending", "approved", "rejected", "hidden")
STATE_LABELS = {
    "pending": "Σε αναμονή",
    "approved": "Εγκρίθηκε",
    "rejected": "Απορρίφθηκε",
    "hidden": "Κρυφό",
}
STATE_KEY = {"PK": "META#publish", "SK": "STATE"}
LIST_PARAMS = frozenset({"status", "consultation", "order", "limit", "cursor"})
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ITEM_ID = re.compile(r"^[0-9a-z]{1,64}$")

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
)


def list_items(params: Mapping[str, str] | None) -> dict[str, Any]:
    """One page of the queue: by_status, or by_consultation when a consultation is given."""
    params = _known(params, LIST_PARAMS)
    status = params.get("status", "pending")
    consultation = params.get("consultation") or None
    order = params.get("order", "oldest")  # first come, first moderated
    errors = {}
    if status not in STATUSES:
        errors["status"] = "Άγνωστη κατάσταση."
    if consultation is not None and not SLUG.match(consultation):
        errors["consultation"] = "Μη έγκυρο αναγνωριστικό διαβούλευσης."
    if order not in ("newest", "oldest"):
        errors["order"] = "Η ταξινόμηση είναι newest ή oldest."
    limit = _limit(params.get("limit"), errors)
    if errors:
        raise ApiError("validation", fields=errors)
    if consultation:
        index, pk_name, pk = "by_consultation", "GSI3", f"CONS#{consultation}"
        condition = Key("GSI3PK").eq(pk) & Key("GSI3SK").begins_with(f"{status}#")
    else:
        index, pk_name, pk = "by_status", "GSI2", f"STATUS#{status}"
        condition = Key("GSI2PK").eq(pk)
    scope = f"{status}|{consultation or ''}|{order}"
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ScanIndexForward": order == "oldest",
        "Limit": limit,
    }
    if params.get("cursor"):
        kwargs["ExclusiveStartKey"] = _decode_cursor(params["cursor"], scope, pk_name, pk)
    page = db.table().query(**kwargs)
    last = page.get("LastEvaluatedKey")
    return {
        "status": status,
        "order": order,
        "items": with_context(page.get("Items", [])),
        "cursor": _encode_cursor(last, scope) if last else None,
    }


def get_item(item_id: str) -> dict[str, Any]:
    """One submission with its context and its audit trail, oldest entry first."""
    item = read(item_id)
    trail = db.table().query(
        KeyConditionExpression=Key("PK").eq(f"SUB#{item_id}") & Key("SK").begins_with("AUDIT#"),
        ConsistentRead=True,
    )
    return {
        "item": with_context([item])[0],
        "audit": [public_audit(a) for a in trail.get("Items", [])],
    }


def summary(params: Mapping[str, str] | None) -> dict[str, Any]:
    """Counts per status (COUNT queries on the indexes, never a Scan) and the labels the page
    shows (from limits.json, so the page copies none)."""
    params = _known(params, {"consultation"})
    consultation = params.get("consultation") or None
    if consultation is not None and not SLUG.match(consultation):
        raise ApiError("validation", fields={"consultation": "Μη έγκυρο αναγνωριστικό."})
    counts = {status: _count(status, consultation) for status in STATUSES}
    return {
        "counts": counts,
        "status_labels": STATE_LABELS,
        "reasons": limits()["moderation_reasons"],
        "respondent_types": limits()["respondent_types"],
    }


def decided_unpublished(params: Mapping[str, str] | None) -> dict[str, Any]:
    """Approved or hidden items decided after the publish watermark, newest first."""
    params = _known(params, {"limit"})
    errors: dict[str, str] = {}
    limit = _limit(params.get("limit"), errors)
    if errors:
        raise ApiError("validation", fields=errors)
    state = db.table().get_item(Key=STATE_KEY, ConsistentRead=True).get("Item") or {}
    watermark = state.get("watermark")
    items, total = [], 0
    for status in ("approved", "hidden"):
        condition = Key("GSI2PK").eq(f"STATUS#{status}")
        if watermark:  # "~" sorts after every id character: decided at the watermark is out
            condition &= Key("GSI2SK").gt(f"{watermark}#~")
        total += _count_where(condition, "by_status")
        page = db.table().query(
            IndexName="by_status",
            KeyConditionExpression=condition,
            ScanIndexForward=False,
            Limit=limit,
        )
        items.extend(page.get("Items", []))
    items.sort(key=lambda i: i.get("GSI2SK", ""), reverse=True)
    return {
        "watermark": watermark,
        "last_decision_at": state.get("last_decision_at"),
        "count": total,
        "items": with_context(items[:limit]),
    }


def read(item_id: str) -> dict[str, Any]:
    if not ITEM_ID.match(item_id or ""):
        raise ApiError("not_found")
    item = db.table().get_item(Key={"PK": f"SUB#{item_id}", "SK": "SUB"}, ConsistentRead=True)
    if "Item" not in item:
        raise ApiError("not_found")
    return item["Item"]


def _count(status: str, consultation: str | None) -> int:
    if consultation:
        condition = Key("GSI3PK").eq(f"CONS#{consultation}") & Key("GSI3SK").begins_with(
            f"{status}#"
        )
        return _count_where(condition, "by_consultation")
    return _count_where(Key("GSI2PK").eq(f"STATUS#{status}"), "by_status")


def _count_where(condition: Any, index: str) -> int:
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "Select": "COUNT",
    }
    total = 0
    while True:
        page = db.table().query(**kwargs)
        total += page.get("Count", 0)
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _known(params: Mapping[str, str] | None, allowed: set[str] | frozenset[str]) -> dict[str, str]:
    """The query parameters as a dict, refusing any outside the allowlist."""
    params = dict(params or {})
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ApiError("unknown_field", fields={k: "Άγνωστη παράμετρος." for k in unknown})
    return params


def _limit(raw: str | None, errors: dict[str, str]) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        errors["limit"] = f"Ακέραιος από 1 έως {MAX_LIMIT}."
        return DEFAULT_LIMIT
    return int(raw)


def _encode_cursor(last_key: dict[str, Any], scope: str) -> str:
    raw = json.dumps({"k": last_key, "s": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, scope: str, pk_name: str, pk: str) -> dict[str, str]:
    """The ExclusiveStartKey inside an opaque cursor, checked to belong to this very query."""
    invalid = ApiError("validation", fields={"cursor": "Μη έγκυρος δείκτης σελίδας."})
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    key = data.get("k") if isinstance(data, dict) else None
    expected = {"PK", "SK", f"{pk_name}PK", f"{pk_name}SK"}
    if (
        data.get("s") != scope
        or not isinstance(key, dict)
        or set(key) != expected
        or not all(isinstance(v, str) for v in key.values())
        or key[f"{pk_name}PK"] != pk
    ):
        raise invalid
    return key


def public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(item[k]) for k in ITEM_FIELDS if k in item}


def public_audit(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(entry[k]) for k in AUDIT_FIELDS if k in entry}


def with_context(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The public fields of ``items``, each with a ``context`` object."""
    titles = _proposal_titles({i["proposal"] for i in items if i.get("proposal")})
    site = config.get().site_url
    index = _manifest_index(config.get().manifest_path)
    result = []
    for item in items:
        public = public_item(item)
        public["context"] = _context(item, index, titles, site)
        result.append(public)
    return result


def _context(
    item: dict[str, Any], index: dict[str, Any], titles: dict[str, str], site: str
) -> dict[str, Any]:
    cons = index.get(item.get("consultation", ""), {})
    context: dict[str, Any] = {"consultation_title": cons.get("title")}
    base = cons.get("url") or f"/diavoulefseis/{item.get('consultation', '')}/"
    if item.get("kind") == "proposal":
        context["url"] = f"{site}{base}protaseis/{item['id']}/"
    elif item.get("proposal"):
        context["proposal_title"] = titles.get(item["proposal"])
        context["url"] = f"{site}{base}protaseis/{item['proposal']}/"
    elif item.get("text"):
        text = cons.get("texts", {}).get(item["text"], {})
        context["text_title"] = text.get("title")
        url = f"{site}{text.get('url') or base + item['text'] + '/'}"
        paragraph = item.get("paragraph")
        if paragraph:
            context["paragraph_known"] = paragraph in text.get("paragraphs", ())
            url += f"#{paragraph}"
        context["url"] = url
    return {k: v for k, v in context.items() if v is not None}


def _manifest_index(path: Path) -> dict[str, Any]:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        logger.warning("moderation: manifest %s missing; items shown without titles", path)
        return {}
    return _load_index(path, mtime)


@lru_cache(maxsize=4)
def _load_index(path: Path, mtime: int) -> dict[str, Any]:
    """Titles and URLs by slug, re-read when the file changes (mtime is part of the key)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return {
            c["slug"]: {
                "title": c["title"],
                "url": c["url"],
                "texts": {
                    t["slug"]: {"title": t["title"], "url": t["url"], "paragraphs": t["paragraphs"]}
                    for t in c["texts"]
                },
            }
            for c in data["consultations"]
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("moderation: manifest %s unreadable (%s)", path, exc)
        return {}


def _proposal_titles(ids: set[str]) -> dict[str, str]:
    """Titles of the proposals some comments are about (one BatchGetItem per 100)."""
    if not ids:
        return {}
    table = db.table()
    titles: dict[str, str] = {}
    keys = [{"PK": f"SUB#{i}", "SK": "SUB"} for i in sorted(ids)]
    for start in range(0, len(keys), 100):
        request = {
            table.name: {
                "Keys": keys[start : start + 100],
                "ProjectionExpression": "id, title",
            }
        }
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            for found in answer.get("Responses", {}).get(table.name, []):
                if "title" in found:
                    titles[found["id"]] = found["title"]
            request = answer.get("UnprocessedKeys") or {}
    return titles


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; answer them as int."""
    if isinstance(value, bool) or not hasattr(value, "as_integer_ratio"):
        return value
    return int(value)
