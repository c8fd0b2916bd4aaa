"""Reading the table: submissions by status, by consultation, by target, their audit trails and
counts. Queries on the indexes only, never a Scan; each function pages through DynamoDB's 1 MB
pages itself unless it is asked for one page (the moderation queue pages for its client)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from chalicelib import clock
from chalicelib.store import keys

# progress(done) after every page of a long query: the command line shows it with rich.
Progress = Callable[[int], None]


PAGE_LIMIT = 1000


def pages(table: Any, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    # A page with a Limit: DynamoDB Local reads the rest of the partition for a page without
    # one, which makes paging through 200,000 approved items quadratic (and each page slower
    # than the read timeout); on DynamoDB 1,000 items of about 1 KB are its own 1 MB page.
    kwargs = {"Limit": PAGE_LIMIT, **kwargs}
    while True:
        page = table.query(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs = {**kwargs, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def status_condition(status: str, after: str | None = None) -> ConditionBase:
    """by_status items of ``status``; with ``after``, decided after that ``GSI2SK`` bound."""
    condition = Key("GSI2PK").eq(keys.status_pk(status))
    return condition & Key("GSI2SK").gt(after) if after is not None else condition


def consultation_condition(slug: str, status: str) -> ConditionBase:
    return Key("GSI3PK").eq(keys.consultation_pk(slug)) & Key("GSI3SK").begins_with(
        keys.consultation_sk_prefix(status)
    )


def by_status(
    table: Any,
    status: str,
    after: str | None = None,
    progress: Progress | None = None,
    page_size: int | None = None,
    projection: str | None = None,
) -> list[dict[str, Any]]:
    """Every item of ``status`` (see ``status_condition``), page by page. The index is
    eventually consistent, so an item whose status moved on since is dropped."""
    items: list[dict[str, Any]] = []
    for found in by_status_pages(table, status, after, page_size, projection):
        items.extend(found)
        if progress:
            progress(len(items))
    return items


def by_status_pages(
    table: Any,
    status: str,
    after: str | None = None,
    page_size: int | None = None,
    projection: str | None = None,
    names: dict[str, str] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """``by_status`` one page at a time: a full export of a large site keeps one page of raw
    items in memory, not all of them."""
    kwargs: dict[str, Any] = {
        "IndexName": keys.BY_STATUS,
        "KeyConditionExpression": status_condition(status, after),
    }
    if page_size:
        kwargs["Limit"] = page_size
    if projection:
        kwargs["ProjectionExpression"] = projection
        kwargs["ExpressionAttributeNames"] = names or {"#s": "status"}
    for page in pages(table, kwargs):
        yield [i for i in page.get("Items", []) if i.get("status") == status]


def page(
    table: Any,
    status: str,
    consultation: str | None,
    *,
    oldest_first: bool,
    limit: int,
    start: dict[str, Any] | None = None,
    text: str | None = None,
    paragraph: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the moderation queue: the comments on one text (by_target, filtered by
    status and paragraph: what staff answer together), by_consultation when a consultation is
    given, else by_status; returns the items and the key to continue from (None at the end).
    A filtered page may hold fewer than ``limit`` items and still have a next one."""
    kwargs: dict[str, Any] = {"ScanIndexForward": oldest_first, "Limit": limit}
    if consultation and text:
        kwargs["IndexName"] = keys.BY_TARGET
        kwargs["KeyConditionExpression"] = Key("GSI1PK").eq(keys.target_pk(consultation, text))
        wanted = Attr("status").eq(status)
        if paragraph:
            wanted = wanted & Attr("paragraph").eq(paragraph)
        kwargs["FilterExpression"] = wanted
    elif consultation:
        kwargs["IndexName"] = keys.BY_CONSULTATION
        kwargs["KeyConditionExpression"] = consultation_condition(consultation, status)
    else:
        kwargs["IndexName"] = keys.BY_STATUS
        kwargs["KeyConditionExpression"] = status_condition(status)
    if start:
        kwargs["ExclusiveStartKey"] = start
    answer = table.query(**kwargs)
    return answer.get("Items", []), answer.get("LastEvaluatedKey")


def page_key_names(
    status: str, consultation: str | None, text: str | None = None
) -> tuple[str, str, str]:
    """(partition attribute, sort attribute, partition value) of a queue page's start key, so
    that a client's cursor can be checked to belong to this very query."""
    if consultation and text:
        return "GSI1PK", "GSI1SK", keys.target_pk(consultation, text)
    if consultation:
        return "GSI3PK", "GSI3SK", keys.consultation_pk(consultation)
    return "GSI2PK", "GSI2SK", keys.status_pk(status)


def newest_decided(
    table: Any, status: str, after: str | None, limit: int, count: bool = True
) -> tuple[list[dict[str, Any]], int]:
    """Items of ``status`` decided after ``after`` (a watermark): the newest ``limit`` and how
    many there are in all (0 unless ``count``: a count reads every one of them)."""
    condition = status_condition(status, keys.status_after(after) if after else None)
    items = table.query(
        IndexName=keys.BY_STATUS,
        KeyConditionExpression=condition,
        ScanIndexForward=False,
        Limit=limit,
    ).get("Items", [])
    return items, _count(table, keys.BY_STATUS, condition) if count else 0


def count(table: Any, status: str, consultation: str | None = None) -> int:
    """How many items are in ``status`` (in one consultation, when given): COUNT queries."""
    if consultation:
        return _count(table, keys.BY_CONSULTATION, consultation_condition(consultation, status))
    return _count(table, keys.BY_STATUS, status_condition(status))


def _count(table: Any, index: str, condition: ConditionBase) -> int:
    kwargs = {"IndexName": index, "KeyConditionExpression": condition, "Select": "COUNT"}
    return sum(p.get("Count", 0) for p in pages(table, kwargs))


def by_target(
    table: Any, consultation: str, text: str | None = None, proposal: str | None = None
) -> list[dict[str, Any]]:
    """Every comment on one text or one proposal, oldest first, whatever its status."""
    pk = keys.target_pk(consultation, text, proposal)
    kwargs = {"IndexName": keys.BY_TARGET, "KeyConditionExpression": Key("GSI1PK").eq(pk)}
    return [i for p in pages(table, kwargs) for i in p.get("Items", [])]


def audit_trail(table: Any, sub_id: str) -> list[dict[str, Any]]:
    """A submission's decisions, oldest first, each redaction with the body it replaced while
    that is kept (its own item, expiring: keys.original)."""
    pk, prefix = keys.audit_range(sub_id)
    kwargs = {"KeyConditionExpression": Key("PK").eq(pk), "ConsistentRead": True}
    items = [i for p in pages(table, kwargs) for i in p.get("Items", [])]
    now = clock.epoch()
    originals = {
        keys.original_of(i["SK"]): i["original_body"]
        for i in items
        if keys.original_of(i["SK"])
        and int(i.get(keys.TTL_ATTRIBUTE, now + 1)) > now
        and "original_body" in i
    }
    trail = [dict(i) for i in items if i["SK"].startswith(prefix)]
    for entry in trail:
        if entry["SK"] in originals:
            entry["original_body"] = originals[entry["SK"]]
    return trail


def originals(table: Any, sub_id: str) -> list[dict[str, Any]]:
    """The keys of a submission's redacted originals (erased with the author's data)."""
    pk = keys.submission(sub_id)["PK"]
    kwargs = {
        "KeyConditionExpression": Key("PK").eq(pk) & Key("SK").begins_with(keys.ORIGINAL),
        "ProjectionExpression": "PK, SK",
    }
    return [i for p in pages(table, kwargs) for i in p.get("Items", [])]


def with_email(
    table: Any, consultation: str, projection: str = "id, email, #s"
) -> Iterator[dict[str, Any]]:
    """Every submission of ``consultation`` that still holds an e-mail, whatever its status
    (the retention purge, the report's notices), with the attributes of ``projection``."""
    names = {"#e": "email"}
    if "#s" in projection:
        names["#s"] = "status"
    kwargs: dict[str, Any] = {
        "IndexName": keys.BY_CONSULTATION,
        "KeyConditionExpression": Key("GSI3PK").eq(keys.consultation_pk(consultation)),
        "FilterExpression": "attribute_exists(#e)",
        "ProjectionExpression": projection,
        "ExpressionAttributeNames": names,
    }
    for page in pages(table, kwargs):
        yield from page.get("Items", [])
