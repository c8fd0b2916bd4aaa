"""Campaign groups shown once: the approved members of one group on one target (a paragraph's,
a whole text's or a proposal's comments; a consultation's proposals) are folded into their
representative, the earliest member, which carries the count, the names published and every
member's own added sentences, so that nobody's words are lost.

The snapshot says which group an item is in (chalicelib.grouping); a group with one approved
member here is an ordinary item. Only the display is folded: the targets' ``comments`` and
``threads`` and the consultation's ``proposals`` keep every member, so the counts, the feeds,
the results and the open data count each one (each is a submission).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib import text
from plugins.consultations.models import Comment, Proposal, flatten


def fold(items: Sequence[Comment] | Sequence[Proposal]) -> None:
    """Fold ``items`` (a target's top-level comments, or a consultation's proposals) in place:
    each group of two or more gets its representative's ``fold`` and its other members'
    ``representative``. A withdrawn placeholder or a reply is never in a group."""
    found: dict[str, list[Any]] = {}
    for item in items:
        item.fold = item.representative = None
        if item.group and not item.withdrawn and not getattr(item, "parent", None):
            found.setdefault(item.group, []).append(item)
    for group, members in found.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (m.created_at, m.id))
        first, others = members[0], members[1:]
        have = text.sentence_forms(first.body)  # once, not once per member
        own = {m.id: words for m in others if (words := text.added(have, m.body))}
        first.fold = Fold(group, others, own, sum(m.author.named for m in members))
        for member in others:
            member.representative = first


@dataclass
class FoldPart:
    """Some of a group's members, in order: part 1 in the group's block (comments) or on the
    group's first page (proposals), the next ones on pages of their own (``url``). ``listed``:
    those with an entry (a published name, or words, an answer or replies of their own);
    ``unnamed``: the others, counted and shown by their reference only."""

    number: int
    members: list[Any]
    listed: list[Any]
    unnamed: list[Any]
    size: int  # the comments it shows: its members and their replies
    chars: int  # their characters, as the comment pages count them
    url: str = ""
    save_as: str = ""


@dataclass
class Fold:
    """A group shown once, on its representative (``fold``): comment_pages puts its members
    in parts and gives them their pages."""

    group: str
    members: list[Any]  # the others (comments or proposals), by (created_at, id)
    added: dict[str, list[str]]  # member id → its sentences that the representative lacks
    named: int  # those (the representative too) who published a name or an organisation
    parts: list[FoldPart] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members) + 1

    @property
    def anonymous(self) -> int:
        return self.count - self.named

    def weight(self, member: Any) -> tuple[int, int]:
        """(comments, characters) a member shows: its entry and its replies, not its text
        (the representative's, but for the sentences it added)."""
        replies = flatten(getattr(member, "replies", []))
        chars = len(member.author.label) + sum(len(s) for s in self.added.get(member.id, ()))
        chars += len(member.answer.text) if member.answer else 0
        chars += sum(len(r.body) + (len(r.answer.text) if r.answer else 0) for r in replies)
        return 1 + len(replies), chars

    def split(self, first: tuple[int, int], rest: tuple[int, int]) -> None:
        """Its members in parts of at most (comments, characters): ``first`` for part 1,
        ``rest`` for the next ones; a member larger than that has a part of its own. New
        members come last (they were written last), so the earlier ones keep their part."""
        self.parts = []
        current: list[Any] = []
        size = chars = 0
        for member in self.members:
            count, weight = self.weight(member)
            most, most_chars = rest if self.parts else first
            if current and (size + count > most or chars + weight > most_chars):
                self._part(current, size, chars)
                current, size, chars = [], 0, 0
            current.append(member)
            size, chars = size + count, chars + weight
        if current:
            self._part(current, size, chars)

    def _part(self, members: list[Any], size: int, chars: int) -> None:
        def own(m: Any) -> bool:
            replies = getattr(m, "replies", None)
            return bool(m.author.named or self.added.get(m.id) or m.answer or replies)

        listed = [m for m in members if own(m)]
        unnamed = [m for m in members if not own(m)]
        self.parts.append(FoldPart(len(self.parts) + 1, members, listed, unnamed, size, chars))

    def fingerprint(self, number: int | None = None) -> list[Any]:
        """What a page shows of the group: its count and pages, and part ``number``'s members."""
        head = [self.group, self.count, self.named, [p.url for p in self.parts]]
        if number is None:
            return head
        shown = self.parts[number - 1].members
        return [*head, [[_shown(m), self.added.get(m.id)] for m in shown]]


def _shown(member: Any) -> Any:
    if isinstance(member, Comment):
        return [c.fingerprint() for c in flatten([member])]
    return [member.url, member.summary()]
