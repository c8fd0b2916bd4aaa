"""ELOT 743 slugs, Greek dates and amounts (plugins/greek), and paragraph ids."""

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from markdown import Markdown

from plugins.consultations import paragraph_chunks
from plugins.consultations.paragraphs import DuplicateParagraphId, ParagraphIdExtension
from plugins.greek.dates import euros, greek_date, greek_datetime, iso
from plugins.greek.elot743 import slugify


@pytest.mark.parametrize(
    ("greek", "latin"),
    [
        ("Διαβουλεύσεις", "diavoulefseis"),  # ευ before σ (voiceless): ef; ου: ou
        ("Ευαγγελίστρια", "evangelistria"),  # ευ before a vowel: ev; γγ: ng
        ("Μπουμπουλίνας", "boumpoulinas"),  # μπ: b at the start, mp inside
        ("Ντίνος Αντωνίου", "dinos-antoniou"),  # ντ: d at the start, nt inside
        ("Αύριο", "avrio"),  # αυ before ρ (voiced): av
        ("Ζευς", "zefs"),  # ευ before final ς: ef
        ("Ευθύνη", "efthyni"),  # ευ before θ: ef; υ alone: y
        ("άυλος", "aylos"),  # accent on α: not a digraph
        ("Καϊμάκι", "kaimaki"),  # diaeresis: two letters, marks dropped
        ("Άγκυρα", "agkyra"),  # γκ: gk
        ("Σφίγξ", "sfinx"),  # γξ: nx
        ("Ελέγχου", "elenchou"),  # γχ: nch
        ("Ψυχή Θεσσαλίας", "psychi-thessalias"),  # ψ ps, χ ch, θ th, η i
        ("Όροι συμμετοχής", "oroi-symmetochis"),
        ("Προσωπικά δεδομένα", "prosopika-dedomena"),  # ω: o
        ("Πλατεία Νέας Σμύρνης & Πάρκο 2026!", "plateia-neas-smyrnis-parko-2026"),
        ("  Ήδη -- μία  ", "idi-mia"),
    ],
)
def test_elot743_slugs(greek: str, latin: str) -> None:
    assert slugify(greek) == latin


def test_greek_dates_use_genitive_months_and_athens_time() -> None:
    assert greek_date(date(2026, 11, 26)) == "26 Νοεμβρίου 2026"
    assert greek_date(datetime(2026, 5, 31, 23, 0, tzinfo=ZoneInfo("UTC"))) == "1 Ιουνίου 2026"
    assert greek_datetime("2026-11-26T22:30:00Z") == "27 Νοεμβρίου 2026, 00:30"
    assert greek_datetime("2026-07-01T09:05:00Z") == "1 Ιουλίου 2026, 12:05"  # summer: UTC+3
    assert iso("2026-11-26T22:30:00Z") == "2026-11-27T00:30+02:00"


def test_amounts_in_greek_format() -> None:
    assert euros(450000) == "450.000 €"
    assert euros(1250) == "1.250 €"


def _convert(text: str) -> tuple[str, list]:
    md = Markdown(
        extensions=[
            "markdown.extensions.extra",
            "markdown.extensions.attr_list",
            ParagraphIdExtension(),
        ],
        output_format="html5",
    )
    return md.convert(text), md.paragraphs


def test_paragraph_ids_explicit_hashed_and_repeated() -> None:
    html, paragraphs = _convert(
        "# Τίτλος\n\nΠρώτη με **έμφαση**. {#eisagogi}\n\nΊδιο   κείμενο.\n\nΊδιο κείμενο.\n\n"
        "- ένα\n- δύο\n\n> παράθεση\n"
    )
    digest = "p-" + hashlib.sha1("Ίδιο κείμενο.".encode()).hexdigest()[:8]
    ids = [p.id for p in paragraphs]
    assert ids[0] == "eisagogi"
    assert ids[1:3] == [digest, f"{digest}-2"]
    assert ids[3] == "p-" + hashlib.sha1("ένα".encode()).hexdigest()[:8]
    assert len(ids) == 6 and [p.number for p in paragraphs] == [1, 2, 3, 4, 5, 6]
    assert '<p id="eisagogi">Πρώτη με <strong>έμφαση</strong>.</p>' in html
    assert "{#" not in html
    assert [pid for _, pid in paragraph_chunks(html) if pid] == ids


def test_paragraph_id_is_stable_when_other_paragraphs_change() -> None:
    _, before = _convert("Α πρώτη.\n\nΗ δική μου παράγραφος.\n")
    _, after = _convert("Α πρώτη, αλλαγμένη.\n\nΝέα.\n\nΗ δική μου παράγραφος.\n")
    assert before[1].id == after[2].id
    assert before[0].id != after[0].id


def test_duplicate_explicit_paragraph_id_is_refused() -> None:
    with pytest.raises(DuplicateParagraphId, match="idio"):
        _convert("Ένα. {#idio}\n\nΔύο.\n{: #idio }\n")
