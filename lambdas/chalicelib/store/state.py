"""The publish state item (``keys.PUBLISH_STATE``): what the last complete publish covered and
what staff must look at.

``last_decision_at`` and ``decisions`` are written by every moderation decision
(chalicelib.store.decisions.decide); ``watermark``, ``published_decisions`` and ``published_at``
by a publish that fully succeeded, with ``source`` (the fingerprint of what the site was built
from, chalicelib.sources) and ``next_change`` (when a page of it stops being true,
chalicelib.timeline); ``attention`` by every publish: the items it had to leave out because they
cannot be published as they are (chalicelib.snapshot), shown in the moderation summary until a
decision fixes them; ``build_error`` by a publish whose site did not build (the file, the field
and the problem, for staff), removed by the next one that builds; ``notices_mark`` by the
notices a publish writes (chalicelib.notices): the decisions up to it have been told;
``publish_requested_at`` by a change that asked for a publish now (chalicelib.trigger), removed
by the run that takes it; ``published_to`` names the target the last publish went to, and
``retention_on`` the day the retention purge last ran (both read with the state, so that a
scheduled run with nothing to do costs this one item's read).
"""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.db import conditionally
from chalicelib.store import keys

ATTENTION_LIMIT = 100  # a state item stays far below DynamoDB's 400 KB


def read(table: Any) -> dict[str, Any]:
    """The state item; empty when never written."""
    return table.get_item(Key=keys.PUBLISH_STATE, ConsistentRead=True).get("Item") or {}


def counted(at: str, changes: int = 1) -> dict[str, Any]:
    """The update (its ``Key`` and expression) that counts ``changes`` the site shows, made at
    ``at`` — a decision, an answer, a group's batch, a regrouping, a support — so that the next
    publish takes them. The count only grows, even when two changes commit out of order and
    ``last_decision_at`` steps back: the publish compares both."""
    return {
        "Key": keys.PUBLISH_STATE,
        "UpdateExpression": "SET last_decision_at = :at ADD decisions :n",
        "ExpressionAttributeValues": {":at": at, ":n": changes},
    }


def advance_watermark(table: Any, decided_at: str) -> bool:
    """Move the watermark forward to ``decided_at``; never backwards (a conditional update)."""
    return conditionally(
        table.update_item,
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET watermark = :w, published_at = :p",
        ConditionExpression="attribute_not_exists(watermark) OR watermark < :w",
        ExpressionAttributeValues={":w": decided_at, ":p": clock.now_iso()},
    )


def record_published_decisions(table: Any, decisions: int) -> bool:
    """Remember how many decisions this publish covered (never fewer than recorded)."""
    return conditionally(
        table.update_item,
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET published_decisions = :n",
        ConditionExpression="attribute_not_exists(published_decisions) OR published_decisions < :n",
        ExpressionAttributeValues={":n": decisions},
    )


def record_attention(table: Any, problems: dict[str, str]) -> None:
    """Replace the list of items the last publish left out (id → why), newest run wins."""
    listed = [{"id": i, "problem": p} for i, p in sorted(problems.items())[:ATTENTION_LIMIT]]
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET attention = :a, attention_count = :n, attention_at = :at",
        ExpressionAttributeValues={":a": listed, ":n": len(problems), ":at": clock.now_iso()},
    )


def record_site(table: Any, *, source: str, next_change: str | None) -> None:
    """What the complete publish just made was built from, and until when it stays true."""
    values: dict[str, Any] = {":s": source}
    update = "SET #source = :s"
    if next_change is None:
        update += " REMOVE next_change, build_error"
    else:
        update += ", next_change = :n REMOVE build_error"
        values[":n"] = next_change
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression=update,
        ExpressionAttributeNames={"#source": "source"},  # a DynamoDB reserved word
        ExpressionAttributeValues=values,
    )


def record_build_error(table: Any, error: dict[str, str | None]) -> None:
    """Why the site did not build (``file``, ``field``, ``problem``): shown to staff until fixed."""
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET build_error = :e",
        ExpressionAttributeValues={":e": {**error, "at": clock.now_iso()}},
    )


def record_notices(table: Any, mark: str) -> bool:
    """The decisions up to ``mark`` have had their notices written (chalicelib.notices);
    never backwards."""
    return conditionally(
        table.update_item,
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET notices_mark = :m",
        ConditionExpression="attribute_not_exists(notices_mark) OR notices_mark < :m",
        ExpressionAttributeValues={":m": mark},
    )


def request_publish(table: Any, at: str, stale_before: str) -> bool:
    """Ask for a publish now; False when one is already asked for (since ``stale_before``):
    the run it started takes this change too, so a burst of decisions starts one run."""
    return conditionally(
        table.update_item,
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET publish_requested_at = :at",
        ConditionExpression=(
            "attribute_not_exists(publish_requested_at) OR publish_requested_at < :stale"
        ),
        ExpressionAttributeValues={":at": at, ":stale": stale_before},
    )


def take_request(table: Any) -> None:
    """The run under the lock takes the pending request: a change after this asks anew."""
    table.update_item(Key=keys.PUBLISH_STATE, UpdateExpression="REMOVE publish_requested_at")


def record_target(table: Any, target: str) -> None:
    """The target the last complete publish went to (a new one means a first publish)."""
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET published_to = :t",
        ExpressionAttributeValues={":t": target},
    )


def record_retention(table: Any, day: str) -> None:
    """The retention purge ran on ``day`` (once a day is enough: its deadlines are days)."""
    table.update_item(
        Key=keys.PUBLISH_STATE,
        UpdateExpression="SET retention_on = :d",
        ExpressionAttributeValues={":d": day},
    )
