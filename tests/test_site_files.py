"""The build's list of its files (chalicelib.site_files): one walk outside Pagefind's folder, one
of Pagefind's folder that trusts the list for a bundle Pagefind did not index again; a build that
only adds looks at what its writers said they wrote (the journal), and nothing else."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalicelib import site_files, tree
from chalicelib.search_bundles import ENTRY, ROOT


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fresh(root: Path) -> dict[str, str]:
    """Every file hashed afresh, without any list."""
    return {
        rel: hashlib.sha256(Path(path).read_bytes()).hexdigest() for rel, path in tree.files(root)
    }


def listing(output: Path) -> dict[str, list]:
    """What a build lists: its pages and assets, then Pagefind's folder (the list kept)."""
    known = site_files.read(output)
    listed = site_files.pages_and_assets(output, known)
    listed.update(site_files.search_index(output, known))
    site_files.write(output, listed)
    return listed


BUNDLE = f"{ROOT}/diavoulefseis/anoichti/"


def site(output: Path) -> None:
    write(output, "index.html", "<p>αρχική</p>")
    write(output, ".render-state.json", "{}")  # the machinery's
    write(output, f"{ROOT}/{ENTRY}", '{"v": 1}')
    write(output, f"{ROOT}/fragment/el_1.pf_fragment", "site page")
    write(output, f"{BUNDLE}{ENTRY}", '{"v": 1}')
    write(output, f"{BUNDLE}fragment/el_2.pf_fragment", "a comment page")
    write(output, f"{BUNDLE}index/el_3.pf_index", "its words")


def test_the_list_is_every_site_file_with_its_hash(tmp_path):
    output = tmp_path / "output"
    site(output)
    listed = listing(output)
    assert site_files.manifest(listed) == fresh(output)
    assert list(site_files.manifest(listed)) == sorted(listed)  # the manifest's order
    assert ".render-state.json" not in listed
    assert site_files.path(output).parent == tmp_path  # beside the output, not in it


def test_a_bundle_pagefind_did_not_index_again_is_taken_from_the_list(tmp_path, monkeypatch):
    output = tmp_path / "output"
    site(output)
    listing(output)
    entered: list[str] = []
    real = os.scandir

    def spy(path: str) -> object:
        entered.append(Path(path).relative_to(output).as_posix() + "/")
        return real(path)

    monkeypatch.setattr(tree.os, "scandir", spy)
    write(output, "index.html", "<p>αρχική, νέα</p>")  # a page written again
    again = listing(output)
    assert f"{BUNDLE}fragment/" not in entered and f"{BUNDLE}index/" not in entered
    assert f"{ROOT}/fragment/" not in entered  # the site bundle's own folders too
    assert site_files.manifest(again) == fresh(output)


def test_a_bundle_indexed_again_is_walked_again(tmp_path):
    output = tmp_path / "output"
    site(output)
    listing(output)
    # Pagefind indexes the bundle again: an emptied folder, new fragments, a new entry.
    (output / f"{BUNDLE}fragment/el_2.pf_fragment").unlink()
    write(output, f"{BUNDLE}fragment/el_4.pf_fragment", "the comment page, with a new comment")
    write(output, f"{BUNDLE}{ENTRY}", '{"v": 2}')
    listed = listing(output)
    assert f"{BUNDLE}fragment/el_4.pf_fragment" in listed
    assert f"{BUNDLE}fragment/el_2.pf_fragment" not in listed
    assert site_files.manifest(listed) == fresh(output)


def test_a_bundle_that_is_gone_leaves_the_list(tmp_path):
    output = tmp_path / "output"
    site(output)
    listing(output)
    for rel in (ENTRY, "fragment/el_2.pf_fragment", "index/el_3.pf_index"):
        (output / BUNDLE / rel).unlink()
    listed = listing(output)
    assert not [rel for rel in listed if rel.startswith(BUNDLE)]
    assert site_files.manifest(listed) == fresh(output)


def test_a_build_writes_the_sitemap_from_its_list_as_pelican_alone_does(root, tmp_path):
    """build_site writes the sitemap from its list of files; Pelican on its own, from a walk:
    the same sitemap and robots.txt, and the list holds them as they are."""
    from site_support import build_whole_site

    from plugins import sitemap_el

    output = build_whole_site(root, tmp_path / "built")
    listed = site_files.read(output)
    assert site_files.manifest(listed) == fresh(output)  # sitemap.xml and robots.txt too
    written = {name: (output / name).read_bytes() for name in sitemap_el.FILES}
    assert b"<loc>" in written["sitemap.xml"]

    settings = {**read_settings(root, output), sitemap_el.FROM_LIST: False}
    alone = SimpleNamespace(output_path=str(output), settings=settings)  # Pelican on its own
    for name in sitemap_el.FILES:
        (output / name).unlink()
    sitemap_el.write_sitemap(alone)  # type: ignore[arg-type]
    assert {name: (output / name).read_bytes() for name in sitemap_el.FILES} == written


def read_settings(root: Path, output: Path) -> dict:
    from pelican.settings import read_settings as pelican_settings

    return pelican_settings(str(root / "pelicanconf.py"), override={"OUTPUT_PATH": str(output)})


def test_a_list_that_cannot_be_read_means_every_file_hashed_again(tmp_path):
    output = tmp_path / "output"
    site(output)
    listing(output)
    site_files.path(output).write_bytes(b"\x00not marshal")
    assert site_files.read(output) == {}
    assert site_files.manifest(listing(output)) == fresh(output)


THEME = "theme/"  # the folder Pelican copies the theme's files into, every build


def outside_pagefind(root: Path) -> dict[str, str]:
    return {rel: sha for rel, sha in fresh(root).items() if not rel.startswith(f"{ROOT}/")}


def test_a_journal_hears_pelicans_writer_and_the_plugins_in_its_output_only(tmp_path):
    from pelican import signals

    output = tmp_path / "output"
    with site_files.journal(output) as heard:
        signals.content_written.send(str(output / "a" / "index.html"), context={})
        signals.feed_written.send(str(output / "a" / "feed.atom"), context={}, feed=None)
        site_files.wrote(output / "data" / "a.csv")
        site_files.wrote(output / "old.html")
        site_files.removed(output / "old.html")  # written, then removed: removed
        site_files.wrote(output / ".render-state.json")  # the machinery's
        site_files.wrote(output / "a" / ".b.csv.part")
        site_files.wrote(tmp_path / "elsewhere.html")
    assert heard.written == {"a/index.html", "a/feed.atom", "data/a.csv"}
    assert heard.removed == {"old.html"}
    site_files.wrote(output / "late.html")  # after the block: heard by none
    signals.content_written.send(str(output / "late2.html"), context={})
    assert heard.written == {"a/index.html", "a/feed.atom", "data/a.csv"}


def test_with_a_journal_only_what_was_written_and_the_copied_folder_are_looked_at(
    tmp_path, monkeypatch
):
    output = tmp_path / "output"
    site(output)
    write(output, "old/index.html", "<p>παλιά</p>")
    write(output, f"{THEME}css/site.css", "body {}")
    write(output, f"{THEME}css/gone.css", "p {}")
    write(output, "data/a.csv", "a")
    known = site_files.pages_and_assets(output, {})
    monkeypatch.delenv(site_files.AUDIT, raising=False)  # the audit's walk enters everything
    entered: list[str] = []
    real = os.scandir
    monkeypatch.setattr(tree.os, "scandir", lambda path: entered.append(path) or real(path))
    with site_files.journal(output) as heard:
        write(output, "index.html", "<p>αρχική, νέα</p>")
        write(output, "new/index.html", "<p>νέα σελίδα</p>")
        write(output, "data/a.csv", "ab")
        for rel in ("index.html", "new/index.html", "data/a.csv"):
            site_files.wrote(output / rel)
        (output / "old/index.html").unlink()
        site_files.removed(output / "old/index.html")
        site_files.wrote(output / "vanished.html")  # said, then gone without a word
        write(output, f"{THEME}css/site.css", "body { margin: 0 }")  # copied again
        write(output, f"{THEME}js/new.js", "1")
        (output / f"{THEME}css/gone.css").unlink()
    listed = site_files.pages_and_assets(output, known, heard, [THEME])
    looked = {Path(path).relative_to(output).as_posix() for path in entered}
    assert looked == {"theme", "theme/css", "theme/js"}
    assert site_files.manifest(listed) == outside_pagefind(output)


def test_without_a_journal_or_a_list_everything_is_walked(tmp_path):
    output = tmp_path / "output"
    site(output)
    with site_files.journal(output) as heard:
        write(output, "unsaid.html", "<p>κανείς δεν το είπε</p>")
    assert "unsaid.html" in site_files.pages_and_assets(output, {}, heard)  # no list
    known = site_files.pages_and_assets(output, {})
    write(output, "unsaid-too.html", "<p>ούτε αυτό</p>")
    assert "unsaid-too.html" in site_files.pages_and_assets(output, known)  # a compact build


def test_the_audit_names_a_file_no_writer_told_of(tmp_path, monkeypatch):
    monkeypatch.setenv(site_files.AUDIT, "1")
    output = tmp_path / "output"
    site(output)
    known = site_files.pages_and_assets(output, {})
    with site_files.journal(output) as heard:
        write(output, "index.html", "<p>αλλαγμένη σιωπηλά</p>")
    with pytest.raises(site_files.ListDrift, match=r"index\.html"):
        site_files.pages_and_assets(output, known, heard)
    monkeypatch.delenv(site_files.AUDIT)
    stale = site_files.pages_and_assets(output, known, heard)  # what the audit guards against
    assert stale["index.html"] == known["index.html"]


def test_pelicans_static_files_are_heard_though_it_copies_them_without_a_signal(root, tmp_path):
    """Content static files (none in this site's settings yet) are copied when their source is
    newer; a build that only adds lists them afresh (the tests' audit walks to check)."""
    import shutil
    from datetime import datetime

    from site_support import FIXTURE_NOW, FIXTURE_SITE

    from chalicelib.sitebuild import build_site

    content = tmp_path / "content"
    shutil.copytree(FIXTURE_SITE / "content", content)
    write(content, "eikones/chartis.svg", "<svg>1</svg>")
    output = tmp_path / "output"

    def build(compact: bool) -> dict[str, str]:
        return build_site(
            root,
            output,
            snapshot=FIXTURE_SITE / "snapshot.json",
            api_url="http://api.example.test:9000",
            now=datetime.fromisoformat(FIXTURE_NOW),
            content=content,
            settings={"STATIC_PATHS": ["eikones"]},
            compact=compact,
        ).files

    assert build(compact=True)["eikones/chartis.svg"] == fresh(output)["eikones/chartis.svg"]
    write(content, "eikones/chartis.svg", "<svg>2, a newer map</svg>")
    os.utime(content / "eikones/chartis.svg", (2e9, 2e9))  # newer than its copy
    files = build(compact=False)
    assert (output / "eikones/chartis.svg").read_text(
        encoding="utf-8"
    ) == "<svg>2, a newer map</svg>"
    assert files["eikones/chartis.svg"] == fresh(output)["eikones/chartis.svg"]
