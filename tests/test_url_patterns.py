"""One source per concept: the site's URL patterns live in pelicanconf.py only (the plugins, the
templates, the exports and, through the manifest, the API follow them), and `make html` reads
the snapshot a local publish writes."""

from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from site_support import page

from plugins.consultations import urls

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
# "moderation" also names the API's routes and modules: only the Greek segments are guarded.
COMMON_WORDS = {"moderation"}
# Where a URL segment may be spelled besides pelicanconf.py: the tests, the docs, the content.
EXEMPT = ("tests/", "docs/", "content/")


def conf(root: Path) -> dict[str, Any]:
    from pelican.settings import get_settings_from_file

    return get_settings_from_file(str(root / "pelicanconf.py"))


def segments(settings: dict[str, Any]) -> set[str]:
    """The fixed parts of every URL pattern (``diavoulefseis``, the proposals' segment, ...)."""
    found = set()
    for name in urls.PAGES:
        found |= {part for part in settings[f"{name}_URL"].split("/") if part and "{" not in part}
    return found - COMMON_WORDS


def source_files(root: Path) -> list[str]:
    """Tracked files and new ones not ignored: what the next commit holds."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return sorted(
        name
        for name in set(listed)
        if name != "pelicanconf.py"
        and not name.startswith(EXEMPT)
        and not name.endswith(".md")
        and (root / name).is_file()
    )


def test_url_segments_are_spelled_only_in_pelicanconf(root: Path) -> None:
    guarded = segments(conf(root))
    assert {"diavoulefseis", "protaseis", "anoikta-dedomena", "anazitisi"} <= guarded
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(s)}(?![\w-])" for s in sorted(guarded)))
    found = []
    for name in source_files(root):
        try:
            content = (root / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images, fonts
        for number, line in enumerate(content.splitlines(), 1):
            if match := pattern.search(line):
                found.append(f"{name}:{number}: {match.group(0)}")
    assert found == [], "URL segments outside pelicanconf.py (use its *_URL settings):\n" + (
        "\n".join(found)
    )


# --- the built site follows the settings -----------------------------------------------------
def _build(root: Path, output: Path, **overrides: str) -> dict[str, Any]:
    """Pelican alone (no Pagefind) on the fixture site, pelicanconf plus ``overrides``."""
    from pelican.settings import read_settings

    from chalicelib.sitebuild import run_pelican

    settings = read_settings(
        str(root / "pelicanconf.py"),
        override={
            "PATH": str(FIXTURE / "content"),
            "OUTPUT_PATH": str(output),
            "THEME": str(root / "theme"),
            "SNAPSHOT_PATH": str(FIXTURE / "snapshot.json"),
            "CONSULTATION_NOW": NOW.isoformat(),
            "CACHE_PATH": str(output.parent / "cache"),
            **overrides,
        },
    )
    run_pelican(settings)
    return settings


@pytest.fixture(scope="module")
def built(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    output = tmp_path_factory.mktemp("urls") / "output"
    return output, _build(root, output)


def _proposals() -> list[dict[str, Any]]:
    return json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))["proposals"]


def _links(node: Any) -> set[str]:
    return {a.get("href") for a in node.find_all("a")}


def _check_proposal_pages(output: Path, settings: dict[str, Any]) -> None:
    assert _proposals()
    for proposal in _proposals():
        slug, pid = proposal["consultation"], proposal["id"]
        consultation = urls.url(settings, "CONSULTATION", slug=slug)
        listing = urls.url(settings, "PROPOSALS", consultation=slug)
        one = urls.url(settings, "PROPOSAL", consultation=slug, id=pid)
        assert (output / urls.save_as(settings, "PROPOSAL", consultation=slug, id=pid)).is_file()
        assert (output / urls.save_as(settings, "PROPOSALS", consultation=slug)).is_file()
        prefix = "../" * consultation.count("/")  # relative URLs, as pelicanconf builds them
        assert f"{prefix}{listing}" in _links(page(output, consultation))
        assert f"{'../' * listing.count('/')}{one}" in _links(page(output, listing))
        proposal_page = page(output, one)
        crumbs = _links(proposal_page.find("nav", **{"aria-label": "Διαδρομή"}))
        assert f"{'../' * one.count('/')}{listing}" in crumbs
        for field in proposal_page.find_all("input", name="return_to"):  # open ones: a form
            assert field.get("value") == f"/{one}"


def test_proposal_pages_sit_at_the_configured_urls(built: tuple[Path, dict[str, Any]]) -> None:
    output, settings = built
    _check_proposal_pages(output, settings)


def test_the_manifest_carries_the_proposal_pattern(built: tuple[Path, dict[str, Any]]) -> None:
    from chalicelib import manifest, moderation_queue

    output, settings = built
    data = json.loads((output / "consultations.json").read_text(encoding="utf-8"))
    parsed = manifest.parse(data)
    assert data["consultations"]
    for entry in data["consultations"]:
        slug = entry["slug"]
        pattern = "/" + urls.url(settings, "PROPOSAL", consultation=slug, id="{id}")
        assert entry["proposal_url"] == pattern
        assert entry["url"] == "/" + urls.url(settings, "CONSULTATION", slug=slug)
        cons = parsed.consultation(slug)
        assert cons is not None and cons.proposal_url == pattern
        assert moderation_queue.proposal_url(cons, "abc123") == pattern.replace("{id}", "abc123")


def test_an_older_manifest_without_the_pattern_still_loads(root: Path) -> None:
    """The property is additive (schema_version stays 1): the API links to the consultation."""
    from chalicelib import manifest, moderation_queue

    data = json.loads((root / "tests" / "fixtures" / "consultations.json").read_text("utf-8"))
    for entry in data["consultations"]:
        entry.pop("proposal_url")
    cons = manifest.parse(data).consultation("anoichti")
    assert cons is not None and cons.proposal_url == ""
    assert moderation_queue.proposal_url(cons, "abc123") == cons.url


def test_other_settings_move_the_pages_links_and_manifest(root: Path, tmp_path: Path) -> None:
    """Change the proposals' pattern in the settings alone: pages, links, the text slugs the
    consultation reserves and the manifest's pattern all follow."""
    default = conf(root)
    base = default["CONSULTATION_URL"].replace("{slug}", "{consultation}")
    moved = {
        "PROPOSALS_URL": base + "idees/",
        "PROPOSALS_SAVE_AS": base + "idees/index.html",
        "PROPOSALS_PART_URL": base + "idees/{part}/",
        "PROPOSALS_PART_SAVE_AS": base + "idees/{part}/index.html",
        "PROPOSAL_URL": base + "idees/ar-{id}/",
        "PROPOSAL_SAVE_AS": base + "idees/ar-{id}/index.html",
        "PROPOSAL_COMMENTS_URL": base + "idees/ar-{id}/sxolia/{part}/",
        "PROPOSAL_COMMENTS_SAVE_AS": base + "idees/ar-{id}/sxolia/{part}/index.html",
        # a campaign's proposals and their comments (plugins/submissions/group_pages.py)
        "PROPOSALS_GROUP_URL": base + "idees/omada/{group}/",
        "PROPOSALS_GROUP_SAVE_AS": base + "idees/omada/{group}/index.html",
        "PROPOSALS_GROUP_PART_URL": base + "idees/omada/{group}/{part}/",
        "PROPOSALS_GROUP_PART_SAVE_AS": base + "idees/omada/{group}/{part}/index.html",
        "PROPOSAL_COMMENTS_GROUP_URL": base + "idees/ar-{id}/sxolia/omada/{group}/{part}/",
        "PROPOSAL_COMMENTS_GROUP_SAVE_AS": base
        + "idees/ar-{id}/sxolia/omada/{group}/{part}/index.html",
    }
    output = tmp_path / "output"
    settings = _build(root, output, **moved)
    _check_proposal_pages(output, settings)
    # and the results', and the comment finder's (a text's own comment pages reserve nothing)
    assert urls.reserved_slugs(settings) == {"idees", "apotelesmata", "sxolia"}
    old = urls.url(default, "PROPOSALS", consultation=_proposals()[0]["consultation"])
    assert not (output / old).exists()
    data = json.loads((output / "consultations.json").read_text(encoding="utf-8"))
    assert all(c["proposal_url"].endswith("/idees/ar-{id}/") for c in data["consultations"])


# --- one snapshot path for `make html` and a local publish -----------------------------------
class _Exported(Exception):
    """Stops the publish once it has chosen where to write the snapshot."""


def test_make_html_reads_the_snapshot_a_local_publish_writes(
    root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dynamodb: Any,
    table: str,
) -> None:
    from rich.console import Console

    from chalicelib import snapshot_delta
    from scripts import build, publish

    local = tmp_path / "local"
    local.mkdir()
    monkeypatch.setenv("DIAVOULEFSI_LOCAL_DIR", str(local))
    monkeypatch.delenv("DIAVOULEFSI_SNAPSHOT", raising=False)
    dev = {
        "site_url": "http://127.0.0.1:1",
        "api_url": "http://127.0.0.1:2",
        "dynamodb_endpoint": dynamodb.endpoint,
        "table": table,
    }
    (local / "dev.json").write_text(json.dumps(dev), encoding="utf-8")

    written: list[Path] = []

    def refresh(table: Any, path: Path, **kwargs: Any) -> None:
        written.append(Path(path))
        raise _Exported

    monkeypatch.setattr(snapshot_delta, "refresh", refresh)
    with publish.local_stage() as stage, pytest.raises(_Exported):
        publish.run_with_progress(stage, force=True, console=Console(file=io.StringIO()))

    read: list[Path] = []

    def build_site(*args: Any, **kwargs: Any) -> SimpleNamespace:
        read.append(Path(kwargs["snapshot"]))
        return SimpleNamespace(output=args[1], stats={}, seconds=0.0)

    monkeypatch.setattr(build, "build_site", build_site)
    assert build.main(["--output", str(tmp_path / "output")]) == 0  # what `make html` runs

    pelicanconf = Path(conf(root)["SNAPSHOT_PATH"])
    assert written == [pelicanconf] == read
    assert pelicanconf == local / "publish" / "snapshot"  # the publish's shards
