"""Render fingerprints: a rebuild re-renders only the pages whose data changed."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from chalicelib.sitebuild import build_site

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
OPEN = "diavoulefseis/prasino-kai-evangelistria/"


def test_rebuild_renders_only_what_changed(tmp_path: Path, root: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    data = json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    output, stats_path = tmp_path / "out", tmp_path / "stats.json"

    def build() -> dict[str, int]:
        result = build_site(
            root,
            output,
            snapshot=snapshot,
            api_url="http://api.test",
            now=NOW,
            content=FIXTURE / "content",
            stats_path=stats_path,
        )
        assert json.loads(stats_path.read_text()) == result.stats
        return result.stats

    # 16 pages and feeds, the closed consultation's results page and five charts, 3 comment
    # pages and 8 comment finder pages (tests/test_site_build.py)
    assert build() == {"rendered": 33, "skipped": 0, "deleted": 0}
    manifest = (output / "consultations.json").read_bytes()
    untouched = output / OPEN / "anaplasi-plateias" / "index.html"
    untouched.write_text(untouched.read_text() + "<!-- marker -->")
    assert build() == {"rendered": 0, "skipped": 33, "deleted": 0}
    assert (output / "consultations.json").read_bytes() == manifest  # nothing new to upload

    # one new approved comment on the bicycles text
    comment = copy.deepcopy(data["comments"][2])
    comment.update(
        id="01jcomment00000000000000new",
        reference="NS-NEW001",
        text="podilata",
        body="Ένα νέο εγκεκριμένο σχόλιο.",
    )
    data["comments"].append(comment)
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    # home (counts), consultation page (counts), the text page, the consultation's feed, the
    # text's first comment page (the whole text's) and the finder page of the comment's id
    assert build() == {"rendered": 6, "skipped": 29, "deleted": 0}  # one more finder page
    assert "Ένα νέο εγκεκριμένο σχόλιο." in (output / OPEN / "podilata/index.html").read_text()
    assert untouched.read_text().endswith("<!-- marker -->")  # not re-rendered

    # the proposal is withdrawn from the snapshot: its page goes away
    data["proposals"] = [
        p for p in data["proposals"] if p["consultation"] != "prasino-kai-evangelistria"
    ]
    data["comments"] = [c for c in data["comments"] if c["proposal"] is None]
    snapshot.write_text(json.dumps(data), encoding="utf-8")
    stats = build()
    assert stats["deleted"] == 3  # its page, and the two finder pages only its comments were on
    assert not (output / OPEN / "protaseis" / "01jproposal00000000000001a" / "index.html").exists()

    # a missing output file is rendered again even though its fingerprint is known
    untouched.unlink()
    assert build()["rendered"] == 1 and untouched.is_file()


def test_published_build_has_absolute_urls(tmp_path: Path, root: Path) -> None:
    site = "https://diavoulefsi.example.gr"
    output = tmp_path / "out"
    build_site(
        root,
        output,
        snapshot=None,
        api_url="https://api.example.gr/",
        site_url=site,
        now=NOW,
        publish=True,
        content=FIXTURE / "content",
    )
    html = (output / OPEN / "podilata" / "index.html").read_text(encoding="utf-8")
    assert f'href="{site}/theme/css/site.css"' in html
    assert 'action="https://api.example.gr/v1/comments"' in html
    assert f"<loc>{site}/{OPEN}</loc>" in (output / "sitemap.xml").read_text()
    assert f"Sitemap: {site}/sitemap.xml" in (output / "robots.txt").read_text()
