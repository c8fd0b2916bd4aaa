"""What changed in a text since its consultation: paragraph by paragraph, word by word.

The consulted version (``Consulted:``, frozen when the consultation closed) and the text as it
stands are lists of paragraphs with stable ids. A paragraph keeps its id when staff gave it one
(``{#plateia}``); otherwise its id is a hash of its text, so an edited paragraph gets a new one.
Hence: same id → unchanged or changed; then the paragraphs left over are paired in order when
their words are similar enough (changed); the rest were removed or added.

A change's tokens are ``(op, text)`` pairs, op one of equal / insert / delete, whitespace kept
inside them: equal + delete texts joined give the consulted paragraph, equal + insert the
current one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from plugins.consultations.paragraphs import Paragraph

Kind = Literal["unchanged", "changed", "added", "removed"]
Op = Literal["equal", "insert", "delete"]
UNCHANGED: Kind = "unchanged"
CHANGED: Kind = "changed"
ADDED: Kind = "added"
REMOVED: Kind = "removed"
KINDS: tuple[Kind, ...] = (UNCHANGED, CHANGED, ADDED, REMOVED)
EQUAL: Op = "equal"
INSERT: Op = "insert"
DELETE: Op = "delete"
SIMILAR = 0.5  # word similarity from which two leftover paragraphs count as one, edited

WORD = re.compile(r"(\S+)(\s*)")


@dataclass(frozen=True)
class Change:
    kind: Kind
    consulted_id: str | None  # None: added
    current_id: str | None  # None: removed
    number: int  # the paragraph's number in the current text (in the consulted one if removed)
    tokens: tuple[tuple[Op, str], ...]

    @property
    def consulted_text(self) -> str:
        return "".join(text for op, text in self.tokens if op != INSERT)

    @property
    def current_text(self) -> str:
        return "".join(text for op, text in self.tokens if op != DELETE)


def _words(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Leading whitespace, then (word, the whitespace after it) pairs."""
    lead = text[: len(text) - len(text.lstrip())]
    return lead, [(m.group(1), m.group(2)) for m in WORD.finditer(text, len(lead))]


class _Tokens:
    """Builds the token list: adjacent same ops merged, in a run of edits the deletions first."""

    def __init__(self) -> None:
        self.out: list[tuple[Op, str]] = []
        self.deleted = self.inserted = ""

    def add(self, op: Op, text: str) -> None:
        if op == DELETE:
            self.deleted += text
        elif op == INSERT:
            self.inserted += text
        elif text:
            self._flush()
            self._append(EQUAL, text)

    def _append(self, op: Op, text: str) -> None:
        if self.out and self.out[-1][0] == op:
            self.out[-1] = (op, self.out[-1][1] + text)
        else:
            self.out.append((op, text))

    def _flush(self) -> None:
        if self.deleted:
            self._append(DELETE, self.deleted)
        if self.inserted:
            self._append(INSERT, self.inserted)
        self.deleted = self.inserted = ""

    def done(self) -> tuple[tuple[Op, str], ...]:
        self._flush()
        return tuple(self.out)


def word_diff(consulted: str, current: str) -> tuple[tuple[Op, str], ...]:
    """A word-level diff of two texts; whitespace rides with the word before it."""
    (lead_a, a), (lead_b, b) = _words(consulted), _words(current)
    tokens = _Tokens()
    if lead_a == lead_b:
        tokens.add(EQUAL, lead_a)
    else:
        tokens.add(DELETE, lead_a)
        tokens.add(INSERT, lead_b)
    matcher = SequenceMatcher(None, [w for w, _ in a], [w for w, _ in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            tokens.add(DELETE, "".join(w + s for w, s in a[i1:i2]))
            tokens.add(INSERT, "".join(w + s for w, s in b[j1:j2]))
            continue
        for (word, space_a), (_, space_b) in zip(a[i1:i2], b[j1:j2], strict=True):
            tokens.add(EQUAL, word)
            if space_a == space_b:
                tokens.add(EQUAL, space_a)
            else:
                tokens.add(DELETE, space_a)
                tokens.add(INSERT, space_b)
    return tokens.done()


def similarity(consulted: str, current: str) -> float:
    """How much of the words two texts share (difflib's ratio over their words)."""
    matcher = SequenceMatcher(None, consulted.split(), current.split(), autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return 0.0
    return matcher.ratio()


def _pair_similar(
    consulted: Sequence[Paragraph], current: Sequence[Paragraph]
) -> list[tuple[int, int]]:
    """Order-keeping pairs of similar paragraphs (indexes), the most similarity in all."""
    n, m = len(consulted), len(current)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            ratio = similarity(consulted[i].text, current[j].text)
            pair = score[i + 1][j + 1] + ratio if ratio >= SIMILAR else -1.0
            score[i][j] = max(pair, score[i + 1][j], score[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if score[i][j] == score[i + 1][j]:
            i += 1
        elif score[i][j] == score[i][j + 1]:
            j += 1
        else:
            pairs.append((i, j))
            i, j = i + 1, j + 1
    return pairs


def _whole(op: Op, text: str) -> tuple[tuple[Op, str], ...]:
    return ((op, text),) if text else ()


def _removed(old: Paragraph) -> Change:
    return Change(REMOVED, old.id, None, old.number, _whole(DELETE, old.text))


def _change(old: Paragraph | None, new: Paragraph) -> Change:
    if old is None:
        return Change(ADDED, None, new.id, new.number, _whole(INSERT, new.text))
    if old.text == new.text:
        return Change(UNCHANGED, old.id, new.id, new.number, _whole(EQUAL, new.text))
    return Change(CHANGED, old.id, new.id, new.number, word_diff(old.text, new.text))


def compare(consulted: list[Paragraph], current: list[Paragraph]) -> list[Change]:
    """Every paragraph of both versions once, in the current text's reading order; a removed
    paragraph stands after the one it followed in the consulted text."""
    match: dict[int, int] = {}  # current index → consulted index
    by_id = {p.id: i for i, p in enumerate(consulted)}
    for j, paragraph in enumerate(current):
        if paragraph.id in by_id:
            match[j] = by_id[paragraph.id]
    taken = set(match.values())
    old_left = [i for i in range(len(consulted)) if i not in taken]
    new_left = [j for j in range(len(current)) if j not in match]
    pairs = _pair_similar([consulted[i] for i in old_left], [current[j] for j in new_left])
    for a, b in pairs:
        match[new_left[b]] = old_left[a]
    placed = {i: j for j, i in match.items()}  # consulted index → current index
    after: dict[int, list[Change]] = {}  # current index (-1: the start) → removed after it
    anchor = -1
    for i, paragraph in enumerate(consulted):
        if i in placed:
            anchor = placed[i]
        else:
            after.setdefault(anchor, []).append(_removed(paragraph))
    changes = list(after.get(-1, []))
    for j, paragraph in enumerate(current):
        old = consulted[match[j]] if j in match else None
        changes.append(_change(old, paragraph))
        changes.extend(after.get(j, []))
    return changes


def summary(changes: Iterable[Change]) -> dict[str, int]:
    """How many paragraphs of each kind (every kind present, 0 when none)."""
    counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    for change in changes:
        counts[change.kind] += 1
    return counts


def changed_ids(changes: Iterable[Change]) -> set[str]:
    """The consulted paragraph ids whose paragraph changed or went: comments point at these."""
    return {c.consulted_id for c in changes if c.kind in (CHANGED, REMOVED) and c.consulted_id}
