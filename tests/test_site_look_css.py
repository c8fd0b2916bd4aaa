"""The gov.gr design system as the site ships it: theme/static/css/govgr.css is what
scripts/theme_css.py makes from the pinned npm packages and the templates (regenerated here and
compared), holds only the classes the templates use, keeps the licence banners, loads no web
font, and every custom property a stylesheet uses is defined."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts import theme_css

ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "theme" / "static" / "css"
SHIPPED = CSS / "govgr.css"
# Classes the forms name for structure only: the design system styles their items, not them.
UNSTYLED = {"govgr-radios", "govgr-checkboxes"}


def test_govgr_css_is_what_the_script_makes_now() -> None:
    """The drift check: templates or packages changed, `make theme-css` was not run."""
    fresh = theme_css.generate(theme_css.used_classes())
    assert fresh == SHIPPED.read_text(encoding="utf-8"), "run `make theme-css`"


def test_a_class_a_template_starts_using_is_drift(tmp_path: Path) -> None:
    for folder in theme_css.SOURCES:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    page = tmp_path / "theme" / "templates" / "page.html"
    page.write_text(
        page.read_text(encoding="utf-8") + '<div class="govgr-warning-text">!</div>\n', "utf-8"
    )
    used = theme_css.used_classes(tmp_path)
    assert "govgr-warning-text" in used - theme_css.used_classes()
    fresh = theme_css.generate(used)
    assert ".govgr-warning-text{" in fresh
    assert fresh != SHIPPED.read_text(encoding="utf-8")  # so the test above would fail


def test_the_check_option_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "govgr.css"
    stale.write_text(SHIPPED.read_text(encoding="utf-8") + "/* edited */\n", "utf-8")
    assert theme_css.main(["--check", "--output", str(stale)]) == 1
    assert theme_css.main(["--check", "--output", str(SHIPPED)]) == 0


def test_only_the_classes_the_templates_use_are_shipped() -> None:
    css = SHIPPED.read_text(encoding="utf-8")
    used = theme_css.used_classes()
    assert theme_css.defined_classes(css) <= used
    full = theme_css.DIGIGOV.read_text(encoding="utf-8")
    assert len(full) > 150_000 and len(css) < len(full) / 3
    for absent in (".dark", ".tooltip", ".govgr-accordion", "#govgr-burger-icon", "@keyframes"):
        assert absent not in css, absent
    # what the site's frame and forms need is there
    for needed in ("govgr-header", "govgr-footer", "govgr-breadcrumbs", "govgr-radios__input"):
        assert f".{needed}{{" in css, needed
    assert len(gzip.compress(css.encode(), 6)) < 9 * 1024


def test_every_class_the_templates_use_exists_in_the_design_system() -> None:
    """A govgr-* class that the design system does not define is a typo or an invention."""
    defined = theme_css.defined_classes(theme_css.DIGIGOV.read_text(encoding="utf-8"))
    assert theme_css.used_classes() - defined <= UNSTYLED


def test_licence_banners_kept_and_no_web_fonts() -> None:
    css = SHIPPED.read_text(encoding="utf-8")
    versions = {
        name: json.loads((theme_css.PACKAGES / name / "package.json").read_text())["version"]
        for name in ("css", "theme-govgr")
    }
    assert css.startswith("/*!\n * @digigov/css: 0.37.0")
    assert f"@digigov/css {versions['css']} (BSD-2-Clause)" in css
    assert f"@digigov/theme-govgr {versions['theme-govgr']} (BSD-2-Clause)" in css
    assert "MIT License" in css  # Tailwind's and modern-normalize's banners
    for font in ("@font-face", "Roboto", "url(http", "@import"):
        assert font not in css, font
    assert "font-family:" not in css.replace("font-family:inherit", "")
    site = (CSS / "site.css").read_text(encoding="utf-8")
    assert "@font-face" not in site and "system-ui" in site


def test_the_element_resets_that_would_strip_prose_are_dropped() -> None:
    css = SHIPPED.read_text(encoding="utf-8")
    assert "ol,ul{list-style:none" not in css
    assert "h1,h2,h3,h4,h5,h6{font-size:inherit" not in css
    assert "\na{color:inherit" not in css
    assert "*,:after,:before{box-sizing:border-box" in css  # the components rely on it


def _defined(css: str) -> set[str]:
    return set(re.findall(r"(--[\w-]+)\s*:", css))


def _needed(css: str) -> set[str]:
    """Custom properties used without a fallback (``var(--x)``, not ``var(--x, y)``)."""
    return set(re.findall(r"var\(\s*(--[\w-]+)\s*\)", css))


def test_every_custom_property_used_is_defined() -> None:
    sheets = {p.name: p.read_text(encoding="utf-8") for p in CSS.glob("*.css")}
    defined = set().union(*(_defined(css) for css in sheets.values()))
    for name, css in sheets.items():
        assert _needed(css) - defined == set(), name
    root = re.search(r"\n:root\{([^}]*)\}", sheets["govgr.css"])
    assert root and "--color-primary:#003375" in root.group(1)  # the govgr theme's own blue
    assert "--color-primary-100" not in root.group(1)  # unused: left out


def test_the_site_loads_govgr_css_then_its_own(tmp_path: Path, root: Path) -> None:
    from site_support import build_fixture_site, page

    output, _ = build_fixture_site(root, tmp_path)
    for url in ("", "diavoulefseis/prasino-kai-evangelistria/anaplasi-plateias/", "anazitisi/"):
        links = page(output, url).find_all("link", rel="stylesheet")
        hrefs = [(link.get("href") or "").rsplit("/", 1)[-1] for link in links]
        assert hrefs[:3] == ["govgr.css", "site.css", "print.css"], url
        assert links[2].get("media") == "print"
        assert (output / "theme" / "css" / "govgr.css").read_bytes() == SHIPPED.read_bytes()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_theme_css_runs_the_script() -> None:
    done = subprocess.run(
        ["make", "-n", "theme-css"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "scripts/theme_css.py" in done.stdout
