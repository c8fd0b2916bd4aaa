"""The whole loop of an answer, on real parts: a citizen comments while the consultation is
open (the API), staff approve and answer it (the staff routes), the publish after the close shows
the answer under the comment and on the results page; a changed answer is published by the
next run. DynamoDB Local, the real site build of a copy of the fixture site, the clock moved."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from moderation_support import StaffClient, data
from test_api_support import api_fixture, comment  # noqa: F401  (api_fixture: the api fixture)
from test_publish_follows import CLOSES, OPEN_SLUG, Site, content, ddb, site  # noqa: F401

from chalicelib import clock, config, publish
from tests.site_support import parse

pytest_plugins = ("moderation_support",)  # fixtures: http, staff, staff_token


def test_approve_answer_publish_and_see_the_answer_everywhere(
    site: Site,  # noqa: F811  (the fixture imported above)
    api: Any,
    staff: StaffClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = CLOSES - timedelta(hours=1)
    assert site.run(before).status == publish.PUBLISHED
    monkeypatch.setenv("MANIFEST_PATH", str(site.target.directory / "consultations.json"))
    config.reset()
    text = next(c for c in site.manifest["consultations"] if c["slug"] == OPEN_SLUG)["texts"][0]
    body = "Να φυτευτούν πλατάνια στη νότια πλευρά της πλατείας."
    payload = comment(consultation=OPEN_SLUG, text=text["slug"], paragraph=text["paragraphs"][0])
    with clock.frozen(before):
        posted = api.post("/v1/comments", {**payload, "body": body})
        assert posted.status_code == 202
        item_id = json.loads(posted.body)["id"]
        assert staff.decide(item_id, action="approve").status_code == 200
        answer = {"disposition": "adopted", "text": "Εντάσσεται στη μελέτη της ανάπλασης."}
        answered = staff.request("POST", f"/v1/moderation/items/{item_id}/answer", body=answer)
        assert answered.status_code == 200, answered.body

    after = CLOSES + timedelta(hours=1)
    first = site.run(after)
    assert first.status == publish.PUBLISHED
    page = parse(site.html(site.text_page()))
    shown = page.by_id(f"sxolio-{item_id}")
    assert body in shown.text() and "Εντάσσεται στη μελέτη της ανάπλασης." in shown.text()
    assert "Ενσωματώνεται" in shown.find("div", cls="answer").text()
    results_page = text["url"].lstrip("/").rsplit("/", 2)[0] + "/apotelesmata/index.html"
    results = parse(site.html(results_page))
    assert "Εντάσσεται στη μελέτη της ανάπλασης." in results.by_id(f"sxolio-{item_id}").text()
    assert "Ελένη Δοκιμαστική" not in site.html(results_page)  # who answered is not public

    changed = {"disposition": "partly", "text": "Εν μέρει: μόνο στη νότια πλευρά."}
    with clock.frozen(after + timedelta(minutes=1)):
        again = staff.request("POST", f"/v1/moderation/items/{item_id}/answer", body=changed)
        assert again.status_code == 200 and data(again)["audit"]["previous_disposition"]
    second = site.run(after + timedelta(minutes=2))
    assert (second.status, second.reasons) == (publish.PUBLISHED, ["decisions"])
    assert "Εν μέρει: μόνο στη νότια πλευρά." in site.html(results_page)
    assert "Ενσωματώνεται εν μέρει" in site.html(site.text_page())
    assert site.run(after + timedelta(minutes=3)).status == publish.NOTHING
