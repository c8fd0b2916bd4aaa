"""Grouping on fixtures with known answers (chalicelib.campaigns, chalicelib.text): exact copies,
near copies, and unrelated texts that share a long quotation of the consultation's text."""

from __future__ import annotations

import random
import subprocess
import sys

from chalicelib import campaigns, text
from chalicelib.grouping import assign

LETTER = (
    "Ζητούμε να μην κοπεί κανένα δέντρο στην πλατεία της Ευαγγελίστριας. Τα πλατάνια είναι "
    "η ψυχή της γειτονιάς και δίνουν σκιά στα παιδιά και στους ηλικιωμένους το καλοκαίρι. "
    "Προτείνουμε τα νέα παγκάκια να μπουν γύρω από τα υπάρχοντα δέντρα και όχι στη θέση τους. "
    "Η ανάπλαση πρέπει να γίνει με τους κατοίκους και όχι ερήμην τους."
)
QUOTED = (
    "Η ανάπλαση της πλατείας περιλαμβάνει την αντικατάσταση των πλακοστρώσεων, τη φύτευση "
    "είκοσι νέων δέντρων, την τοποθέτηση νέων καθιστικών και φωτισμού χαμηλής κατανάλωσης, "
    "καθώς και τη δημιουργία χώρου παιχνιδιού για μικρά παιδιά στη νότια πλευρά της πλατείας."
)


def doc(n: int, body: str, print_: str | None = None) -> campaigns.Doc:
    return campaigns.Doc(f"id{n:03d}", f"2026-11-20T10:00:{n:02d}Z", body, print_)


def test_matching_and_the_fingerprint_ignore_case_accents_punctuation_and_spacing() -> None:
    a = "Συμφωνώ   ΑΠΟΛΥΤΑ με την πρόταση!"
    b = "συμφωνω απόλυτα, με την ΠΡΟΤΑΣΗ"
    assert text.matching(a) == text.matching(b) == "συμφωνω απολυτα με την προταση"
    assert text.fingerprint(a) == text.fingerprint(b)
    assert text.fingerprint(a) != text.fingerprint("Διαφωνώ απόλυτα με την πρόταση")
    assert text.sentences("Κύριε Δήμαρχε,\nΣυμφωνώ. Γιατί όχι; Ναι!") == [
        "Κύριε Δήμαρχε,",
        "Συμφωνώ.",
        "Γιατί όχι;",
        "Ναι!",
    ]


def test_exact_copies_are_one_group_whatever_their_case_and_punctuation() -> None:
    copies = [LETTER, LETTER.upper(), LETTER.replace(".", "!"), "  " + LETTER.replace(" ", "  ")]
    docs = [doc(n, body) for n, body in enumerate(copies)]
    docs.append(doc(9, "Εντελώς άλλο θέμα: ο φωτισμός στην οδό Ομήρου δεν λειτουργεί."))
    assert campaigns.group(docs) == [["id000", "id001", "id002", "id003"]]


def test_the_intake_fingerprint_groups_exact_copies_without_comparing_them() -> None:
    same = text.fingerprint(LETTER)
    docs = [doc(0, LETTER, same), doc(1, "κείμενο που δεν διαβάζεται", same)]
    assert campaigns.group(docs) == [["id000", "id001"]]


def test_near_copies_a_campaign_edits_are_one_group_and_the_others_stay_apart() -> None:
    rnd = random.Random(3)
    greetings = ["Κύριε Δήμαρχε,", "Αξιότιμε κύριε Δήμαρχε,", "Προς το Δημοτικό Συμβούλιο,", ""]
    own = [
        "Μένω στην οδό Αιγαίου εδώ και τριάντα χρόνια.",
        "Τα εγγόνια μου παίζουν κάθε απόγευμα εκεί.",
        "Υπογράφω ως μέλος του συλλόγου γονέων.",
    ]
    members = []
    for n in range(12):
        words = LETTER.split()
        i = rnd.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        body = f"{rnd.choice(greetings)}\n{' '.join(words)}"
        if n % 2:
            body += " " + rnd.choice(own)
        members.append(doc(n, body))
    others = [
        doc(20, "Θα ήθελα περισσότερους κάδους ανακύκλωσης στην οδό Κωνσταντινουπόλεως."),
        doc(21, "Η πλατεία χρειάζεται δημόσια τουαλέτα και βρύση με πόσιμο νερό για όλους."),
        doc(22, "Συμφωνώ με την ανάπλαση αλλά το χρονοδιάγραμμα είναι πολύ αισιόδοξο."),
    ]
    found = campaigns.group(members + others)
    assert found == [[m.id for m in members]]


def test_texts_that_only_share_a_quotation_of_the_consultation_are_not_grouped() -> None:
    first = f"Στο κείμενο γράφετε: «{QUOTED}» Διαφωνώ, γιατί η νότια πλευρά έχει κίνηση."
    second = f"«{QUOTED}» Αυτό είναι καλό, αρκεί να μη χαθούν θέσεις στάθμευσης για τους κατοίκους."
    docs = [doc(0, first), doc(1, second)]
    assert campaigns.group(docs, quoted=[QUOTED]) == []
    # The quotation is what made them near: without the consultation's text, they are grouped.
    assert campaigns.group(docs) == [["id000", "id001"]]


def test_a_campaign_that_quotes_the_text_is_still_one_group() -> None:
    docs = [doc(n, f"«{QUOTED}» {LETTER} Με εκτίμηση, κάτοικος {n}.") for n in range(4)]
    assert campaigns.group(docs, quoted=[QUOTED]) == [[d.id for d in docs]]


def test_groups_are_in_order_of_their_first_member_whatever_the_input_order() -> None:
    other = "Ο φωτισμός του πεζόδρομου στην Ελευθερίου Βενιζέλου είναι ανεπαρκής τις νύχτες, " * 3
    docs = [doc(5, other), doc(1, LETTER), doc(3, other + " Ευχαριστώ."), doc(2, LETTER + " Ναι.")]
    assert campaigns.group(list(reversed(docs))) == [["id001", "id002"], ["id003", "id005"]]


def test_a_group_keeps_the_id_most_of_its_members_carry() -> None:
    items = [
        {"id": "a", "group": None},
        {"id": "b", "group": "old"},
        {"id": "c", "group": "old"},
        {"id": "d", "group": None},
    ]
    assert assign(items, [["a", "b", "c", "d"]]) == dict.fromkeys("abcd", "old")
    # Split in two: the larger part keeps the id, the other is named by its first member.
    assert assign(items, [["a", "b"], ["c", "d"]]) in (
        {"a": "old", "b": "old", "c": "c", "d": "c"},
        {"a": "a", "b": "a", "c": "old", "d": "old"},
    )
    assert assign([{"id": "x"}, {"id": "y"}], [["x", "y"]]) == {"x": "x", "y": "x"}


def test_quality_counts_pairs() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": None, "e": 2, "f": 2}
    assert campaigns.quality([["a", "b", "c"], ["e", "f"]], truth) == (1.0, 1.0)
    precision, recall = campaigns.quality([["a", "b"], ["c", "d"]], truth)
    assert (precision, recall) == (0.5, 0.25)  # 1 of 2 found pairs true; 1 of 4 true pairs found


def test_the_api_never_imports_numpy_or_datasketch() -> None:
    """The API's import budget (a Lambda cold start): grouping's libraries are its schedule's
    only, and live in that function's own layer (docs/deploy.md)."""
    code = (
        "import sys, app; "
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('numpy', 'scipy', 'datasketch') or m == 'chalicelib.campaigns'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
