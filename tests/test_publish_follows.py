"""The publish follows the sources and the calendar, not only moderation decisions: an edited
text is published by the next run, a consultation that closes between two runs is shown closed
(no forms) by the second one while the API refuses it from that moment, a day count ticks at
Athens midnight, and a content mistake leaves the live site as it was until it is fixed.

DynamoDB Local, the real site build of a copy of the tiny fixture site, a local directory as the
target, and the clock moved instead of waited for."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_api_support import api_fixture, comment  # noqa: F401  (api_fixture: the api fixture)

from chalicelib import clock, config, publish
from chalicelib.clock import ATHENS
from chalicelib.store import state
from tests.publish_support import comment_entry, decide, put, table_of, tree_bytes
from tests.site_support import parse
from tests.test_publish_run import RecordingTarget

SITE_URL = "http://127.0.0.1:8000"
API_URL = "http://127.0.0.1:8010"
FIXTURE = Path(__file__).parent / "fixtures" / "site" / "content"
OPEN_SLUG = "prasino-kai-evangelistria"
CLOSES = datetime(2026, 12, 20, 23, 59, tzinfo=ATHENS)  # the open consultation's Closes
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=ATHENS)


@pytest.fixture
def ddb(dynamodb: Any, table: str) -> Any:
    return table_of(dynamodb, table)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the fixture content that the test may edit, as staff would in git."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "content"))


class Site:
    """One publish target and its workdir; ``run`` publishes at a given moment."""

    def __init__(self, ddb: Any, root: Path, content: Path, tmp_path: Path) -> None:
        self.ddb, self.root, self.content = ddb, root, content
        self.target = RecordingTarget(tmp_path / "site")
        self.workdir = tmp_path / "work"

    def run(self, now: datetime, **kwargs: Any) -> publish.PublishResult:
        self.target.puts.clear()
        with clock.frozen(now):  # the stamps it records follow the moved clock too
            return publish.run(
                target=self.target,
                project_root=self.root,
                workdir=self.workdir,
                api_url=API_URL,
                site_url=SITE_URL,
                table=self.ddb,
                content=self.content,
                now=now,
                **kwargs,
            )

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.target.directory / "consultations.json").read_text("utf-8"))

    def text_page(self, consultation: str = OPEN_SLUG, n: int = 0) -> str:
        cons = next(c for c in self.manifest["consultations"] if c["slug"] == consultation)
        return cons["texts"][n]["url"].lstrip("/") + "index.html"

    def html(self, page: str) -> str:
        return (self.target.directory / page).read_text(encoding="utf-8")

    def forms(self, page: str) -> list[str]:
        """The actions of the submission forms the page shows."""
        return [f.get("action") or "" for f in parse(self.html(page)).find_all("form")]


@pytest.fixture
def site(ddb: Any, root: Path, content: Path, tmp_path: Path) -> Site:
    return Site(ddb, root, content, tmp_path)


def test_an_edited_text_is_published_by_the_next_run_with_no_decision(
    site: Site, content: Path
) -> None:
    first = site.run(NOW)
    assert first.status == publish.PUBLISHED and "first" in first.reasons
    assert site.run(NOW).status == publish.NOTHING

    edited = content / "consultations" / "anoichti" / "plateia.md"
    old = "Η πλατεία είναι η καρδιά της πόλης."
    source = edited.read_text(encoding="utf-8")
    assert old in source
    edited.write_text(source.replace(old, "Η πλατεία είναι η ανανεωμένη καρδιά."), "utf-8")
    page = site.text_page()
    assert "ανανεωμένη" not in site.html(page)

    again = site.run(NOW + timedelta(minutes=1))
    assert (again.status, again.reasons) == (publish.PUBLISHED, ["sources"])
    assert "ανανεωμένη καρδιά" in site.html(page)
    pages = {p for p in site.target.puts if p.endswith(".html")}
    assert pages == {page}  # only the changed page; its search index entries come with it
    assert again.rendered == 1 and again.skipped > 5
    assert site.run(NOW + timedelta(minutes=2)).status == publish.NOTHING


def test_a_new_template_is_a_source_too(site: Site, root: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("theme", "pelicanconf.py", "publishconf.py"):
        copy = shutil.copytree if (root / name).is_dir() else shutil.copy2
        copy(root / name, project / name)
    site.root = project
    assert site.run(NOW).status == publish.PUBLISHED
    base = project / "theme" / "templates" / "base.html"
    base.write_text(base.read_text("utf-8").replace("</body>", "<!-- νέο -->\n</body>"), "utf-8")
    again = site.run(NOW)
    assert again.reasons == ["sources"]
    assert "<!-- νέο -->" in site.html("index.html")


def test_a_closing_between_two_runs_removes_the_forms_as_the_api_starts_refusing(
    site: Site, api: Any, api_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = CLOSES - timedelta(minutes=10)
    assert site.run(before).status == publish.PUBLISHED
    page = site.text_page()
    assert any(action.endswith("/v1/comments") for action in site.forms(page))
    # The API reads the manifest this build wrote, as `make dev` has it do.
    monkeypatch.setenv("MANIFEST_PATH", str(site.target.directory / "consultations.json"))
    config.reset()
    text = next(c for c in site.manifest["consultations"] if c["slug"] == OPEN_SLUG)["texts"][0]
    payload = comment(consultation=OPEN_SLUG, text=text["slug"], paragraph=text["paragraphs"][0])
    with clock.frozen(before):
        assert api.post("/v1/comments", payload).status_code == 202

    after = CLOSES + timedelta(minutes=5)
    second = site.run(after)
    assert (second.status, second.reasons) == (publish.PUBLISHED, ["calendar"])
    assert site.forms(page) == []
    html = site.html(page)
    assert "Ολοκληρώθηκε" in html and "apotelesmata/" in html  # a link to its results
    consultation = next(c for c in site.manifest["consultations"] if c["slug"] == OPEN_SLUG)
    results = consultation["url"].lstrip("/") + "apotelesmata/index.html"
    assert "Αποτελέσματα της διαβούλευσης" in site.html(results)  # it has its results page now
    with clock.frozen(after):
        refused = api.post("/v1/comments", payload)
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "consultation_closed"


def test_a_day_count_ticks_at_athens_midnight(site: Site) -> None:
    evening = datetime(2026, 12, 10, 23, 50, tzinfo=ATHENS)
    first = site.run(evening)
    assert first.next_change == clock.iso(datetime(2026, 12, 11, 0, 0, tzinfo=ATHENS))
    page = site.text_page()
    assert "απομένουν 10 ημέρες" in site.html(page)
    assert site.run(evening + timedelta(minutes=9)).status == publish.NOTHING
    after_midnight = site.run(datetime(2026, 12, 11, 0, 1, tzinfo=ATHENS))
    assert after_midnight.reasons == ["calendar"]
    assert "απομένουν 9 ημέρες" in site.html(page)
    # Only the open consultation's pages and the home page show the count.
    changed = {p for p in site.target.puts if p.endswith(".html")}
    assert "index.html" in changed and page in changed
    assert not [p for p in changed if "/kleisti/" in p or "/mellontiki/" in p]


def test_a_content_mistake_leaves_the_live_site_until_it_is_fixed(
    site: Site, content: Path, ddb: Any
) -> None:
    assert site.run(NOW).status == publish.PUBLISHED
    live = tree_bytes(site.target.directory)
    watermark = state.read(ddb).get("watermark")

    # A comment approved while the source is broken waits for the fix.
    entry = comment_entry(1, body="Σχόλιο που εγκρίθηκε ενώ τα κείμενα είχαν λάθος.")
    decide(ddb, put(ddb, entry, status="pending"), "approved", clock.iso(NOW))
    broken = content / "consultations" / "anoichti" / "podilata.md"
    source = broken.read_text(encoding="utf-8")
    broken.write_text("\n".join(source.splitlines()[1:]), encoding="utf-8")  # no Title

    failed = site.run(NOW + timedelta(minutes=10))
    assert failed.status == publish.FAILED
    assert failed.error == {
        "file": "consultations/anoichti/podilata.md",
        "field": "Title",
        "problem": "λείπει (υποχρεωτικό πεδίο)",
    }
    assert tree_bytes(site.target.directory) == live  # nothing uploaded, nothing deleted
    recorded = state.read(ddb)
    assert recorded["build_error"]["file"] == "consultations/anoichti/podilata.md"
    assert recorded.get("watermark") == watermark

    # Still broken and nothing new: the schedule does not build the same failure every minute.
    assert site.run(NOW + timedelta(minutes=11)).status == publish.NOTHING
    assert state.read(ddb)["build_error"]["file"] == "consultations/anoichti/podilata.md"
    # A new decision tries again: still failing, the live site still intact.
    decide(ddb, put(ddb, comment_entry(2), status="pending"), "approved", clock.iso(NOW))
    again = site.run(NOW + timedelta(minutes=20))
    assert again.status == publish.FAILED and tree_bytes(site.target.directory) == live

    broken.write_text(source, encoding="utf-8")
    fixed = site.run(NOW + timedelta(minutes=30))
    assert fixed.status == publish.PUBLISHED
    assert fixed.reasons == ["decisions"]  # the fixed sources are those already published
    assert entry["body"] in site.html(site.text_page())
    assert "build_error" not in state.read(ddb)
    assert state.read(ddb)["watermark"] == clock.iso(NOW)


def test_make_publish_says_what_to_fix_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts import publish as cli

    error = {"file": "pages/schetika.md", "field": "Title", "problem": "λείπει"}
    result = publish.PublishResult(status=publish.FAILED, error=error)
    monkeypatch.setattr(cli, "run_with_progress", lambda *args: result.as_dict())
    monkeypatch.setattr(cli, "aws_stage", lambda stage: {})
    assert cli.main(["--stage", "prod"]) == 1
    assert "pages/schetika.md: Title: λείπει" in capsys.readouterr().err


def test_an_upcoming_consultation_gains_its_forms_when_it_opens(site: Site) -> None:
    opens = datetime(2027, 1, 10, 9, 0, tzinfo=ATHENS)  # the upcoming fixture's Opens
    before = site.run(opens - timedelta(minutes=3))
    assert before.next_change == clock.iso(opens)
    page = site.text_page("mellontiki")
    assert site.forms(page) == [] and "ανοίγει στις" in site.html(page)
    assert site.run(opens - timedelta(minutes=1)).status == publish.NOTHING
    opened = site.run(opens + timedelta(minutes=2))
    assert opened.reasons == ["calendar"]
    assert any(action.endswith("/v1/comments") for action in site.forms(page))
