"""The API's pages for the submission forms posted without a script (chalicelib.form_pages): a
refused post comes back as the form with an error summary, each message beside its field and
everything typed kept; an accepted one goes (303) to a confirmation with its reference; the
«Σχόλιο στην §N» and «Απάντηση» links open the form already aimed at the paragraph or comment."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from browser import assert_nu_clean
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    approve,
    comment,
    pending,
    proposal,
)

from chalicelib.spec import limits

PAGE = "/diavoulefseis/anoichti/proto-keimeno/"


class Form(HTMLParser):
    """The page's elements by id, the values of its controls and the summary's links."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict[str, Any]] = {}
        self.values: dict[str, str] = {}
        self.checked: set[str] = set()
        self.summary: list[tuple[str, str]] = []
        self.forms: list[dict[str, Any]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._link: str | None = None
        self._in_summary = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.by_id[a["id"]] = {"tag": tag, **a}
        name = a.get("name", "")
        if tag == "form":
            self.forms.append(a)
        elif tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                self.checked.add(f"{name}={a.get('value')}")
        elif tag == "input" and name:
            self.values[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name or a.get("id", "")
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "div" and "data-error-summary" in a and "hidden" not in a:
            self._in_summary = True
        elif tag == "a" and self._in_summary:
            self._link = a.get("href", "")
            self.summary.append((self._link, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "a":
            self._link = None
        elif tag == "ul" and self._in_summary:
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data
        if self._link is not None:
            href, text = self.summary[-1]
            self.summary[-1] = (href, text + data)


def page_of(answer: Any) -> tuple[str, Form]:
    assert answer.headers["Content-Type"].startswith("text/html"), answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.body.decode("utf-8")
    return html, Form(html)


def test_a_refused_post_comes_back_with_everything_typed_and_a_linked_summary(api, api_env):
    typed = comment(
        body="Λίγο",  # too short
        respondent_type="organisation",
        display_name="Ελένη Σ.",
        organisation_name="",  # required for an organisation
        organisation_type="association",
        publish_name="on",
        consent="on",
        email="eleni@example.gr",
        paragraph="p-0a1b2c3d",
        return_to=PAGE,
    )
    answer = api.post("/v1/comments", typed, form=True)
    assert answer.status_code == 422 and pending(api_env) == []
    html, form = page_of(answer)
    # the summary first, in the form's order, each message a link to its field
    assert [href for href, _ in form.summary] == ["#f-body", "#f-organisation_name"]
    minimum = limits()["fields"]["body"]["min"]
    assert str(minimum) in form.summary[0][1]
    # each message beside its field, and the field says so to assistive technology
    body = form.by_id["f-body"]
    assert body["aria-invalid"] == "true"
    assert "f-body-error" in body["aria-describedby"].split()
    assert str(minimum) in html.split('id="f-body-error"')[1].split("</p>")[0]
    assert form.by_id["f-organisation_name"]["aria-invalid"] == "true"
    assert "aria-invalid" not in form.by_id["f-email"]
    # everything typed is back
    assert form.values["body"] == "Λίγο"
    assert form.values["display_name"] == "Ελένη Σ."
    assert form.values["email"] == "eleni@example.gr"
    assert form.values["organisation_type"] == "association"
    assert form.values["paragraph"] == "p-0a1b2c3d"
    assert form.values["return_to"] == PAGE and form.values["text"] == "proto-keimeno"
    assert {"respondent_type=organisation", "publish_name=on", "consent=on"} <= form.checked
    assert "f-website" in form.by_id and form.values.get("website") == ""
    # it posts back to itself: the same route, with the same fields
    [target] = form.forms
    assert "action" not in target and target["method"] == "post"


def test_the_corrected_form_is_accepted_and_confirmed_with_its_reference(api, api_env):
    answer = api.post("/v1/comments", comment(body="Λίγο", consent="on", return_to=PAGE), form=True)
    _, form = page_of(answer)
    fields = {k: v for k, v in form.values.items() if v}
    fields |= {"body": "Τώρα με αρκετό κείμενο για να γίνει δεκτό.", "consent": "on"}
    fields |= dict(item.split("=") for item in form.checked)
    sent = api.post("/v1/comments", fields, form=True)
    assert sent.status_code == 303, sent.body
    [item] = pending(api_env)
    assert item["body"] == fields["body"] and item["paragraph"] == "eisagogi"
    location = sent.headers["Location"]
    assert location.startswith(f"received/{item['reference']}?")
    confirmation = api.client.http.get(f"/v1/{location}")
    assert confirmation.status_code == 200
    html, _ = page_of(confirmation)
    assert f'<strong class="reference">{item["reference"]}</strong>' in html
    assert "<h1" in html and "Τι γίνεται τώρα" in html
    assert f'href="{api_env["SITE_URL"]}{PAGE}"' in html


def test_the_confirmation_echoes_only_a_reference_and_a_site_path(api, api_env):
    bad = api.client.http.get("/v1/received/%3Cscript%3E")
    assert bad.status_code == 404 and "<script>" not in bad.body.decode()
    query = urlencode({"back": "//evil.example/"})
    good = api.client.http.get(f"/v1/received/NS-7K2QXD?{query}")
    html, _ = page_of(good)
    assert "evil.example" not in html and f'href="{api_env["SITE_URL"]}/"' in html


def test_markup_typed_into_a_refused_form_comes_back_as_text(api):
    typed = comment(body="<script>alert(1)</script>", display_name='"><b>x', consent=None)
    html, form = page_of(api.post("/v1/comments", typed, form=True))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert form.values["display_name"] == '"><b>x' and "<b>x" not in html


def test_a_rate_limited_proposal_keeps_its_text_and_says_when_to_retry(api, api_env):
    rule = limits()["guards"]["rate_limit"]
    for n in range(rule["max_submissions"]):
        ok = api.post("/v1/comments", comment(body=f"Σχόλιο {n} για το όριο."), ip="198.18.9.1")
        assert ok.status_code == 202
    typed = proposal(consent="on", location="Πλατεία Νέας Σμύρνης")
    answer = api.post("/v1/proposals", typed, form=True, ip="198.18.9.2")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    html, form = page_of(answer)
    assert form.values["title"] == typed["title"] and form.values["body"] == typed["body"]
    assert form.values["location"] == typed["location"]
    assert form.summary == [] and "λίγα λεπτά" in html  # no field is wrong: a general problem
    assert 'class="govgr-error-summary"' in html and "Υπάρχει πρόβλημα" in html


def test_a_closed_consultation_shows_the_text_to_keep_and_no_form(api):
    typed = comment(consultation="kleisti", text="palio-keimeno", paragraph=None, consent="on")
    answer = api.post("/v1/comments", typed, form=True)
    assert answer.status_code == 409
    html, form = page_of(answer)
    assert form.forms == [] and form.values["kept"] == typed["body"]
    assert "readonly" in form.by_id["kept"] and "ολοκληρωθεί" in html


def test_a_duplicate_says_it_is_already_received(api, api_env):
    typed = comment(consent="on")
    assert api.post("/v1/comments", typed, form=True, ip="192.0.2.40").status_code == 303
    answer = api.post("/v1/comments", typed, form=True, ip="192.0.2.41")
    assert answer.status_code == 409
    html, form = page_of(answer)
    assert form.forms == [] and "ήδη καταχωριστεί" in html and "kept" not in form.by_id
    assert len(pending(api_env)) == 1


def test_the_paragraph_link_opens_the_form_with_the_paragraph_chosen(api):
    query = urlencode(
        {"consultation": "anoichti", "text": "proto-keimeno", "paragraph": "p-deadbeef"}
    )
    answer = api.client.http.get(f"/v1/comments/new?{query}")
    assert answer.status_code == 200
    html, form = page_of(answer)
    assert form.values["paragraph"] == "p-deadbeef"
    assert ">§3</option>" in html  # numbered in the text's order
    [target] = form.forms
    assert target["action"] == "../comments" and form.values["return_to"] == PAGE
    assert form.summary == [] and "proto-keimeno" in form.values["text"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"consultation": "anoichti", "text": "no-such-text"}, 404),
        ({"consultation": "none", "text": "proto-keimeno"}, 404),
        ({"consultation": "kleisti", "text": "palio-keimeno"}, 409),
        ({"consultation": "anoichti", "text": "proto-keimeno", "parent": "0" * 26}, 404),
    ],
)
def test_the_form_page_refuses_what_cannot_be_commented(api, query, status):
    answer = api.client.http.get(f"/v1/comments/new?{urlencode(query)}")
    assert answer.status_code == status
    _, form = page_of(answer)
    assert form.forms == []


def test_the_reply_link_opens_the_form_answering_that_comment(api, api_env):
    assert api.post("/v1/comments", comment(paragraph=None)).status_code == 202
    [parent] = pending(api_env)
    query = {"consultation": "anoichti", "text": "proto-keimeno", "parent": parent["id"]}
    pending_answer = api.client.http.get(f"/v1/comments/new?{urlencode(query)}")
    assert pending_answer.status_code == 404  # not published: nothing to answer yet
    approve(api_env, parent["id"])
    html, form = page_of(api.client.http.get(f"/v1/comments/new?{urlencode(query)}"))
    assert form.values["parent"] == parent["id"]
    assert parent["reference"] in html and "Απαντάτε στο σχόλιο" in html
    assert f"#sxolio-{parent['id']}" in html  # where it is on the site
    assert "new?consultation=anoichti&amp;text=proto-keimeno" in html  # a way out of the reply


def test_the_form_pages_are_valid_html(api, api_env, tmp_path: Path):
    refused = api.post("/v1/comments", comment(body="Λίγο", consent=None), form=True)
    closed = comment(consultation="kleisti", text="palio-keimeno", paragraph=None, consent="on")
    pages = {
        "refused.html": refused,
        "closed.html": api.post("/v1/comments", closed, form=True),
        "proposal.html": api.post("/v1/proposals", proposal(title="x", consent="on"), form=True),
        "new.html": api.client.http.get(
            "/v1/comments/new?consultation=anoichti&text=proto-keimeno&paragraph=eisagogi"
        ),
        "received.html": api.client.http.get("/v1/received/NS-7K2QXD?back=%2F"),
    }
    for name, answer in pages.items():
        (tmp_path / name).write_bytes(answer.body)
    assert_nu_clean(tmp_path, "<!DOCTYPE html><html lang=el><title>x</title><p><p></div>")


def test_the_form_page_is_a_503_page_while_the_database_is_unreachable(api, monkeypatch):
    from chalicelib import config, db
    from scripts.dynamodb_local import free_port

    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    config.reset()
    db.reset()
    query = {"consultation": "anoichti", "text": "proto-keimeno", "parent": "0" * 26}
    answer = api.client.http.get(f"/v1/comments/new?{urlencode(query)}")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    html, _ = page_of(answer)
    assert "διαθέσιμη" in html


def test_the_api_pages_wear_the_municipality_from_the_manifest(api, api_env, tmp_path, monkeypatch):
    import json

    from chalicelib import config

    data = json.loads((Path(__file__).parent / "fixtures" / "consultations.json").read_text())
    data |= {"municipality": "Δήμος Δοκιμών", "emblem": "theme/img/alt.svg"}
    data["contact_email"] = "help@example.gr"
    path = tmp_path / "consultations.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("MANIFEST_PATH", str(path))
    config.reset()
    html, _ = page_of(api.client.http.get("/v1/received/NS-7K2QXD"))
    header = html.split("</header>")[0]
    assert "Δήμος Δοκιμών" in header and f"{api_env['SITE_URL']}/theme/img/alt.svg" in header
    assert 'href="mailto:help@example.gr"' in html.split("<footer")[1]
