"""Staff-route input that once answered 500: decision bodies nested a thousand deep, ``limit``
values that ``str.isdigit`` accepts but ``int`` or the range refuse (superscripts, circled and
Arabic-Indic digits), and cursors that decode to something other than this query's start key.
Each is the contract's 400 or 422 with a Greek message, never a 500."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from moderation_support import StaffClient, data, put_pending, submit_comment

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

GREEK = re.compile(r"[\u0370-\u03ff]")
BAD_LIMITS = [
    *("²", "¹", "①", "٣", "-1", "0", "101", "1e2"),
    *("", " 5", "5 ", "+5", "0x10", "1000", "5\n", "1_0"),
]


def cursor_of(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(answer: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.body
    error = data(answer)["error"]
    assert error["code"] == code and GREEK.search(error["message"]), error
    if field is not None:
        assert GREEK.search(error["fields"][field]), error
    return error


# --- decision bodies ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"action":' * 1000 + '"approve"' + "}" * 1000,
        "[" * 100_000 + "]" * 100_000,
        "[" * 5000,  # unclosed
    ],
    ids=["list-1000", "object-1000", "action-1000", "list-100000", "unclosed"],
)
def test_deeply_nested_decision_is_invalid_json(http, staff: StaffClient, body: str) -> None:
    item_id = submit_comment(http, "Σχόλιο που δεν θα κριθεί από ένθετο αίτημα.")
    answer = staff.request("POST", f"/v1/moderation/items/{item_id}", body=body.encode())
    if len(body) > 32768:  # over max_request_bytes: refused before parsing
        refused(answer, 413, "too_large")
    else:
        refused(answer, 400, "invalid_json")
    assert data(staff.get(f"/v1/moderation/items/{item_id}"))["item"]["status"] == "pending"


def test_nested_decision_in_an_allowed_field_is_invalid_type(http, staff: StaffClient) -> None:
    item_id = submit_comment(http, "Σχόλιο με ένθετη σημείωση στην απόφαση.")
    body = '{"action": "approve", "note": ' + "[" * 500 + "]" * 500 + "}"
    error = refused(
        staff.request("POST", f"/v1/moderation/items/{item_id}", body=body.encode()),
        400,
        "invalid_type",
    )
    assert set(error["fields"]) == {"note"}


# --- limit --------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", BAD_LIMITS)
@pytest.mark.parametrize("path", ["/v1/moderation/items", "/v1/moderation/decided-unpublished"])
def test_limit_outside_1_to_100_in_ascii_digits_is_422(
    staff: StaffClient, path: str, limit: str
) -> None:
    answer = staff.get(f"{path}?limit={quote(limit)}")
    error = refused(answer, 422, "validation", "limit")
    assert set(error["fields"]) == {"limit"}


@pytest.mark.parametrize("path", ["/v1/moderation/items", "/v1/moderation/decided-unpublished"])
def test_limits_at_the_bounds_are_accepted(staff: StaffClient, path: str) -> None:
    for limit in ("1", "100", "007"):
        answer = staff.get(f"{path}?limit={limit}")
        assert answer.status_code == 200, (limit, answer.body)


# --- cursor -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "decoded",
    [
        [],
        ["k", "s"],
        [{"k": {}, "s": "pending||oldest"}],
        42,
        3.5,
        "pending||oldest",
        None,
        True,
        {},
        {"k": None, "s": "pending||oldest"},
        {"k": [], "s": "pending||oldest"},
        {"k": "SUB#x", "s": "pending||oldest"},
        {"k": {"PK": 1, "SK": 2, "GSI2PK": 3, "GSI2SK": 4}, "s": "pending||oldest"},
        b"\xff\xfe\xfd",
        b"[" * 3000,
    ],
    ids=lambda v: type(v).__name__ + "-" + (repr(v)[:20] if not isinstance(v, bytes) else "raw"),
)
def test_cursor_that_is_not_a_start_key_object_is_422(staff: StaffClient, decoded: Any) -> None:
    answer = staff.get(f"/v1/moderation/items?status=pending&cursor={cursor_of(decoded)}")
    error = refused(answer, 422, "validation", "cursor")
    assert set(error["fields"]) == {"cursor"}


def _walk(staff: StaffClient, query: str) -> tuple[list[str], list[str | None]]:
    """Every id of a query, page by page (limit in the query), and the cursors seen."""
    ids: list[str] = []
    cursors: list[str | None] = []
    cursor = None
    for _ in range(20):
        answer = staff.get(query + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.body
        page = data(answer)
        ids += [item["id"] for item in page["items"]]
        cursor = page["cursor"]
        cursors.append(cursor)
        if cursor is None:
            return ids, cursors
    raise AssertionError("the cursor never ended")


def test_cursor_of_another_query_is_422(staff: StaffClient) -> None:
    from chalicelib import db

    table = db.table()
    for index in range(3):
        put_pending(table, index)
    first = data(staff.get("/v1/moderation/items?status=pending&limit=1"))
    cursor = first["cursor"]
    assert cursor
    for other in (
        "status=approved",
        "status=hidden",
        "status=pending&order=newest",
        "status=pending&consultation=anoichti",
        "status=approved&consultation=anoichti",
    ):
        answer = staff.get(f"/v1/moderation/items?{other}&limit=1&cursor={cursor}")
        refused(answer, 422, "validation", "cursor")
    # The same query still accepts it.
    again = staff.get(f"/v1/moderation/items?status=pending&limit=1&cursor={cursor}")
    assert again.status_code == 200, again.body


def test_cursor_with_the_right_scope_but_another_partition_is_422(staff: StaffClient) -> None:
    from chalicelib import db

    item = put_pending(db.table(), 1)
    key = {k: item[k] for k in ("PK", "SK", "GSI2PK", "GSI2SK")}  # a pending item's key …
    forged = cursor_of({"k": key, "s": "approved||oldest"})  # … under the approved scope
    answer = staff.get(f"/v1/moderation/items?status=approved&cursor={forged}")
    refused(answer, 422, "validation", "cursor")
    extra = cursor_of({"k": {**key, "x": "y"}, "s": "pending||oldest"})
    refused(staff.get(f"/v1/moderation/items?cursor={extra}"), 422, "validation", "cursor")


@pytest.mark.parametrize(
    "query",
    [
        "status=pending&order=oldest",
        "status=pending&order=newest",
        "status=pending&consultation=anoichti&order=oldest",
    ],
)
def test_a_valid_cursor_still_pages_one_by_one(staff: StaffClient, query: str) -> None:
    from chalicelib import db

    table = db.table()
    ids = [put_pending(table, index)["id"] for index in range(5)]
    put_pending(table, 30, consultation="kleisti")  # another consultation, later
    other = "01test" + "30".zfill(20)
    expected = {
        "status=pending&order=oldest": [*ids, other],
        "status=pending&order=newest": [other, *ids[::-1]],
        "status=pending&consultation=anoichti&order=oldest": ids,
    }[query]
    seen, cursors = _walk(staff, f"/v1/moderation/items?{query}&limit=1")
    assert seen == expected
    assert len(set(c for c in cursors if c)) == len([c for c in cursors if c])  # no repeats
    assert len(cursors) in (len(expected), len(expected) + 1)  # + a last, empty page
