"""The staff CLIs against a real ``chalice local`` on DynamoDB Local: staff_token.py writes the
token straight into the table, moderate.py decides through HTTP with it. Also what chalice local
does with the built-in authorizer and the CORS preflight of the moderation page."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator

import pytest
import requests

from scripts import moderate, staff_token
from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import free_port

SITE = "http://127.0.0.1:8000"
EMAIL = "cli-leak-check@example.org"


@pytest.fixture
def api(api_env: dict[str, str], tmp_path) -> Iterator[str]:
    port = free_port()
    proc = start_api(port, dict(api_env), log_path=tmp_path / "api.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_api(proc)


def _comment(api: str, body: str) -> str:
    answer = requests.post(
        f"{api}/v1/comments",
        json={
            "consultation": "anoichti",
            "text": "proto-keimeno",
            "paragraph": "p-0a1b2c3d",
            "body": body,
            "respondent_type": "organisation",
            "organisation_name": "Σύλλογος Κατοίκων Δοκιμής",
            "organisation_type": "association",
            "display_name": "Μαρία Δοκιμή",
            "publish_name": True,
            "email": EMAIL,
            "consent": True,
            "submission_key": uuid.uuid4().hex,
        },
        headers={"Origin": SITE},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def test_cli_round_trip(
    api: str,
    api_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Wide tables, so that names are not folded across lines. A COLUMNS set here was ignored
    # in the full parallel suite (never alone; cause not found), so the width is explicit.
    monkeypatch.setattr(moderate, "Console", functools.partial(moderate.Console, width=250))
    monkeypatch.delenv("DIAVOULEFSI_STAFF_TOKEN", raising=False)
    target = ["--endpoint", api_env["DYNAMODB_ENDPOINT"], "--table", api_env["TABLE_NAME"]]
    assert staff_token.main([*target, "create", "--name", "Κώστας CLI", "--days", "7"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 43

    # chalice local runs the built-in authorizer: no header, a bad token, the good one.
    url = f"{api}/v1/moderation/items"
    assert requests.get(url, timeout=10).status_code == 401
    refused = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    good = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert good.status_code == 200 and good.json()["items"] == []
    preflight = requests.options(
        url,
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()

    first = _comment(api, "Χρειάζονται περισσότερες ράμπες στα πεζοδρόμια της οδού Ομήρου.")
    second = _comment(api, "Το τηλέφωνό μου είναι 6900000000, καλέστε με για τα δέντρα.")
    cli = ["--api", api, "--token", token]

    assert moderate.main([*cli, "list"]) == 0
    out = capsys.readouterr().out
    assert first in out and second in out and "Σύλλογος Κατοίκων Δοκιμής" in out
    assert EMAIL not in out

    assert moderate.main([*cli, "approve", first, "--note", "εντάξει"]) == 0
    assert "approved" in capsys.readouterr().out
    assert moderate.main([*cli, "reject", first, "--reason", "spam"]) == 1
    assert "δεν επιτρέπεται" in capsys.readouterr().out
    redacted = "Το τηλέφωνό μου είναι [απαλείφθηκε], καλέστε με για τα δέντρα."
    assert moderate.main([*cli, "redact", second, "--body", redacted]) == 0
    capsys.readouterr()

    # one answer on every approved comment of the paragraph (both are on p-0a1b2c3d)
    paragraph = "anoichti/proto-keimeno/p-0a1b2c3d"
    answer = ["answer", "--paragraph", paragraph, "--disposition", "partly"]
    assert moderate.main([*cli, *answer, "--text", "Εν μέρει, στη φάση Β."]) == 0
    assert "Απαντήθηκαν 2 υποβολές" in capsys.readouterr().out
    assert moderate.main([*cli, "answer", "nosuchitem00", *answer[3:], "--text", "Όχι."]) == 1
    assert "δεν απαντήθηκαν" in capsys.readouterr().out

    assert moderate.main([*cli, "show", second]) == 0
    out = capsys.readouterr().out
    assert "με απαλοιφή" in out and "Κώστας CLI" in out and "pending → approved" in out
    assert "Ενσωματώνεται εν μέρει — Εν μέρει, στη φάση Β." in out
    assert moderate.main([*cli, "summary"]) == 0
    assert "Εγκρίθηκε" in capsys.readouterr().out
    assert moderate.main([*cli, "unpublished"]) == 0
    assert "(2)" in capsys.readouterr().out  # approved and answered: two items to publish

    stored = requests.get(
        f"{api}/v1/moderation/items/{second}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert stored["item"]["body"] == redacted
    redaction = next(e for e in stored["audit"] if e.get("redacted"))
    assert "6900000000" in redaction["original_body"]
    assert stored["audit"][-1]["action"] == "answer"
    assert EMAIL not in json.dumps(stored, ensure_ascii=False)

    # Revoked: the very next request is refused (the authorizer result is never cached).
    assert staff_token.main([*target, "list"]) == 0
    token_id = next(
        line.split()[1] for line in capsys.readouterr().out.splitlines() if "Κώστας" in line
    )
    assert staff_token.main([*target, "revoke", token_id]) == 0
    capsys.readouterr()
    assert moderate.main([*cli, "list"]) == 1
    assert "διακριτικό" in capsys.readouterr().out
