"""Every way the connection to DynamoDB can fail is the contract's 503 ``unavailable`` with
``Retry-After`` (never a 500, never English): the public intake (JSON and form posts), the staff
routes and the staff authorizer. The failures are raised through botocore's own event system on
the app's real client (the database stays DynamoDB Local), and once for real: a DynamoDB Local of
this test's own, killed under concurrent submissions."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from moderation_support import StaffClient, data, submit_comment
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    FORM_HEADERS,
    JSON_HEADERS,
    api_fixture,
    comment,
    next_ip,
    pending,
)

from chalicelib import auth, config, db
from chalicelib.errors import MESSAGES
from chalicelib.spec import limits
from scripts.dynamodb_local import DynamoDBLocal, create_table

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

ENDPOINT = "http://127.0.0.1:9/"
FAILURES: list[Callable[[], Exception]] = [
    lambda: ConnectionClosedError(endpoint_url=ENDPOINT),
    lambda: ReadTimeoutError(endpoint_url=ENDPOINT),
    lambda: EndpointConnectionError(endpoint_url=ENDPOINT),
    lambda: ConnectTimeoutError(endpoint_url=ENDPOINT),
]
FAILURE_IDS = ["ConnectionClosedError", "ReadTimeoutError", "EndpointConnectionError", "Connect"]
GREEK = re.compile(r"[\u0370-\u03ff]")
RETRY_AFTER = str(limits()["guards"]["unavailable_retry_after_seconds"])
UNAVAILABLE = MESSAGES["unavailable"][1]


class Failing:
    """A ``before-send`` handler on the app's real DynamoDB client that raises a connection
    failure instead of sending, for the requests ``when`` selects; counts how often it did
    (botocore retries connection failures, so more than once per request is fine)."""

    def __init__(self, make: Callable[[], Exception]) -> None:
        self.make = make
        self.raised: list[str] = []
        self.when: Callable[[Any], bool] = lambda request: True

    def __call__(self, request: Any, **_: Any) -> None:
        if self.when(request):
            exc = self.make()
            self.raised.append(type(exc).__name__)
            raise exc


@pytest.fixture(params=FAILURES, ids=FAILURE_IDS)
def failing(request: pytest.FixtureRequest, api_env: dict[str, str]) -> Iterator[Failing]:
    handler = Failing(request.param)
    events = db.table().meta.client.meta.events
    events.register("before-send.dynamodb.*", handler)
    yield handler
    events.unregister("before-send.dynamodb.*", handler)


def assert_unavailable_json(answer: Any) -> None:
    assert answer.status_code == 503, answer.body
    assert answer.headers["Retry-After"] == RETRY_AFTER
    error = json.loads(answer.body)["error"]
    assert error["code"] == "unavailable"
    assert error["message"] == UNAVAILABLE and GREEK.search(error["message"])


def assert_propagated(failing: Failing, caplog: pytest.LogCaptureFixture, name: str) -> None:
    """The injected failure was really raised by the client and reached the app's handler."""
    assert failing.raised and set(failing.raised) == {name}
    assert name in caplog.text, caplog.text


# --- the public intake --------------------------------------------------------------------
def test_json_post_is_503(api, api_env, failing, caplog):
    name = type(failing.make()).__name__
    with caplog.at_level(logging.WARNING, logger="chalicelib"):
        answer = api.post("/v1/comments", comment(submission_key=uuid.uuid4().hex))
    assert_unavailable_json(answer)
    assert_propagated(failing, caplog, name)
    assert pending(api_env) == []  # nothing stored


def test_form_post_is_a_503_page_that_keeps_the_text(api, api_env, failing, caplog):
    name = type(failing.make()).__name__
    with caplog.at_level(logging.WARNING, logger="chalicelib"):
        answer = api.post("/v1/comments", comment(consent="on"), form=True)
    assert answer.status_code == 503, answer.body
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Location" not in answer.headers
    assert comment()["body"] in answer.body.decode()  # the form comes back with the text
    assert "δεν είναι προσωρινά διαθέσιμη" in answer.body.decode()
    assert answer.headers["Retry-After"] == RETRY_AFTER
    assert_propagated(failing, caplog, name)


def test_form_post_asking_for_json_gets_json(api, failing):
    headers = {**FORM_HEADERS, "accept": "application/json"}
    answer = api.post("/v1/comments", comment(consent="on"), form=True, headers=headers)
    assert_unavailable_json(answer)
    assert failing.raised


def test_comment_on_a_proposal_fails_at_the_reference_read(api, failing):
    # The proposal check is a GetItem before the transaction: the same 503.
    payload = comment(text=None, paragraph=None, proposal="01abcdefghjkmnpqrstvwxyz0")
    assert_unavailable_json(api.post("/v1/comments", payload))
    assert failing.raised


# --- the mail routes: the private link, subscriptions, unsubscribe -------------------------
MAIL_ROUTES = [
    ("GET", "/v1/follow/{link}", None),
    ("POST", "/v1/follow/{link}", b"action=withdraw"),
    ("POST", "/v1/subscriptions", b"consultation=anoichti&email=a%40b.gr&consent=on"),
    ("GET", "/v1/subscriptions/confirm/{link}", None),
    ("POST", "/v1/unsubscribe/{unsubscribe}", b"List-Unsubscribe=One-Click"),
]


@pytest.mark.parametrize(("method", "route", "body"), MAIL_ROUTES)
def test_mail_routes_are_503_pages_or_json_never_500(api, failing, method, route, body):
    from chalicelib import tokens

    path = route.format(
        link=tokens.new_link("01abcdefghjkmnpqrstvwxyz0")[0],
        unsubscribe=tokens.unsubscribe_token("a@b.gr"),
    )
    for accept in ("application/json", "text/html"):
        headers = {"accept": accept}
        if method == "POST":
            headers["content-type"] = "application/x-www-form-urlencoded"
        call = api.client.http.post if method == "POST" else api.client.http.get
        answer = call(path, headers=headers, **({"body": body} if body else {}))
        if route == "/v1/subscriptions":  # a form post: back to the site's notice
            assert answer.status_code in (303, 503), answer.body
            location = answer.headers.get("Location", "")
            assert answer.status_code == 503 or location.endswith("#enimerosi-unavailable")
        else:
            assert answer.status_code == 503, (route, accept, answer.body)
        assert answer.headers["Retry-After"] == RETRY_AFTER
        if accept == "text/html" and answer.status_code == 503:
            assert UNAVAILABLE in answer.body.decode()
    assert failing.raised


# --- the staff routes and the authorizer --------------------------------------------------
def operation(request: Any) -> str:
    target = request.headers.get("X-Amz-Target") or b""
    target = target.decode() if isinstance(target, bytes) else str(target)
    return target.rpartition(".")[2]


def _not_the_token_lookup(request: Any) -> bool:
    body = request.body or b""
    body = body if isinstance(body, bytes) else str(body).encode()
    return b"STAFF#" not in body


@pytest.fixture
def staff_failing(failing: Failing) -> Failing:
    """Only the route's own calls fail: the authorizer's token lookup still works."""
    failing.when = _not_the_token_lookup
    return failing


def test_moderation_list_is_503(staff: StaffClient, staff_failing, caplog):
    name = type(staff_failing.make()).__name__
    with caplog.at_level(logging.WARNING, logger="chalicelib"):
        answer = staff.get("/v1/moderation/items?status=pending")
    assert_unavailable_json(answer)
    assert_propagated(staff_failing, caplog, name)


def test_moderation_decision_is_503_and_changes_nothing(http, staff: StaffClient, failing, caplog):
    failing.when = lambda request: False  # the submission goes through
    item_id = submit_comment(http, "Σχόλιο που θα κριθεί όταν η βάση δεν απαντά.")
    failing.when = _not_the_token_lookup
    name = type(failing.make()).__name__
    with caplog.at_level(logging.WARNING, logger="chalicelib"):
        answer = staff.decide(item_id, action="approve")
    assert_unavailable_json(answer)
    assert_propagated(failing, caplog, name)
    failing.when = lambda request: False
    assert data(staff.get(f"/v1/moderation/items/{item_id}"))["item"]["status"] == "pending"


def test_moderation_decision_fails_at_the_write(http, staff: StaffClient, failing):
    """The item is read, the transaction cannot be sent: still the 503, never a 500."""
    failing.when = lambda request: False  # the submission goes through
    item_id = submit_comment(http, "Σχόλιο που η βάση δεν θα δεχτεί την απόφασή του.")
    failing.when = lambda request: operation(request) == "TransactWriteItems"
    assert_unavailable_json(staff.decide(item_id, action="reject", reason="spam"))
    assert failing.raised


def test_authorizer_passes_down_on_and_the_guard_answers_503(
    http, staff_token: str, failing, caplog
):
    name = type(failing.make()).__name__
    with caplog.at_level(logging.WARNING, logger="chalicelib"):
        verdict = auth.authorize(f"Bearer {staff_token}")
    assert verdict.context == {auth.CTX_VERDICT: "down"}
    assert auth.CTX_STAFF not in verdict.context and verdict.principal_id == "anonymous"
    assert_propagated(failing, caplog, name)

    for method, path in (
        ("GET", "/v1/moderation/items"),
        ("GET", "/v1/moderation/summary"),
        ("POST", "/v1/moderation/items/01abc"),
    ):
        answer = http.request(
            method,
            path,
            headers={"Authorization": f"Bearer {staff_token}", "Content-Type": "application/json"},
            body=b'{"action": "approve"}' if method == "POST" else b"",
        )
        assert_unavailable_json(answer)
        assert "WWW-Authenticate" not in answer.headers  # not a 401: the token was not judged


def test_authorizer_does_not_hide_bugs(api_env):
    """Only "cannot reach the database" is a 503; anything else still raises."""
    events = db.table().meta.client.meta.events

    def broken(**_: Any) -> None:
        raise ValueError("a bug, not an outage")

    events.register("before-send.dynamodb.*", broken)
    try:
        with pytest.raises(ValueError):
            auth.authorize("Bearer " + "x" * 43)
    finally:
        events.unregister("before-send.dynamodb.*", broken)


# --- a real failure: DynamoDB Local killed under load ------------------------------------
@pytest.fixture
def own_dynamodb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DynamoDBLocal]:
    """A second DynamoDB Local, this test's alone (it will be killed), with the app on it."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    local = DynamoDBLocal().start()
    try:
        create_table(local.client(), name)
        env = {
            "STAGE": "test",
            "TABLE_NAME": name,
            "DYNAMODB_ENDPOINT": local.endpoint,
            "SITE_URL": "http://127.0.0.1:8000",
            "SITE_ORIGINS": "http://127.0.0.1:8000",
            "IP_HASH_KEY": "test-ip-hash-key",
            "MANIFEST_PATH": str(Path(__file__).parent / "fixtures" / "consultations.json"),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        config.reset()
        db.reset()
        yield local
    finally:
        local.stop()
        config.reset()
        db.reset()


@pytest.mark.slow
def test_killed_database_under_concurrent_posts_is_503_never_500(own_dynamodb, tmp_path):
    from chalice.test import Client

    from app import app

    total, threads, kill_after = 300, 12, 60
    answers: list[tuple[int, dict[str, str], bytes]] = []
    lock = threading.Lock()
    halfway = threading.Event()
    tickets = iter(range(total))

    def submitter(client: Any) -> None:
        while True:
            with lock:
                n = next(tickets, None)
            if n is None:
                return
            headers = {**JSON_HEADERS, "x-forwarded-for": next_ip()}
            body = json.dumps(comment(body=f"Σχόλιο αριθμός {n} υπό φόρτο και βλάβη."))
            answer = client.http.post("/v1/comments", headers=headers, body=body.encode())
            with lock:
                answers.append((answer.status_code, dict(answer.headers), answer.body))
                if len(answers) >= kill_after:
                    halfway.set()

    with Client(app, project_dir=str(tmp_path)) as client:
        workers = [threading.Thread(target=submitter, args=(client,)) for _ in range(threads)]
        for worker in workers:
            worker.start()
        killed = halfway.wait(timeout=60)
        if own_dynamodb.proc is not None:
            os.kill(own_dynamodb.proc.pid, signal.SIGKILL)  # no goodbye: sockets just die
            own_dynamodb.proc.wait(timeout=10)
        for worker in workers:
            worker.join(timeout=60)
        assert killed and not any(w.is_alive() for w in workers)

    assert len(answers) == total
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {202, 503}, sorted(set(statuses))
    assert statuses.count(202) >= kill_after // 2 and statuses.count(503) > 0
    for status, headers, body in answers:
        error = json.loads(body).get("error")
        if status == 503:
            assert headers.get("Retry-After") == RETRY_AFTER
            assert error["code"] == "unavailable" and error["message"] == UNAVAILABLE
        else:
            assert error is None and json.loads(body)["status"] == "pending"
