"""The search index in bundles (chalicelib.search_bundles): one per consultation and one for the
rest, merged by the search page. A rebuild re-indexes only the bundles whose pages changed, and
gives the same index, so the same results, as a fresh build; a hidden comment leaves the index."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, serve
from search_support import searcher

from chalicelib.search_bundles import (
    DELTA_FOLDER,
    DELTA_ID,
    ENTRY,
    LIST_NAME,
    ROOT,
    STATE_NAME,
    VOCABULARY,
    VOCABULARY_PAGES,
    BundleError,
    beside,
    index_site,
    plan,
)
from chalicelib.search_delta import DELTA_PAGES, GUARD_URL, outgrown
from chalicelib.search_vocabulary import initials, page_url, page_urls, partition
from chalicelib.sitebuild import build_site
from plugins.consultations import urls

FIXTURE = Path(__file__).parent / "fixtures" / "site"
NOW = datetime(2026, 11, 26, 12, tzinfo=ZoneInfo("Europe/Athens"))
OPEN, CLOSED, UPCOMING = "prasino-kai-evangelistria", "kleisti", "mellontiki"
HIDDEN_WORD, NEW_WORD = "καλειδοσκόπιο", "ζαχαροπλαστείο"  # in no other page
# Whole words, word starts (Pagefind matches prefixes), a word no page has, two words, a quoted
# phrase, the capitals and accents people type.
QUERIES = (
    "πλατεια",
    "πλατ",
    "διαβουλευση",
    "ΠΟΔΗΛΑΤΟΔΡΟΜΟΣ",
    "σχολ",
    "σχολιο δημος",
    "παλιο κειμενο",
    '"Παλιό σχόλιο"',
    "ξξξ",
    "ωραια",
    NEW_WORD,
    HIDDEN_WORD,
)

pytestmark = pytest.mark.xdist_group("site_search")


def settings(root: Path) -> dict[str, Any]:
    from pelican.settings import read_settings

    return read_settings(str(root / "pelicanconf.py"))


def partitions_of(*words: str) -> list[str]:
    """The vocabulary partitions holding these words (their folders), sorted."""
    return sorted({f"{VOCABULARY}{partition(c)}/" for w in words for c in initials(w.lower())})


def vocabulary_indexed(result: Any) -> list[str]:
    return [folder for folder in result.indexed if folder.startswith(VOCABULARY)]


def bundle_of(root: Path, slug: str) -> str:
    """A consultation bundle's folder, from the URL setting (no path spelled here)."""
    return f"{ROOT}/{urls.url(settings(root), 'CONSULTATION', slug=slug)}"


def comment(number: int, body: str) -> dict[str, Any]:
    data = json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))
    entry = copy.deepcopy(data["comments"][2])  # on the open consultation's text
    entry.update(id=f"01jcomment0000000000000{number:03d}", reference=f"NS-SRCH{number:02d}")
    entry["body"] = body
    return entry


def write_snapshot(path: Path, *extra: dict[str, Any]) -> Path:
    data = json.loads((FIXTURE / "snapshot.json").read_text(encoding="utf-8"))
    data["comments"] += list(extra)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def build(root: Path, output: Path, snapshot: Path, *, compact: bool = True) -> Any:
    return build_site(
        root,
        output,
        snapshot=snapshot,
        api_url="http://api.test",
        now=NOW,
        content=FIXTURE / "content",
        compact=compact,
    )


def bundle_files(output: Path) -> dict[str, bytes]:
    """Every file of the search index, gzip decompressed (the bytes people download)."""
    found = {}
    for path in sorted((output / ROOT).rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found[path.relative_to(output).as_posix()] = (
                gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            )
    return found


def mtimes(output: Path, folder: str) -> dict[str, int]:
    """mtime_ns of every file of a consultation bundle."""
    return {
        p.relative_to(output).as_posix(): p.stat().st_mtime_ns
        for p in (output / folder).rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, root: Path) -> dict[str, Any]:
    """The fixture site built, then rebuilt after a comment was hidden and another approved
    (incremental); and the second state built from nothing (fresh)."""
    base = tmp_path_factory.mktemp("shards")
    before = write_snapshot(base / "before.json", comment(901, f"Ένα {HIDDEN_WORD} στο κέντρο."))
    after = write_snapshot(base / "after.json", comment(902, f"Ένα {NEW_WORD} στη γωνία."))
    incremental, fresh = base / "incremental", base / "fresh"
    first = build(root, incremental, before)
    closed = mtimes(incremental, bundle_of(root, CLOSED))
    site_entry = (incremental / ROOT / ENTRY).stat().st_mtime_ns
    second = build(root, incremental, after)
    build(root, fresh, after)
    # Only added (the new comment, on top of the fixture's): the changed pages wait in the delta.
    delta = base / "delta"
    build(root, delta, write_snapshot(base / "plain.json"))
    open_mtimes = mtimes(delta, bundle_of(root, OPEN))
    added = build(root, delta, after, compact=False)
    return {
        "incremental": incremental,
        "fresh": fresh,
        "delta": delta,
        "first": first.search,
        "second": second.search,
        "added": added.search,
        "closed_mtimes": closed,
        "open_mtimes": open_mtimes,
        "site_entry_mtime": site_entry,
    }


def test_every_consultation_has_its_bundle_and_the_list_names_them(
    sites: dict[str, Any], root: Path
) -> None:
    output = sites["incremental"]
    listing = json.loads((output / ROOT / LIST_NAME).read_text(encoding="utf-8"))
    expected = [bundle_of(root, s)[len(ROOT) + 1 :] for s in sorted((CLOSED, UPCOMING, OPEN))]
    words_of, letters = listing.pop("words_of"), listing.pop("vocabulary")
    assert listing == {"bundles": expected}  # compacted: no delta
    assert set(words_of.values()) == {"site", *expected}  # vocabulary pages for each
    assert "π" in letters and "3" in letters and "ά" not in letters  # letters, digits, no accents
    for letter, folder in letters.items():
        assert folder == f"{VOCABULARY[len(ROOT) + 1 :]}{partition(letter)}/"
        assert not (output / ROOT / folder / "fragment").exists()  # its pages are never shown
    for path in ["", *expected, *letters.values()]:
        assert (output / ROOT / path / ENTRY).is_file(), path
    # a merged bundle is read with the site bundle's scripts: none of its own
    assert not list((output / bundle_of(root, OPEN)).glob("*.js"))
    assert (output / ROOT / "pagefind-ui.js").is_file()
    first = sites["first"]  # every bundle, then every partition of the vocabulary
    assert first.bundles == 4 and first.indexed[4:] == vocabulary_indexed(first)
    assert len(first.indexed[4:]) >= len(letters) - 2  # the second build's new words' letters


def test_a_rebuild_reindexes_only_the_changed_bundles(sites: dict[str, Any], root: Path) -> None:
    # one comment hidden, one approved: the open consultation's pages changed, not the counts
    # of the home page (one less, one more); its words changed, so the vocabulary partitions of
    # those words, and no other
    second, first = sites["second"], sites["first"]
    assert second.indexed[0] == bundle_of(root, OPEN)
    assert set(partitions_of(HIDDEN_WORD, NEW_WORD)) <= set(vocabulary_indexed(second))
    assert len(vocabulary_indexed(second)) < len(vocabulary_indexed(first)) / 2
    output = sites["incremental"]
    assert mtimes(output, bundle_of(root, CLOSED)) == sites["closed_mtimes"]  # not rewritten
    assert (output / ROOT / ENTRY).stat().st_mtime_ns == sites["site_entry_mtime"]


def test_the_incremental_index_is_the_fresh_one(sites: dict[str, Any]) -> None:
    incremental, fresh = bundle_files(sites["incremental"]), bundle_files(sites["fresh"])
    assert incremental.keys() == fresh.keys()
    assert [p for p in incremental if incremental[p] != fresh[p]] == []
    pages = [
        sorted(beside(sites[s], VOCABULARY_PAGES).rglob("*.html")) for s in ("incremental", "fresh")
    ]
    names = [[p.relative_to(p.parents[1]).as_posix() for p in found] for found in pages]
    assert names[0] == names[1] and names[0]
    assert [p.read_bytes() for p in pages[0]] == [p.read_bytes() for p in pages[1]]
    state = json.loads((sites["incremental"] / STATE_NAME).read_text(encoding="utf-8"))
    again = json.loads((sites["fresh"] / STATE_NAME).read_text(encoding="utf-8"))
    assert state["pages"] == again["pages"] and state["ids"] == again["ids"]


def test_added_comments_wait_in_the_delta(sites: dict[str, Any], root: Path) -> None:
    """Without compacting, a build indexes only the changed pages (into the delta) and the
    vocabulary; the bundles keep their files, and the list names the delta and what it
    replaces."""
    added, output = sites["added"], sites["delta"]
    # new words to the open consultation: their partitions follow, no other
    assert added.indexed[0] == DELTA_FOLDER
    assert set(partitions_of(NEW_WORD)) <= set(added.indexed[1:]) and len(added.indexed) <= 4
    assert added.indexed[1:] == vocabulary_indexed(added)
    assert mtimes(output, bundle_of(root, OPEN)) == sites["open_mtimes"]
    text = urls.save_as(settings(root), "TEXT", consultation=OPEN, slug="anaplasi-plateias")
    assert text in added.delta and len(added.delta) < 10
    listing = json.loads((output / ROOT / LIST_NAME).read_text(encoding="utf-8"))
    assert DELTA_ID in listing["bundles"] and DELTA_ID in listing["words_of"].values()
    assert listing["delta"] == {
        "bundle": DELTA_ID,
        "owners": [bundle_of(root, OPEN)[len(ROOT) + 1 :], "site"],
    }
    base_ids = set(page_urls(output / bundle_of(root, OPEN)).values())
    state = json.loads((output / STATE_NAME).read_text(encoding="utf-8"))
    guards = set(state["delta"]["guards"])  # its owners' words, indexed beside its pages
    assert guards and guards <= set(listing["replaced"])  # never shown
    held = page_urls(output / DELTA_FOLDER)  # their text is not even published
    assert not guards & set(held.values()) and not any(u.startswith(GUARD_URL) for u in held)
    older = set(listing["replaced"]) - guards
    assert older and older <= base_ids | set(page_urls(output / ROOT).values())
    assert page_urls(output / DELTA_FOLDER)[page_url(text)] not in listing["replaced"]
    assert any(NEW_WORD.encode() in data for data in bundle_files(output).values())


def test_a_delta_of_known_words_leaves_the_vocabulary_alone(tmp_path: Path, root: Path) -> None:
    """Approvals whose words their consultation already has: the delta is indexed with its
    owners' words (guards), the search page reaches it through them, and no vocabulary
    partition is indexed again (at ten times the site the whole vocabulary took 0.45 s)."""
    output = tmp_path / "out"
    build(root, output, write_snapshot(tmp_path / "plain.json"))
    known = comment(903, "Η πλατεία και η ανάπλαση της πλατείας.")
    snapshot = write_snapshot(tmp_path / "known.json", known)
    added = build(root, output, snapshot, compact=False).search
    assert added.delta and added.indexed == [DELTA_FOLDER]
    listing = json.loads((output / ROOT / LIST_NAME).read_text(encoding="utf-8"))
    assert DELTA_ID not in listing["words_of"].values()  # no word of its own
    assert bundle_of(root, OPEN)[len(ROOT) + 1 :] in listing["delta"]["owners"]


def test_compacting_brings_the_delta_back_to_the_fresh_index(
    tmp_path: Path, sites: dict[str, Any], root: Path
) -> None:
    """Compacted, the index is byte for byte the one made from nothing of the same pages."""
    output, scratch = tmp_path / "delta", tmp_path / "scratch"
    shutil.copytree(sites["delta"], output)
    shutil.copytree(beside(sites["delta"], VOCABULARY_PAGES), beside(output, VOCABULARY_PAGES))
    result = index_site(output, settings(root))  # compact
    assert result.delta == [] and not (output / DELTA_FOLDER).exists()
    shutil.copytree(sites["delta"], scratch, ignore=shutil.ignore_patterns(ROOT, STATE_NAME))
    index_site(scratch, settings(root))
    assert bundle_files(output) == bundle_files(scratch)


def test_the_delta_is_bounded() -> None:
    """A bundle half changed or more is indexed again; then the most changed ones, until the
    delta holds at most DELTA_PAGES pages."""
    now = {"a/": {f"a{n}": "h" for n in range(1000)}, "b/": {f"b{n}": "h" for n in range(10)}}
    now["c/"] = {f"c{n}": "h" for n in range(1000)}
    few = {"a/": ["a1", "a2"], "b/": ["b1"]}
    assert outgrown(few, now) == set()
    assert outgrown({"b/": ["b1", "b2", "b3", "b4", "b5"]}, now) == {"b/"}
    many = {"a/": [f"a{n}" for n in range(DELTA_PAGES)], "c/": ["c1", "c2"]}
    assert outgrown(many, now) == {"a/"}


def test_a_hidden_comment_is_in_no_index_file(sites: dict[str, Any]) -> None:
    files = bundle_files(sites["incremental"])
    raw = HIDDEN_WORD.encode("utf-8")
    assert [p for p, data in files.items() if raw in data] == []
    assert any(NEW_WORD.encode("utf-8") in data for data in files.values())


def test_a_comments_controls_are_not_searched(sites: dict[str, Any], root: Path) -> None:
    """Σύνδεσμος, Απάντηση, Υποστηρίζω name the comment's reference for screen readers; the
    search index holds the comment's words, not its controls' (the references were nine tenths
    of the vocabulary)."""
    files = bundle_files(sites["fresh"])
    reference = "NS-SRCH902"  # the new comment, on the open consultation (with its controls)
    text = urls.save_as(settings(root), "TEXT", consultation=OPEN, slug="anaplasi-plateias")
    page = sites["fresh"] / text
    assert reference in page.read_text(encoding="utf-8")
    assert not [p for p, data in files.items() if reference.lower().encode() in data.lower()]
    assert any(NEW_WORD.encode() in data for data in files.values())


def test_a_page_rewritten_with_other_bytes_reindexes_its_bundle_alone(
    tmp_path: Path, root: Path
) -> None:
    output = tmp_path / "out"
    build(root, output, FIXTURE / "snapshot.json")
    conf = settings(root)
    closed, open_ = bundle_of(root, CLOSED), bundle_of(root, OPEN)
    before = {folder: mtimes(output, folder) for folder in (closed, open_)}
    page = output / urls.save_as(conf, "CONSULTATION", slug=CLOSED)

    page.write_bytes(page.read_bytes())  # same bytes, a new mtime: not a change
    assert index_site(output, conf).indexed == []

    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</main>", "<p>Διαβάστε ξανά.</p></main>"), encoding="utf-8")
    result = index_site(output, conf)
    # new words: the bundle, and the partitions of those words
    assert result.indexed == [closed, *partitions_of("διαβάστε", "ξανά")]
    assert mtimes(output, open_) == before[open_]
    assert mtimes(output, closed) != before[closed]
    again = "<p>Διαβάστε ξανά.</p><p>Ξανά διαβάστε.</p></main>"
    page.write_text(text.replace("</main>", again), encoding="utf-8")
    assert index_site(output, conf).indexed == [closed]  # no new word: the vocabulary stays
    # a bundle left unfinished (its entry gone) is indexed again, even with its pages unchanged
    (output / open_ / ENTRY).unlink()
    assert index_site(output, conf).indexed == [open_]
    # no state (a failed build): every bundle again
    (output / STATE_NAME).unlink()
    every = index_site(output, conf).indexed
    assert len([f for f in every if not f.startswith(VOCABULARY)]) == 4 and len(every) > 20


def test_a_new_work_folder_with_the_published_site_reindexes_nothing(
    tmp_path: Path, root: Path
) -> None:
    """A cold start: the site's files come back from the target (new mtimes), with the
    output's dot files; the page hashes and vocabulary pages beside it are gone."""
    output = tmp_path / "out"
    build(root, output, FIXTURE / "snapshot.json")
    restored = tmp_path / "cold" / "out"
    shutil.copytree(output, restored, copy_function=shutil.copyfile)  # not the mtimes
    vocabulary_pages = sorted(p.read_bytes() for p in beside(output, VOCABULARY_PAGES).rglob("*.*"))
    result = index_site(restored, settings(root))
    assert result.indexed == [] and result.removed == []
    assert bundle_files(restored) == bundle_files(output)
    again = sorted(p.read_bytes() for p in beside(restored, VOCABULARY_PAGES).rglob("*.*"))
    assert again == vocabulary_pages  # read back from the bundles' fragments


def test_a_cold_start_keeps_the_delta(tmp_path: Path, sites: dict[str, Any], root: Path) -> None:
    restored = tmp_path / "cold" / "out"
    shutil.copytree(sites["delta"], restored, copy_function=shutil.copyfile)
    result = index_site(restored, settings(root), compact=False)
    assert result.indexed == [] and result.delta == sites["added"].delta
    assert bundle_files(restored) == bundle_files(sites["delta"])


def test_a_consultation_that_is_gone_loses_its_bundle(tmp_path: Path, root: Path) -> None:
    output = tmp_path / "out"
    build(root, output, FIXTURE / "snapshot.json")
    conf = settings(root)
    upcoming = bundle_of(root, UPCOMING)
    shutil.rmtree(output / urls.url(conf, "CONSULTATION", slug=UPCOMING))
    result = index_site(output, conf)
    assert result.removed == [upcoming]  # and the partitions without its words
    assert result.indexed and result.indexed == vocabulary_indexed(result)
    assert not (output / upcoming).exists()
    listed = json.loads((output / ROOT / LIST_NAME).read_text(encoding="utf-8"))["bundles"]
    assert upcoming[len(ROOT) + 1 :] not in listed and len(listed) == 2


def test_a_consultation_bundle_cannot_take_the_site_bundles_names(root: Path) -> None:
    conf = dict(settings(root), CONSULTATION_URL="{slug}/")
    assert f"{ROOT}/mia/" in plan(conf, ["index.html", "mia/index.html"])
    for slug in ("index", "fragment", LIST_NAME):
        with pytest.raises(BundleError):
            plan(conf, ["index.html", f"{slug}/index.html"])


# --- in Chromium, as the search page searches -------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def whole_site(sites: dict[str, Any]) -> Path:
    """The fresh site with today's one whole-site index beside the bundles (``whole/``)."""
    output = sites["fresh"]
    cmd = [sys.executable, "-m", "pagefind", "--site", str(output), "--quiet"]
    subprocess.run([*cmd, "--output-subdir", "whole"], check=True, capture_output=True)
    return output


def run_queries(browser: Any, output: Path, bundle: str = "") -> dict[str, list]:
    """Each query's hits, through the search page's merging (or in the plain ``bundle``)."""
    with serve(output) as site:
        page = browser.new_page()
        try:
            page.goto(f"{site.url}/")
            search = searcher(page, bundle or f"/{ROOT}/", merged=not bundle)
            return {term: search(term) for term in QUERIES}
        finally:
            page.close()


@pytest.mark.browser
def test_the_same_results_after_a_rebuild_as_from_nothing(
    browser: Any, sites: dict[str, Any], root: Path
) -> None:
    incremental = run_queries(browser, sites["incremental"])
    assert incremental == run_queries(browser, sites["fresh"])
    # hidden: found no more (a word no page has still matches its longest indexed start, as
    # in a whole-site index: test_merged_bundles_find_what_the_whole_site_index_finds)
    assert all(HIDDEN_WORD not in text for _, text in incremental[HIDDEN_WORD])
    text = urls.url(settings(root), "TEXT", consultation=OPEN, slug="anaplasi-plateias")
    assert [url for url, _ in incremental[NEW_WORD]] == [f"/{text}"]


@pytest.mark.browser
def test_the_delta_finds_what_a_whole_site_index_finds(
    browser: Any, sites: dict[str, Any], tmp_path: Path
) -> None:
    """The bundles with their older pages, the delta with the newer, against one index of the
    same pages: no result twice, none of an older copy, the new comment found."""
    output = tmp_path / "delta"
    shutil.copytree(sites["delta"], output)
    cmd = [sys.executable, "-m", "pagefind", "--site", str(output), "--quiet"]
    subprocess.run([*cmd, "--output-subdir", "whole"], check=True, capture_output=True)
    delta, whole = run_queries(browser, output), run_queries(browser, output, "/whole/")
    for term in QUERIES:
        found = [url for url, _ in delta[term]]
        assert len(found) == len(set(found)), term  # no page twice
        assert set(delta[term]) == set(whole[term]), term  # the newer copies (ranking may differ)
    assert any(NEW_WORD in text for _, text in delta[NEW_WORD])


@pytest.mark.browser
def test_merged_bundles_find_what_the_whole_site_index_finds(
    browser: Any, whole_site: Path
) -> None:
    merged = run_queries(browser, whole_site)
    whole = run_queries(browser, whole_site, "/whole/")
    for term in QUERIES:
        assert {u for u, _ in merged[term]} == {u for u, _ in whole[term]}, term
    assert len({u for u, _ in merged["διαβουλευση"]}) >= 4


@pytest.mark.browser
def test_search_is_accent_insensitive_across_bundles(browser: Any, sites: dict[str, Any]) -> None:
    hits = run_queries(browser, sites["incremental"])
    square = dict(hits["πλατεια"])
    assert any("Πλατεία" in text or "πλατεία" in text for text in square.values())
    bundles = {bundle_key(url) for url, _ in hits["διαβουλευση"]}
    assert {"site", OPEN, CLOSED, UPCOMING} <= bundles, bundles


def bundle_key(url: str) -> str:
    """Which bundle a result came from: its consultation's slug, or "site"."""
    for slug in (OPEN, CLOSED, UPCOMING):
        if f"/{slug}/" in url:
            return slug
    return "site"


@pytest.mark.browser
def test_the_search_page_merges_the_bundles(
    browser: Any, sites: dict[str, Any], root: Path
) -> None:
    conf_search = "/" + urls.url(settings(root), "SEARCH")
    with serve(sites["incremental"]) as site:
        page = browser.new_page()
        page.goto(site.url + conf_search)
        page.fill(".pagefind-ui__search-input", "ποδηλατοδρομος")
        page.wait_for_selector(".pagefind-ui__result-link")
        links = page.locator(".pagefind-ui__result-link").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert any(f"/{OPEN}/" in link for link in links), links
        page.close()

        # without the list of bundles the page says search failed, not «no results»
        page = browser.new_page()
        page.route(f"**/{ROOT}/{LIST_NAME}", lambda route: route.abort())
        page.goto(site.url + conf_search)
        page.wait_for_selector("#search-failed", state="visible")
        assert page.locator(".pagefind-ui__search-input").count() == 0
        page.close()
