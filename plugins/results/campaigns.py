"""Unique submissions and campaigns: how many of a consultation's comments and proposals are
copies of the same or almost the same text (a campaign's letter), per text and in all.

The grouping step (chalicelib.campaigns) gives near-identical submissions of one target (a
text, a proposal's comments, a consultation's proposals) a ``group``. It also groups pending
submissions, so a group may have a single published member: that one counts as unique, like
any submission in no group (a reply never is in one). A campaign is a group with at least two
published members, counted per target, as the grouping makes them.

Nothing else on the results page changes: every other number counts each submission, and each
member of a campaign is a participant of its own (a campaign is many people who chose to send
the same words, not one opinion sent many times).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from plugins.greek.dates import greek_count

CAMPAIGN = 2  # the published members a group needs to count as a campaign
SAME_TEXT = "ίδιου ή σχεδόν ίδιου κειμένου"
# The words of each kind of submission (neuter: comments, feminine: proposals).
WORDS = {
    "comments": {
        "from": "Από τα {n} σχόλια",
        "one": "1 είναι αυτοτελές",
        "many": "{n} είναι αυτοτελή",
        "none": "κανένα δεν είναι αυτοτελές",
        "all_one": "Το 1 σχόλιο είναι αυτοτελές",
        "all": "Και τα {n} σχόλια είναι αυτοτελή",
    },
    "proposals": {
        "from": "Από τις {n} προτάσεις",
        "one": "1 είναι αυτοτελής",
        "many": "{n} είναι αυτοτελείς",
        "none": "καμία δεν είναι αυτοτελής",
        "all_one": "Η 1 πρόταση είναι αυτοτελής",
        "all": "Και οι {n} προτάσεις είναι αυτοτελείς",
    },
}


class Grouped(Protocol):
    @property
    def group(self) -> str | None: ...


@dataclass(frozen=True)
class Tally:
    total: int
    unique: int  # in no group, or the only published member of its group
    campaign: int  # members of the campaigns
    groups: int  # the campaigns: groups with at least two published members

    def sentence(self, kind: str) -> str:
        """In Greek, e.g. «Από τα 1.234 σχόλια, 900 είναι αυτοτελή και 334 προέρχονται από 3
        ομάδες ίδιου ή σχεδόν ίδιου κειμένου (εκστρατείες).» (``kind``: comments, proposals)."""
        words = WORDS[kind]
        if not self.groups:
            whole = words["all_one"] if self.total == 1 else words["all"]
            return whole.format(n=greek_count(self.total)) + "."
        unique = {0: words["none"], 1: words["one"]}.get(self.unique, words["many"])
        groups = (
            f"1 ομάδα {SAME_TEXT} (εκστρατεία)"
            if self.groups == 1
            else f"{greek_count(self.groups)} ομάδες {SAME_TEXT} (εκστρατείες)"
        )
        return (
            f"{words['from'].format(n=greek_count(self.total))}, "
            f"{unique.format(n=greek_count(self.unique))}"
            f" και {greek_count(self.campaign)} προέρχονται από {groups}."
        )


def tally(targets: Iterable[Iterable[Grouped]]) -> Tally:
    """The tally of some targets' published submissions (one iterable per target: a group
    never reaches beyond its target)."""
    total, members = 0, Counter[tuple[int, str]]()
    for target, items in enumerate(targets):
        for item in items:
            total += 1
            if item.group:
                members[(target, item.group)] += 1
    sizes = [size for size in members.values() if size >= CAMPAIGN]
    return Tally(total, total - sum(sizes), sum(sizes), len(sizes))


@dataclass(frozen=True)
class Campaigns:
    """A consultation's tallies: all its comments (on texts and on proposals), those on its
    proposals, its proposals."""

    comments: Tally
    on_proposals: Tally
    proposals: Tally

    @property
    def any(self) -> bool:
        return bool(self.comments.groups or self.proposals.groups)
