"""The municipality's identity, from pelicanconf's settings alone: its name and genitive, its
site, its emblem (a neutral placeholder, not a crest), /favicon.ico at the root and the touch
icon, on every page; the same help in the same place of every page (WCAG 3.2.6)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from site_support import Node, build_fixture_site, page, parse

from chalicelib.sitebuild import SiteBuildError

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "theme" / "static" / "img"

pytestmark = pytest.mark.xdist_group("site_identity")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output, _ = build_fixture_site(ROOT, tmp_path_factory.mktemp("identity"))
    return output


def pages(output: Path) -> dict[str, Node]:
    """Every citizens' page (not Pagefind's, not the staff's), by its path."""
    found = {}
    for path in sorted(output.rglob("*.html")):
        rel = path.relative_to(output).as_posix()
        if not rel.startswith(("pagefind/", "moderation/")):
            found[rel] = parse(path.read_text(encoding="utf-8"))
    return found


def resolve(output: Path, rel: str, href: str) -> Path:
    """The file a page's link points to (relative, or root-relative on the 404 page)."""
    if href.startswith("/"):
        return output / href.lstrip("/")
    return (output / rel).parent / href


def test_the_description_says_of_the_municipality_in_the_genitive(site: Path) -> None:
    for rel, doc in pages(site).items():
        description = doc.find("meta", name="description").get("content") or ""
        assert "του Δήμος" not in description, rel
    home = page(site, "").find("meta", name="description").get("content")
    assert home == (
        "Δημόσια διαβούλευση του Δήμου Νέας Σμύρνης: διαβάστε τα κείμενα, σχολιάστε "
        "και καταθέστε τις προτάσεις σας."
    )
    raw = " ".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "του Δήμος" not in raw


def test_every_page_shows_the_emblem_and_links_the_icons(site: Path) -> None:
    for rel, doc in pages(site).items():
        header = doc.find("header", cls="govgr-header")
        emblem = header.find("img", cls="govgr-header-logo")
        assert emblem.get("alt") == "", rel  # beside the municipality's name: decorative
        assert (
            resolve(site, rel, emblem.get("src")).read_bytes() == (IMG / "emblem.svg").read_bytes()
        )
        assert "Δήμος Νέας Σμύρνης" in header.text() and "Δημόσια διαβούλευση" in header.text()
        icons = [
            (link.get("rel"), resolve(site, rel, link.get("href")).resolve())
            for link in doc.find_all("link")
            if "icon" in (link.get("rel") or "")
        ]
        assert icons == [
            ("icon", site.resolve() / "favicon.ico"),
            ("icon", site.resolve() / "theme" / "img" / "emblem.svg"),
            ("apple-touch-icon", site.resolve() / "theme" / "img" / "apple-touch-icon.png"),
        ], rel
        assert all(path.is_file() for _, path in icons), rel


def test_favicon_is_a_real_icon_at_the_root(site: Path) -> None:
    ico = (site / "favicon.ico").read_bytes()
    assert ico == (IMG / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 2  # an ICO with several sizes
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32} <= sizes
    png = (IMG / "apple-touch-icon.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (180, 180)


def test_the_emblem_is_a_neutral_placeholder() -> None:
    svg = (IMG / "emblem.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'viewBox="0 0 48 48"' in svg
    assert "<image" not in svg and "<text" not in svg and "href" not in svg  # shapes only
    assert len(svg) < 1024


def test_the_same_help_in_the_same_place_on_every_page(site: Path) -> None:
    helps = set()
    for rel, doc in pages(site).items():
        footer = doc.find("footer", cls="govgr-footer")
        help_ = footer.find("p", cls="help")
        link = help_.find("a")
        helps.add((help_.text(), link.get("href")))
        items = footer.find("ul", cls="govgr-footer__inline-list").find_all("li")
        assert [li.text() for li in items][-1] == "Όλα τα κείμενα και οι προτάσεις", rel
    assert helps == {
        (
            "Βοήθεια και επικοινωνία: diavoulefsi@neasmyrni.gr",
            "mailto:diavoulefsi@neasmyrni.gr",
        )
    }


def test_another_municipality_changes_only_the_settings(tmp_path: Path) -> None:
    output, _ = build_fixture_site(
        ROOT,
        tmp_path,
        MUNICIPALITY="Δήμος Άλφα",
        MUNICIPALITY_GENITIVE="Δήμου Άλφα",
        MUNICIPALITY_URL="https://www.alfa.example/",
        MUNICIPALITY_EMAIL="voitheia@alfa.example",
    )
    home = page(output, "")
    assert (
        home.find("meta", name="description")
        .get("content")
        .startswith("Δημόσια διαβούλευση του Δήμου Άλφα:")
    )
    assert "Δήμος Άλφα" in home.find("span", cls="govgr-header-title").text()
    footer = home.find("footer")
    assert footer.find("a", href="https://www.alfa.example/").text() == "Δήμος Άλφα"
    assert footer.find("a", href="mailto:voitheia@alfa.example")
    assert "Δήμου Άλφα" in home.find("p", cls="lead").text()


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"MUNICIPALITY_GENITIVE": ""}, "MUNICIPALITY_GENITIVE"),
        ({"MUNICIPALITY_EMBLEM": "theme/img/crest.svg"}, "crest.svg"),
        ({"MUNICIPALITY_EMBLEM": "img/emblem.svg"}, "κάτω από theme/"),
    ],
)
def test_an_incomplete_identity_stops_the_build(tmp_path: Path, overrides: dict, said: str) -> None:
    with pytest.raises(SiteBuildError, match=said) as raised:
        build_fixture_site(ROOT, tmp_path, **overrides)
    assert raised.value.field and raised.value.field.startswith("MUNICIPALITY_")
