"""The build's list of its files (chalicelib.site_files): one walk outside Pagefind's folder, one
of Pagefind's folder that trusts the list for a bundle Pagefind did not index again."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

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
