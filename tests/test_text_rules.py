"""The one text cleaner (chalicelib.text, docs/contracts.md "Text"), rule by rule, and the
snapshot export, which cleans text written by any other road than the API."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from text_support import GREEK, HIDDEN, TAG_RANGE, VISIBLE, tags

from chalicelib import snapshot, text
from chalicelib.text import (
    FIELDS,
    INVISIBLE,
    SEPARATORS,
    Rule,
    TextError,
    clean,
    clean_field,
    refusal,
    refused_pattern,
)


def refused(name: str, value: str, code: str = "validation") -> TextError:
    with pytest.raises(TextError) as caught:
        clean_field(name, value)
    assert caught.value.code == code, (name, value, caught.value.code)
    assert GREEK.search(caught.value.reason), caught.value.reason
    return caught.value


# --- the cleaner, rule by rule ---------------------------------------------------------------

FREE_TEXT = ("body", "redacted_body", "title", "location", "display_name", "organisation_name")
IDENTIFIERS = ("email", "consultation", "text", "paragraph", "submission_key", "reason")


def test_the_fields_are_classified_as_the_contract_says():
    for name in ("body", "redacted_body"):
        assert FIELDS[name].multiline, name
    for name in ("title", "location", "display_name", "organisation_name", "note"):
        assert not FIELDS[name].multiline, name
        assert clean_field(name, "α\u200bβ") == "αβ", name  # stripped, not refused
    for name in (*IDENTIFIERS, "proposal", "parent", "respondent_type", "organisation_type"):
        refused(name, "abc\u200bdef")
    refused("a_field_nobody_classified", "abc\u200bdef")  # strict by default


@pytest.mark.parametrize("name", [*FREE_TEXT, "note", *IDENTIFIERS, "unknown"])
def test_a_lone_surrogate_is_invalid_encoding_in_every_field(name):
    for value in ("\ud800", "κείμενο \udfff τέλος", "x\udce1"):
        refused(name, value, code="invalid_encoding")


@pytest.mark.parametrize(
    "char", ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001ffff", "\U0010fffe"]
)
@pytest.mark.parametrize("name", ["body", "title", "display_name", "email"])
def test_noncharacters_are_refused(name, char):
    value = f"κείμενο{char}@example.gr" if name == "email" else f"Κείμενο {char} εδώ"
    refused(name, value)


def test_characters_next_to_the_noncharacters_pass():
    for char in ("\ufffd", "\ufdcf", "\ufdf0", "\U0001fffd", "\U0001f333"):
        assert clean_field("body", f"Κείμενο {char} εδώ") == f"Κείμενο {char} εδώ"


def test_tag_characters_hide_a_sentence_that_free_text_loses():
    smuggled = VISIBLE + tags(HIDDEN)
    assert len(smuggled) > len(VISIBLE) + 50  # the hidden sentence is really there
    for name in (*FREE_TEXT, "note"):
        assert clean_field(name, smuggled) == VISIBLE, name
    # every tag character, including the language tag and the cancel tag, at any place
    every = "".join(chr(c) for c in TAG_RANGE)
    assert clean_field("body", f"Αρχή{every}μέση{every}τέλος") == "Αρχήμέσητέλος"
    assert clean_field("title", "\U000e0001Τίτλος\U000e007f") == "Τίτλος"


@pytest.mark.parametrize("name", ["email", "consultation", "submission_key", "reason", "text"])
def test_tag_characters_are_refused_in_identifiers(name):
    value = "maria@example.gr" if name == "email" else "anoichti"
    assert clean_field(name, value) == value
    refused(name, value + tags("x"))
    refused(name, "\U000e0001" + value)


@pytest.mark.parametrize("filler", ["\u3164", "\u115f", "\u1160", "\u2800", "\uffa0"])
def test_invisible_fillers_are_stripped_from_free_text_and_refused_elsewhere(filler):
    assert clean_field("display_name", f"Νίκος{filler}") == "Νίκος"
    assert clean_field("display_name", filler * 3) == ""
    assert clean_field("body", f"Πρώτη{filler} λέξη") == "Πρώτη λέξη"
    assert clean_field("title", f"{filler}Τίτλος πρότασης") == "Τίτλος πρότασης"
    refused("email", f"maria{filler}@example.gr")


BIDI = [
    "\u200e",
    "\u200f",
    "\u061c",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
]


@pytest.mark.parametrize("mark", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
def test_bidi_controls_and_marks_are_stripped_from_free_text_and_refused_elsewhere(mark):
    assert clean_field("body", f"Σχόλιο{mark} με{mark}{mark} κατεύθυνση") == "Σχόλιο με κατεύθυνση"
    assert clean_field("display_name", f"{mark}Μαρία{mark}") == "Μαρία"
    refused("consultation", f"anoichti{mark}")


def test_zero_width_and_deprecated_format_characters_are_stripped():
    for char in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u2062"):
        assert clean_field("body", f"Λέ{char}ξη κειμένου") == "Λέξη κειμένου", hex(ord(char))
    for char in ("\u206a", "\u206f", "\ufff9", "\ufffb", "\U0001d173", "\U0001d17a"):
        assert clean_field("title", f"Τίτλος{char} εδώ") == "Τίτλος εδώ", hex(ord(char))


def test_line_separators_are_newlines_in_a_body_and_refused_on_one_line():
    assert clean_field("body", "Πρώτη\u2028δεύτερη\u2029τρίτη") == "Πρώτη\nδεύτερη\nτρίτη"
    assert clean_field("redacted_body", "α\u2029β") == "α\nβ"
    for name in ("title", "display_name", "location", "organisation_name", "note"):
        error = refused(name, "Μαρία\u2028Παπαδοπούλου")
        assert "γραμμή" in error.reason, name
        refused(name, "Μαρία\u2029Παπαδοπούλου")


def test_line_endings_become_newlines():
    assert clean_field("body", "α\r\nβ\rγ\nδ") == "α\nβ\nγ\nδ"
    refused("title", "Τίτλος\r\nδεύτερη γραμμή")
    refused("display_name", "Μαρία\rΠ.")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\x0b", "\x0c"])
def test_control_characters_are_refused(char):
    refused("body", f"Κείμενο{char}σχολίου")
    refused("title", f"Τίτλος{char}πρότασης")
    refused("email", f"maria{char}@example.gr")


def test_newline_and_tab_only_in_a_body():
    assert clean_field("body", "Πρώτη γραμμή\n\tδεύτερη") == "Πρώτη γραμμή\n\tδεύτερη"
    assert clean_field("redacted_body", "α\tβ\nγ") == "α\tβ\nγ"
    for name in ("title", "display_name", "note", "location"):
        refused(name, "Μία\nδύο")
        refused(name, "Μία\tδύο")


def test_nfc_is_applied_after_the_invisible_characters_are_gone():
    decomposed = unicodedata.normalize("NFD", "Ανάπλαση πλατείας ΐ")
    assert decomposed != "Ανάπλαση πλατείας ΐ"
    assert clean_field("body", decomposed) == "Ανάπλαση πλατείας ΐ"
    assert clean_field("title", decomposed) == unicodedata.normalize("NFC", decomposed)
    # a zero-width joiner between a letter and its accent does not keep them apart
    assert clean_field("display_name", "Νικολα\u200d\u0301ου") == "Νικολάου"
    assert clean_field("display_name", "Νικολα\U000e0041\u0301ου") == "Νικολάου"


def test_surrounding_whitespace_is_trimmed_after_stripping():
    assert clean_field("body", "  \n\u200b Σχόλιο με κενά \t\n\u2066 ") == "Σχόλιο με κενά"
    assert clean_field("title", "\u3164 Τίτλος \u200f") == "Τίτλος"


@pytest.mark.parametrize("name", [*FREE_TEXT, "note"])
def test_an_all_invisible_value_cleans_to_empty(name):
    value = tags(HIDDEN) + "\u200b\u2066\u202e\u3164\u2800\ufeff \u200e"
    assert clean_field(name, value) == ""
    assert clean_field(name, "") == ""


def test_clean_with_the_default_rule_is_strict():
    assert clean("anoichti") == "anoichti"
    with pytest.raises(TextError):
        clean("anoichti\u200b")
    with pytest.raises(TextError):
        clean("a\nb")


# --- the snapshot export: text written by another road than the API ----------------------


def proposal_entry(**changes: Any) -> dict[str, Any]:
    entry = {
        "id": "01jproposal0000000000000042",
        "reference": "NS-P00042",
        "consultation": "anoichti",
        "title": "Ποδηλατόδρομος στη Λεωφόρο",
        "body": "Προτείνουμε ασφαλή ποδηλατόδρομο σε όλο το μήκος της λεωφόρου.",
        "location": "Λεωφόρος Συγγρού",
        "author": {
            "respondent_type": "citizen",
            "display_name": "Μαρία Παπαδοπούλου",
            "organisation_name": None,
            "organisation_type": None,
        },
        "created_at": "2026-11-20T09:00:00.000Z",
        "approved_at": "2026-11-21T09:00:00.000Z",
    }
    entry.update(changes)
    return entry


def test_the_export_cleans_text_as_intake_does():
    entry = proposal_entry(
        title="Ποδηλατόδρομος\u202e στη Λεωφόρο" + tags("secret"),
        body=VISIBLE + "\u2028" + tags(HIDDEN) + "Δεύτερη γραμμή.",
        author={
            "respondent_type": "citizen",
            "display_name": "\u200fΜαρία\u3164",
            "organisation_name": None,
            "organisation_type": None,
        },
    )
    cleaned = snapshot.publishable("proposal", entry)
    assert cleaned["title"] == "Ποδηλατόδρομος στη Λεωφόρο"
    assert cleaned["body"] == VISIBLE + "\nΔεύτερη γραμμή."
    assert cleaned["author"]["display_name"] == "Μαρία"


def test_the_export_refuses_what_intake_refuses():
    for changes in (
        {"body": "Κείμενο \ud800 με χαλασμένη κωδικοποίηση σε όλο του το μήκος."},
        {"title": "Τίτλος \ufffe πρότασης"},
        {"location": "Οδός\u2028Ομήρου"},
    ):
        with pytest.raises(TextError):
            snapshot.publishable("proposal", proposal_entry(**changes))


def test_an_empty_optional_text_is_absent_in_the_export():
    """Rule 4, "empty means absent": a location or a name made only of invisible characters
    is published as null, as if it had never been given."""
    entry = proposal_entry(
        location=tags("hidden place") + "\u200b",
        author={
            "respondent_type": "organisation",
            "display_name": "\u2800\u3164",
            "organisation_name": tags("org"),
            "organisation_type": "ngo",
        },
    )
    cleaned = snapshot.publishable("proposal", entry)
    assert cleaned["author"]["display_name"] is None
    assert cleaned["author"]["organisation_name"] is None
    assert cleaned["location"] is None


def test_a_title_of_tag_characters_only_is_left_out_with_a_greek_problem():
    left_out: dict[str, str] = {}
    good = proposal_entry(id="01jproposal0000000000000043")
    items = [
        {"kind": "proposal", "status": "approved", **proposal_entry(title=tags("invisible"))},
        {"kind": "proposal", "status": "approved", **good},
    ]
    for item in items:  # the item layout: names beside the entry, not inside an author map
        item.update(item.pop("author"), publish_name=True)
    entries = snapshot.public_entries(items, left_out)
    assert list(entries) == [good["id"]]
    assert list(left_out) == [proposal_entry()["id"]]
    assert GREEK.search(left_out[proposal_entry()["id"]])


@pytest.mark.parametrize("multiline", [True, False], ids=["multi-line", "one-line"])
def test_the_refused_characters_pattern_finds_every_character_the_rule_refuses(multiline):
    """clean asks ``refusal`` only about what one character class finds; over every code point
    (but the surrogates, refused before) it finds each character ``refusal`` refuses, and in the
    BMP nothing else (past it, each character is asked: none is common in Greek text)."""
    rule = Rule(multiline=multiline)
    pattern = refused_pattern(rule)
    missed, extra = [], []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        found, refused = pattern.fullmatch(chr(code)) is not None, refusal(chr(code), rule)
        if refused is not None and not found:
            missed.append(hex(code))
        elif found and refused is None and code < 0x10000:
            extra.append(hex(code))
    assert (missed, extra) == ([], [])


def test_the_invisible_and_separator_patterns_are_their_sets():
    """clean strips (or refuses) only when these find something: each finds exactly its set."""
    for pattern, codes in ((text._INVISIBLE, INVISIBLE), (text._SEPARATOR, SEPARATORS)):
        found = {c for c in range(0x110000) if pattern.fullmatch(chr(c)) is not None}
        assert found == set(codes)
