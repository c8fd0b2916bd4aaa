"""Staff tokens and the authorizer, on DynamoDB Local through chalice.test (the same
LocalGateway that `chalice local` runs; the CLI test covers the real server)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token

PUBLIC = {
    ("/v1/health", "GET"),
    ("/v1/comments", "POST"),
    ("/v1/proposals", "POST"),
    ("/v1/comments", "OPTIONS"),
    ("/v1/proposals", "OPTIONS"),
    ("/v1/subscriptions", "POST"),
    ("/v1/subscriptions", "OPTIONS"),
    ("/v1/follow/{token}", "GET"),
    ("/v1/follow/{token}", "POST"),
    ("/v1/subscriptions/confirm/{token}", "GET"),
    ("/v1/subscriptions/confirm/{token}", "POST"),
    ("/v1/unsubscribe/{token}", "GET"),
    ("/v1/unsubscribe/{token}", "POST"),
    ("/v1/comments/new", "GET"),  # the form pages for people without a script
    ("/v1/received/{reference}", "GET"),
    ("/v1/supports", "POST"),  # «Υποστηρίζω» (chalicelib.supports)
    ("/v1/supports", "OPTIONS"),
    ("/v1/supports/new", "GET"),
    ("/v1/supports/sent", "GET"),
    ("/v1/supports/confirm/{token}", "GET"),
    ("/v1/supports/confirm/{token}", "POST"),
}


def _staff_routes() -> list[tuple[str, str]]:
    from app import app

    return sorted(
        (path, method)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if entry.authorizer is not None
    )


def test_only_public_routes_lack_the_authorizer(api_env: dict[str, str]) -> None:
    from app import app, staff_token

    open_routes = set()
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if entry.authorizer is None:
                open_routes.add((path, method))
            else:
                assert entry.authorizer is staff_token, (path, method)
                assert entry.content_types == ["application/json"], (path, method)
    assert open_routes <= PUBLIC, open_routes - PUBLIC
    assert ("/v1/moderation/items", "GET") in _staff_routes()


def test_the_authorizer_result_is_never_cached(api_env: dict[str, str]) -> None:
    from app import staff_token

    assert staff_token.config.ttl_seconds == 0


def test_create_stores_only_the_hash(api_env: dict[str, str]) -> None:
    from chalicelib import auth, db

    token, item = auth.create(db.table(), "  Νίκος  ", days=30)
    stored = db.table().get_item(Key={"PK": item["PK"], "SK": "TOKEN"})["Item"]
    assert stored["PK"] == "STAFF#" + hashlib.sha256(token.encode()).hexdigest()
    assert stored["name"] == "Νίκος" and stored["revoked"] is False
    assert stored["expires_at"] > stored["created_at"]
    assert token not in json.dumps(stored, default=str)
    assert len(token) >= 43
    with pytest.raises(ValueError):
        auth.create(db.table(), " ")


def test_a_token_never_starts_like_an_option(
    api_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`moderate.py --token <token>` must not read a token starting with «-» as an option."""
    import secrets

    from chalicelib import auth, db

    drawn = iter(["-dashfirst" + "x" * 33, "plain" + "y" * 38])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    token, _ = auth.create(db.table(), "Νίκος")
    assert token == "plain" + "y" * 38


def test_verify_gives_the_reason(api_env: dict[str, str]) -> None:
    from chalicelib import auth, db

    table = db.table()
    token, item = auth.create(table, "Άννα")
    assert auth.verify(table, f"Bearer {token}") == (True, "Άννα")
    assert auth.verify(table, f"bearer  {token} ") == (True, "Άννα")
    assert auth.verify(table, None) == (False, "missing")
    assert auth.verify(table, f"Basic {token}") == (False, "malformed")
    assert auth.verify(table, "Bearer") == (False, "malformed")
    assert auth.verify(table, f"Bearer {token}x") == (False, "unknown")
    table.update_item(
        Key={"PK": item["PK"], "SK": "TOKEN"},
        UpdateExpression="SET expires_at = :e",
        ExpressionAttributeValues={":e": "2020-01-01T00:00:00Z"},
    )
    assert auth.verify(table, f"Bearer {token}") == (False, "expired")
    auth.revoke(table, item["PK"][6:18])
    assert auth.verify(table, f"Bearer {token}") == (False, "revoked")


def test_list_and_revoke_by_prefix(api_env: dict[str, str]) -> None:
    from chalicelib import auth, db

    table = db.table()
    first, _ = auth.create(table, "Πρώτη")
    auth.create(table, "Δεύτερη")
    listed = auth.list_tokens(table)
    assert [t["name"] for t in listed] == ["Πρώτη", "Δεύτερη"]
    assert all(first not in json.dumps(t) for t in listed)
    with pytest.raises(ValueError):
        auth.revoke(table, "ab")  # too short to name one token
    with pytest.raises(LookupError):
        auth.revoke(table, "zzzzzzzz")  # not hex: matches none
    target = next(t for t in listed if t["name"] == "Πρώτη")
    auth.revoke(table, target["id"])
    states = {t["name"]: t["revoked"] for t in auth.list_tokens(table)}
    assert states == {"Πρώτη": True, "Δεύτερη": False}


def _expire(token: str) -> None:
    from chalicelib import db

    db.table().update_item(
        Key={"PK": "STAFF#" + hashlib.sha256(token.encode()).hexdigest(), "SK": "TOKEN"},
        UpdateExpression="SET expires_at = :e",
        ExpressionAttributeValues={":e": "2021-06-01T00:00:00Z"},
    )


def _revoke(token: str) -> None:
    from chalicelib import auth, db

    auth.revoke(db.table(), hashlib.sha256(token.encode()).hexdigest())


@pytest.mark.parametrize("spoil", ["invalid", "expired", "revoked", "basic"])
def test_bad_tokens_get_the_greek_401(http: Any, staff_token: str, spoil: str) -> None:
    header = f"Bearer {staff_token}"
    if spoil == "invalid":
        header = "Bearer " + "x" * 43
    elif spoil == "expired":
        _expire(staff_token)
    elif spoil == "revoked":
        _revoke(staff_token)
    else:
        header = f"Basic {staff_token}"
    answer = http.get("/v1/moderation/items", headers={"Authorization": header})
    assert answer.status_code == 401
    error = json.loads(answer.body)["error"]
    assert error["code"] == "unauthorized" and "διακριτικό" in error["message"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"


def test_missing_header_is_refused_by_the_gateway(http: Any) -> None:
    """API Gateway (and Chalice's local copy of it) answers this one itself, before any of our
    code runs: 401 with its own English body, which Chalice cannot reshape."""
    answer = http.get("/v1/moderation/items")
    assert answer.status_code == 401
    assert json.loads(answer.body) == {"message": "Unauthorized"}


def test_valid_token_passes(http: Any, staff_token: str) -> None:
    answer = http.get("/v1/moderation/items", headers={"Authorization": f"Bearer {staff_token}"})
    assert answer.status_code == 200
    assert json.loads(answer.body)["items"] == []


def test_every_staff_route_refuses_a_bad_token(http: Any, staff_token: str) -> None:
    """The guard, not each view, refuses: no staff route can forget it."""
    routes = _staff_routes()
    assert len(routes) >= 5
    for path, method in routes:
        url = path.replace("{item_id}", "01abc")
        body = b'{"action": "approve"}' if method == "POST" else b""
        answer = http.request(
            method,
            url,
            headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
            body=body,
        )
        assert answer.status_code == 401, (method, path, answer.body)
        assert json.loads(answer.body)["error"]["code"] == "unauthorized"


def test_form_posts_are_refused_with_415(http: Any, staff_token: str) -> None:
    answer = http.post(
        "/v1/moderation/items/01abc",
        headers={
            "Authorization": f"Bearer {staff_token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=b"action=approve",
    )
    assert answer.status_code == 415
    assert json.loads(answer.body)["error"]["code"] == "unsupported_media_type"


def test_unreachable_database_is_503(
    http: Any, staff_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import config, db
    from scripts.dynamodb_local import free_port

    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    config.reset()
    db.reset()
    answer = http.get("/v1/moderation/items", headers={"Authorization": f"Bearer {staff_token}"})
    assert answer.status_code == 503
    assert json.loads(answer.body)["error"]["code"] == "unavailable"
    assert int(answer.headers["Retry-After"]) > 0


def test_staff_token_cli_finds_its_table(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, api_env: dict[str, str]
) -> None:
    import argparse

    from scripts import staff_token as cli

    def args(**given: str | None) -> argparse.Namespace:
        return argparse.Namespace(**{"endpoint": None, "table": None, "stage": None, **given})

    monkeypatch.delenv("DYNAMODB_ENDPOINT")
    monkeypatch.delenv("TABLE_NAME")
    monkeypatch.setattr(cli, "DEV_JSON", tmp_path / "dev.json")
    with pytest.raises(cli.TargetError):
        cli.resolve_target(args())
    (tmp_path / "dev.json").write_text(
        json.dumps({"dynamodb_endpoint": "http://127.0.0.1:1", "table": "from-dev-json"})
    )
    assert cli.resolve_target(args()) == ("http://127.0.0.1:1", "from-dev-json")
    assert cli.resolve_target(args(table="flag")) == ("http://127.0.0.1:1", "flag")
    monkeypatch.setenv("TABLE_NAME", "from-env")
    assert cli.resolve_target(args()) == ("http://127.0.0.1:1", "from-env")
    endpoint, table = cli.resolve_target(args(stage="prod"))
    assert endpoint is None and table  # the stage's table on AWS, never DynamoDB Local
    with pytest.raises(cli.TargetError):
        cli.resolve_target(args(stage="no-such-stage"))
