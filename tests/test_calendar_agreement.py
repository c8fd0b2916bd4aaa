"""The site and the API agree on every consultation's state: built at a moment and asked at the
same moment (the clock moved there), a page shows a submission form exactly when the API
accepts that submission. Both read one manifest (the build's) and one rule (chalicelib.timeline).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_api_support import api_fixture, comment, proposal  # noqa: F401  (the api fixture)

from chalicelib import clock, config
from chalicelib.clock import ATHENS
from chalicelib.sitebuild import build_site
from tests.site_support import parse

FIXTURE = Path(__file__).parent / "fixtures" / "site" / "content"
OPENS = datetime(2026, 11, 1, 9, 0, tzinfo=ATHENS)  # the open consultation of the fixture
CLOSES = datetime(2026, 12, 20, 23, 59, tzinfo=ATHENS)
MOMENTS = {
    "before-opening": OPENS - timedelta(seconds=1),
    "at-opening": OPENS,
    "last-second": CLOSES - timedelta(seconds=1),
    "at-closing": CLOSES,
}


def form_actions(output: Path, url: str) -> list[str]:
    html = (output / url.lstrip("/") / "index.html").read_text(encoding="utf-8")
    return [f.get("action") or "" for f in parse(html).find_all("form")]


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_forms_are_shown_exactly_when_the_api_accepts(
    moment: datetime,
    root: Path,
    tmp_path: Path,
    api: Any,
    api_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "out"
    build_site(root, output, snapshot=None, api_url="http://api.test", content=FIXTURE, now=moment)
    manifest = output / "consultations.json"
    monkeypatch.setenv("MANIFEST_PATH", str(manifest))
    config.reset()
    seen: dict[str, tuple[bool, bool]] = {}
    for cons in json.loads(manifest.read_text(encoding="utf-8"))["consultations"]:
        slug = cons["slug"]
        with clock.frozen(moment):
            proposed = api.post("/v1/proposals", proposal(consultation=slug)).status_code
        assert proposed in (202, 409), slug
        proposals = cons["proposal_url"].replace("{id}/", "")  # the list holds the form
        shows = any(a.endswith("/v1/proposals") for a in form_actions(output, proposals))
        assert shows == (proposed == 202), (slug, moment)
        for text in cons["texts"]:
            payload = comment(consultation=slug, text=text["slug"], paragraph=None)
            with clock.frozen(moment):
                commented = api.post("/v1/comments", payload).status_code
            assert commented in (202, 409), (slug, text["slug"])
            shows = any(a.endswith("/v1/comments") for a in form_actions(output, text["url"]))
            assert shows == (commented == 202), (slug, text["slug"], moment)
            seen[f"{slug}/{text['slug']}"] = (shows, commented == 202)
    # Every moment sees both answers somewhere: the closed and upcoming fixtures refuse, and
    # the open one accepts exactly from its opening second to its last.
    assert {accepted for _, accepted in seen.values()} == (
        {True, False} if OPENS <= moment < CLOSES else {False}
    )
