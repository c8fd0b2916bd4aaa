"""What changed in a text: paragraphs matched by id then by similarity, a word-level diff whose
tokens give back both versions, and the partial that renders it for screen readers too."""

from __future__ import annotations

import itertools
import random
import re
from difflib import SequenceMatcher
from pathlib import Path

import jinja2
import pytest
from site_support import parse

from plugins.consultations.paragraphs import Paragraph
from plugins.consultations.reader import markdown_reader, read_text
from plugins.results.diff import Change, changed_ids, compare, summary, word_diff

ROOT = Path(__file__).resolve().parent.parent
HEAD = "Title: Κείμενο\nKind: project\n\n"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from pelican.settings import read_settings

    content = tmp_path_factory.mktemp("content")
    return read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content)})


@pytest.fixture
def read(settings: dict, tmp_path: Path):
    """Markdown body → its paragraphs, through the site's own reader (with paragraph ids)."""
    count = iter(range(1_000_000))

    def read(body: str) -> list[Paragraph]:
        path = tmp_path / f"t{next(count)}.md"
        path.write_text(HEAD + body, encoding="utf-8")
        return read_text(markdown_reader(settings, paragraph_ids=True), path, "dokimi").paragraphs

    return read


def kinds(changes: list[Change]) -> list[str]:
    return [c.kind for c in changes]


CONSULTED = """\
Η πλατεία Νέας Σμύρνης θα ανακαινιστεί μέσα στο 2026. {#plateia}

Τα δέντρα της πλατείας θα διατηρηθούν όλα και θα φυτευτούν είκοσι νέα πλατάνια.

Ο φωτισμός θα αντικατασταθεί με λαμπτήρες LED χαμηλής κατανάλωσης.

- Νέα παιδική χαρά.
- Κρήνη με πόσιμο νερό.
"""


def test_the_same_text_is_unchanged_throughout(read) -> None:
    old = read(CONSULTED)
    changes = compare(old, read(CONSULTED))
    assert kinds(changes) == ["unchanged"] * 5
    assert [c.number for c in changes] == [1, 2, 3, 4, 5]
    assert all(c.consulted_id == c.current_id for c in changes)
    assert changes[0].tokens == (
        ("equal", "Η πλατεία Νέας Σμύρνης θα ανακαινιστεί μέσα στο 2026."),
    )
    assert summary(changes) == {"unchanged": 5, "changed": 0, "added": 0, "removed": 0}
    assert changed_ids(changes) == set()


def test_an_edited_paragraph_with_an_explicit_id_is_changed_word_by_word(read) -> None:
    current = CONSULTED.replace("μέσα στο 2026.", "πλήρως μέσα στο 2027.")
    changes = compare(read(CONSULTED), read(current))
    assert kinds(changes) == ["changed"] + ["unchanged"] * 4
    first = changes[0]
    assert (first.consulted_id, first.current_id, first.number) == ("plateia", "plateia", 1)
    assert first.tokens == (
        ("equal", "Η πλατεία Νέας Σμύρνης θα ανακαινιστεί "),
        ("insert", "πλήρως "),
        ("equal", "μέσα στο "),
        ("delete", "2026."),
        ("insert", "2027."),
    )
    assert changed_ids(changes) == {"plateia"}


def test_an_explicit_id_holds_a_paragraph_however_rewritten_or_moved(read) -> None:
    old = read("Πρώτη. {#a}\n\nΗ πλατεία θα ανακαινιστεί. {#b}\n")
    new = read("Κανένα έργο φέτος. {#b}\n\nΠρώτη. {#a}\n")
    changes = compare(old, new)
    assert [(c.kind, c.consulted_id, c.current_id, c.number) for c in changes] == [
        ("changed", "b", "b", 1),
        ("unchanged", "a", "a", 2),
    ]
    assert changes[0].tokens == (
        ("delete", "Η πλατεία θα ανακαινιστεί."),
        ("insert", "Κανένα έργο φέτος."),
    )


def test_an_edited_paragraph_with_a_derived_id_is_paired_by_similarity(read) -> None:
    current = CONSULTED.replace("είκοσι νέα πλατάνια", "τριάντα νέα πλατάνια")
    old, new = read(CONSULTED), read(current)
    assert old[1].id != new[1].id  # the derived id is a hash of the text: it changed
    changes = compare(old, new)
    assert kinds(changes) == ["unchanged", "changed", "unchanged", "unchanged", "unchanged"]
    assert (changes[1].consulted_id, changes[1].current_id) == (old[1].id, new[1].id)
    assert [t for t in changes[1].tokens if t[0] != "equal"] == [
        ("delete", "είκοσι "),
        ("insert", "τριάντα "),
    ]
    assert changed_ids(changes) == {old[1].id}


def test_two_edited_paragraphs_pair_with_their_own_versions(read) -> None:
    current = CONSULTED.replace("όλα και", "όλα, και").replace("LED χαμηλής", "LED πολύ χαμηλής")
    old, new = read(CONSULTED), read(current)
    changes = compare(old, new)
    assert kinds(changes)[1:3] == ["changed", "changed"]
    assert [(c.consulted_id, c.current_id) for c in changes[1:3]] == [
        (old[1].id, new[1].id),
        (old[2].id, new[2].id),
    ]


def test_a_rewritten_paragraph_is_removed_and_another_added(read) -> None:
    lighting = "Ο φωτισμός θα αντικατασταθεί με λαμπτήρες LED χαμηλής κατανάλωσης."
    rewritten = "Ο φωτισμός θα μείνει ως έχει, χωρίς αλλαγές, μέχρι το 2030."
    shared = SequenceMatcher(None, lighting.split(), rewritten.split()).ratio()
    assert 0.25 < shared < 0.5  # three words in common: not enough to be the same paragraph
    old, new = read(CONSULTED), read(CONSULTED.replace(lighting, rewritten))
    changes = compare(old, new)
    # where it stood, before what replaced it (as deletions come first inside a paragraph)
    assert kinds(changes) == [
        "unchanged",
        "unchanged",
        "removed",
        "added",
        "unchanged",
        "unchanged",
    ]
    removed, added = changes[2], changes[3]
    assert (added.consulted_id, added.current_id, added.number) == (None, new[2].id, 3)
    assert added.tokens == (("insert", rewritten),)
    assert (removed.consulted_id, removed.current_id, removed.number) == (old[2].id, None, 3)
    assert removed.tokens == (("delete", old[2].text),)
    assert changed_ids(changes) == {old[2].id}
    assert summary(changes) == {"unchanged": 4, "changed": 0, "added": 1, "removed": 1}


def test_a_paragraph_half_rewritten_is_still_the_same_paragraph_changed(read) -> None:
    lighting = "Ο φωτισμός θα αντικατασταθεί με λαμπτήρες LED χαμηλής κατανάλωσης."
    rewritten = "Ο φωτισμός θα αντικατασταθεί σταδιακά με νέα φωτιστικά σώματα."
    shared = SequenceMatcher(None, lighting.split(), rewritten.split()).ratio()
    assert 0.5 <= shared < 0.6  # five words of nine in common, in order
    old, new = read(CONSULTED), read(CONSULTED.replace(lighting, rewritten))
    changes = compare(old, new)
    assert kinds(changes) == ["unchanged", "unchanged", "changed", "unchanged", "unchanged"]
    assert changes[2].tokens == (
        ("equal", "Ο φωτισμός θα αντικατασταθεί "),
        ("insert", "σταδιακά "),
        ("equal", "με "),
        ("delete", "λαμπτήρες LED χαμηλής κατανάλωσης."),
        ("insert", "νέα φωτιστικά σώματα."),
    )


def test_removed_paragraphs_stand_where_they_stood(read) -> None:
    old = read("Πρώτη παράγραφος εδώ.\n\nΔεύτερη παράγραφος εκεί.\n\nΤρίτη.\n\nΤέταρτη.\n")
    new = read("Τρίτη.\n\nΚαινούργια φράση για το πάρκο.\n\nΤέταρτη.\n")
    changes = compare(old, new)
    assert [(c.kind, c.number) for c in changes] == [
        ("removed", 1),
        ("removed", 2),
        ("unchanged", 1),
        ("added", 2),
        ("unchanged", 3),
    ]
    assert changes[0].consulted_text == "Πρώτη παράγραφος εδώ."
    assert changes[3].current_text == "Καινούργια φράση για το πάρκο."


def test_a_paragraph_given_an_explicit_id_later_is_still_unchanged(read) -> None:
    current = CONSULTED.replace("χαμηλής κατανάλωσης.", "χαμηλής κατανάλωσης. {#fotismos}")
    changes = compare(read(CONSULTED), read(current))
    assert kinds(changes) == ["unchanged"] * 5
    assert changes[2].current_id == "fotismos"


def test_greek_accents_and_final_sigma_are_words_like_any_other(read) -> None:
    old = read("Η οδός Ομήρου και η οδός Αιγαίου θα πεζοδρομηθούν σταδιακά. {#odoi}\n")
    new = read("Η οδός Όμηρου και η οδός Αιγαίου θα πεζοδρομηθούν σταδιακώς. {#odoi}\n")
    (change,) = compare(old, new)
    assert change.kind == "changed"
    assert change.tokens == (
        ("equal", "Η οδός "),
        ("delete", "Ομήρου "),
        ("insert", "Όμηρου "),
        ("equal", "και η οδός Αιγαίου θα πεζοδρομηθούν "),
        ("delete", "σταδιακά."),
        ("insert", "σταδιακώς."),
    )


WORDS = ["η", "πλατεία", "οδός", "Δήμος", "κάτοικοι", "πράσινο,", "νερό.", "φως", "παιδιά", "2026"]


def _sentence(rng: random.Random) -> str:
    spaces = [" ", "  ", "\t", " \n"]
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
    text = "".join(w + rng.choice(spaces) for w in words)
    return rng.choice(["", " "]) + text.rstrip(rng.choice(["", " \t\n"]))


@pytest.mark.parametrize("seed", range(5))
def test_joining_the_tokens_gives_back_both_versions(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        old = _sentence(rng)
        new = (
            _sentence(rng)
            if rng.random() < 0.3
            else " ".join(w for w in old.split() if rng.random() < 0.8) + rng.choice(["", " νέο"])
        )
        tokens = word_diff(old, new)
        assert "".join(t for op, t in tokens if op != "insert") == old
        assert "".join(t for op, t in tokens if op != "delete") == new
        assert all(op in ("equal", "insert", "delete") and t for op, t in tokens)
        ops = [op for op, _ in tokens]
        # runs merged; inside a run of edits the deletion first
        assert all(a != b and (a, b) != ("insert", "delete") for a, b in itertools.pairwise(ops))


def test_every_change_gives_back_its_paragraphs(read) -> None:
    current = (
        CONSULTED.replace("μέσα στο 2026.", "μέσα στο 2027.")
        .replace("είκοσι", "τριάντα")
        .replace("- Κρήνη με πόσιμο νερό.\n", "- Βρύση.\n- Παγκάκια στη σκιά.\n")
    )
    old, new = read(CONSULTED), read(current)
    changes = compare(old, new)
    old_text = {p.id: p.text for p in old}
    new_text = {p.id: p.text for p in new}
    for change in changes:
        if change.consulted_id:
            assert change.consulted_text == old_text.pop(change.consulted_id)
        if change.current_id:
            assert change.current_text == new_text.pop(change.current_id)
    assert old_text == new_text == {}  # every paragraph of both versions, once
    assert [c.current_id for c in changes if c.current_id] == [p.id for p in new]


# --- the partial: ins/del with words for screen readers, never raw text -------------------------
@pytest.fixture(scope="module")
def diff_tokens():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "theme" / "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=True,
    )
    return env.get_template("_diff.html").module.diff_tokens


def test_the_partial_marks_insertions_and_deletions_in_words(diff_tokens) -> None:
    tokens = word_diff("Η πλατεία θα ανακαινιστεί το 2026.", "Η πλατεία θα ανακαινιστεί το 2027.")
    html = str(diff_tokens(tokens))
    doc = parse(f"<p>{html}</p>")
    (ins,) = doc.find_all("ins")
    (deleted,) = doc.find_all("del")
    assert ins.text() == "Προστέθηκε: 2027. (τέλος προσθήκης)"
    assert deleted.text() == "Διαγράφηκε: 2026. (τέλος διαγραφής)"
    for element in (ins, deleted):
        labels = element.find_all("span", cls="vh")
        assert len(labels) == 2  # the label before, the end marker after: visually hidden
    visible = re.sub(r'<span class="vh">[^<]*</span>|</?(ins|del|p)>', "", html)
    assert visible == "Η πλατεία θα ανακαινιστεί το 2026.2027."


def test_the_partial_escapes_the_text(diff_tokens) -> None:
    html = str(diff_tokens((("equal", "<b>α</b> "), ("insert", "<script>x()</script>"))))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "&lt;b&gt;α&lt;/b&gt; " in html
