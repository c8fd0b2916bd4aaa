"""The demo's worked result (content/ and the demo snapshot): its reports use only the report's
fields, and its answers and participants are plausible — every disposition used, answered
after the close, within the limits, some people taking part more than once."""

from __future__ import annotations

import re

import pytest
from test_content_model import Doc, doc_id, reports, snapshot, utc, window

from chalicelib.spec import limits
from plugins.results.report import REPORT_FIELDS


@pytest.mark.parametrize("doc", reports(), ids=doc_id)
def test_report_metadata(doc: Doc) -> None:
    allowed = {name.capitalize() for name in REPORT_FIELDS}
    assert set(doc.meta) <= allowed and doc.meta.get("Title"), doc_id(doc)
    assert doc.meta.get("Decision_url", "https://").startswith("https://"), doc_id(doc)
    assert "2026–2030" in doc.body, f"{doc_id(doc)}: the current programming period"


def test_snapshot_answers_and_participants() -> None:
    items = snapshot()["comments"] + snapshot()["proposals"]
    generated = utc(snapshot()["generated_at"])
    answered = [i for i in items if i.get("answer")]
    codes = {i["answer"]["disposition"] for i in answered}
    assert codes == set(limits()["dispositions"]["labels"]), "every disposition"
    spec = limits()["fields"]["answer_text"]
    for item in answered:
        assert window(item["consultation"])[1] <= utc(item["answer"]["answered_at"]) <= generated
        assert spec["min"] <= len(item["answer"]["text"]) <= spec["max"], item["id"]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i.get("participant") or "") for i in items)
    assert len({i["participant"] for i in items}) < len(items), "some take part more than once"
