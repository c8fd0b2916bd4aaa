"""The one text-cleaning function: every string that people type and that can reach a page, a
feed or a file passes here — a citizen's submission (chalicelib.validation), a moderator's note
and redaction (chalicelib.moderation), the snapshot the site is built from (chalicelib.snapshot,
for items written by any other road) and the staff's consultations: their metadata and rendered
texts (plugins/consultations, where a refusal is a content error naming the file and field).

Rules, in this order (docs/contracts.md, "Text"):

1. lone surrogates are not Unicode text: refused (``invalid_encoding``);
2. ``\\r\\n`` and ``\\r`` become ``\\n``; in a multi-line field the line and paragraph separators
   U+2028/U+2029 become ``\\n`` too;
3. invisible characters — bidi controls and marks, zero-width characters, tag characters,
   invisible fillers, invisible operators — are stripped (``STRIP``: free text, where pasted text
   brings them in) or refused (``REFUSE``: identifiers, addresses), per field;
4. NFC, then surrounding whitespace is trimmed;
5. refused: noncharacters (U+FDD0–U+FDEF, U+xFFFE/U+xFFFF: invalid in XML feeds), control
   characters other than ``\\n`` and ``\\t`` in multi-line fields, U+2028/U+2029 in single-line
   ones.

So stored text can never reorder the page, hide part of it or break a feed; a value that is
empty after cleaning is absent, and a required one gets a Greek 422 from its caller.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

# Invisible, zero-advance characters that can reorder or hide text.
BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
ZERO_WIDTH = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E, *range(0x2061, 0x2065)]
DEPRECATED_FORMAT = [*range(0x206A, 0x2070), *range(0xFFF9, 0xFFFC), *range(0x1D173, 0x1D17B)]
TAGS = list(range(0xE0000, 0xE0080))
FILLERS = [0x3164, 0x115F, 0x1160, 0x2800, 0xFFA0]
INVISIBLE = frozenset(BIDI + ZERO_WIDTH + DEPRECATED_FORMAT + TAGS + FILLERS)
SEPARATORS = frozenset({0x2028, 0x2029})
_STRIP_TABLE = dict.fromkeys(INVISIBLE)
_LINES_TABLE = {0x2028: "\n", 0x2029: "\n"}


class Invisible(Enum):
    STRIP = "strip"
    REFUSE = "refuse"


STRIP, REFUSE = Invisible.STRIP, Invisible.REFUSE


@dataclass(frozen=True)
class Rule:
    multiline: bool = False
    invisible: Invisible = STRIP


# Every field people write, and how it is cleaned; the API's allowlists name the same fields.
FIELDS: dict[str, Rule] = {
    "body": Rule(multiline=True),
    "redacted_body": Rule(multiline=True),
    "title": Rule(),
    "location": Rule(),
    "display_name": Rule(),
    "organisation_name": Rule(),
    "note": Rule(),
    "answer_text": Rule(multiline=True),  # the municipality's answer (chalicelib.answers)
    # the staff's consultation metadata (plugins/consultations) and the rendered texts
    "summary": Rule(multiline=True),
    "theme": Rule(),
    "department": Rule(),
    "contact": Rule(),
    "content": Rule(multiline=True),
    "email": Rule(invisible=REFUSE),
    "consultation": Rule(invisible=REFUSE),
    "text": Rule(invisible=REFUSE),
    "proposal": Rule(invisible=REFUSE),
    "paragraph": Rule(invisible=REFUSE),
    "parent": Rule(invisible=REFUSE),
    "respondent_type": Rule(invisible=REFUSE),
    "organisation_type": Rule(invisible=REFUSE),
    "submission_key": Rule(invisible=REFUSE),
    "reason": Rule(invisible=REFUSE),
}
DEFAULT_RULE = Rule(invisible=REFUSE)  # a field nobody classified is treated strictly


class TextError(ValueError):
    """The text cannot be accepted; ``code`` is the API's error code, ``reason`` Greek."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def char_class(codes: Iterable[int]) -> str:
    """A regular expression's class of the code points ``codes``, in ranges."""
    ordered, parts = sorted(set(codes)), []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = re.escape(chr(ordered[i])), re.escape(chr(ordered[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return f"[{''.join(parts)}]"


# Each character check is one regular expression, run in C, and the Python work is done only
# on a match (the snapshot cleans every published text again: a full export of the bench's site
# spent about 1 s of 7.8 in per-character loops). Tests hold each to the rule it stands for over
# every code point.
_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE = re.compile(char_class(INVISIBLE))
_SEPARATOR = re.compile(char_class(SEPARATORS))
# What ``refusal`` may refuse: noncharacters, separators, control characters (Cc: C0, DEL, C1)
# but \n and \t in a multi-line field; every character past the BMP (its noncharacters, one
# pair per plane, as a class of their own made every search several times slower), which
# ``refusal`` then decides one by one.
_BMP_REFUSED = [*range(0xFDD0, 0xFDF0), 0xFFFE, 0xFFFF, *SEPARATORS, *range(0x7F, 0xA0)]
_ASTRAL = "|[\U00010000-\U0010ffff]"
_REFUSED_LINES = re.compile(
    char_class([*_BMP_REFUSED, *(c for c in range(0x20) if chr(c) not in "\n\t")]) + _ASTRAL
)
_REFUSED_LINE = re.compile(char_class([*_BMP_REFUSED, *range(0x20)]) + _ASTRAL)


def has_surrogates(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def refusal(char: str, rule: Rule) -> TextError | None:
    """Why ``char`` is refused in a cleaned text under ``rule`` (rule 5), or None."""
    code = ord(char)
    if is_noncharacter(code):
        return TextError("validation", "Περιέχει χαρακτήρες που δεν είναι κείμενο.")
    if code in SEPARATORS or (char == "\n" and not rule.multiline):
        return TextError("validation", "Το πεδίο δέχεται μία μόνο γραμμή.")
    if unicodedata.category(char) == "Cc" and char not in ("\n\t" if rule.multiline else ""):
        return TextError("validation", "Περιέχει χαρακτήρες ελέγχου που δεν επιτρέπονται.")
    return None


def refused_pattern(rule: Rule) -> re.Pattern[str]:
    """What ``refusal`` may refuse under ``rule``: each match is then asked."""
    return _REFUSED_LINES if rule.multiline else _REFUSED_LINE


def clean(value: str, rule: Rule = DEFAULT_RULE) -> str:
    """``value`` cleaned by ``rule`` (see the module docstring); ``TextError`` when refused."""
    if has_surrogates(value):
        raise TextError("invalid_encoding", "Μη έγκυρο κείμενο (χαλασμένη κωδικοποίηση).")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if rule.multiline and _SEPARATOR.search(text):
        text = text.translate(_LINES_TABLE)
    if _INVISIBLE.search(text):
        if rule.invisible is REFUSE:
            raise TextError("validation", "Περιέχει αόρατους χαρακτήρες που δεν επιτρέπονται.")
        text = text.translate(_STRIP_TABLE)
    text = unicodedata.normalize("NFC", text).strip()
    for found in refused_pattern(rule).finditer(text):
        if (error := refusal(found.group(), rule)) is not None:
            raise error
    return text


def clean_field(name: str, value: str) -> str:
    """``clean`` with the rule of field ``name``."""
    return clean(value, FIELDS.get(name, DEFAULT_RULE))


# --- the form texts are compared in (chalicelib.campaigns, the intake's fingerprint) ------------
_MARKS = re.compile(r"[\u0300-\u036f]+")  # combining accents: τόνος, διαλυτικά, Latin accents
_NOT_WORD = re.compile(r"[\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!;?·…])\s+|\n+")
PRINT_LENGTH = 32  # hex digits of the exact fingerprint: 128 bits


def matching(value: str) -> str:
    """``value`` as two submissions are compared: accents dropped, casefolded, punctuation and
    symbols read as spaces, whitespace collapsed (so «Συμφωνώ!» and «συμφωνω» match)."""
    bare = _MARKS.sub("", unicodedata.normalize("NFD", value)).casefold()
    return " ".join(_NOT_WORD.sub(" ", bare).split())


def fingerprint(value: str) -> str:
    """The exact fingerprint of a submission's text: equal for texts ``matching`` makes equal."""
    return hashlib.sha256(matching(value).encode()).hexdigest()[:PRINT_LENGTH]


def sentences(value: str) -> list[str]:
    """``value``'s sentences (and lines), as written."""
    return [s.strip() for s in _SENTENCE_END.split(value) if s.strip()]


def sentence_forms(value: str) -> set[str]:
    """The ``matching`` forms of ``value``'s sentences (what ``added`` compares with)."""
    return {matching(s) for s in sentences(value)}


def added(have: set[str], body: str) -> list[str]:
    """The sentences of ``body`` whose matching form is not in ``have`` (``sentence_forms`` of a
    campaign group's representative), each once, as written: what a member added to the common
    text, shown on the site (plugins/submissions/groups.py) and to staff (moderation_groups)."""
    seen, own = set(have), []
    for sentence in sentences(body):
        key = matching(sentence)
        if key and key not in seen:
            seen.add(key)
            own.append(sentence)
    return own
