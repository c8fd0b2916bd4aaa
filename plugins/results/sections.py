"""What a results page shows of each text and of the proposals, and how it is cut into pages.

For each text: what changed since the consulted version (plugins/results/diff.py) with the
answers that motivated each change, then every paragraph with its comments and the answers. The
comments point at the paragraphs they were written on, so the paragraphs are those of the
consulted version when the text was frozen, else those of the text as it stands.

A results page must stay light (no page over 100 KiB gzip) whatever the number of comments:
``cut`` fills pages of about ``RESULTS_PAGE_BYTES`` of HTML, a paragraph's threads continuing on
the next page when they do not fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.spec import limits
from plugins.consultations.models import Comment, Proposal, Text
from plugins.consultations.paragraphs import Paragraph

from . import diff
from .campaigns import Tally, tally

# An estimate of the HTML around one comment, one paragraph, one proposal (bytes).
COMMENT_MARKUP, PARAGRAPH_MARKUP, PROPOSAL_MARKUP = 420, 500, 600


@dataclass
class Block:
    """One paragraph (None: comments on the whole text) with the threads of one page."""

    paragraph: Paragraph | None
    change: diff.Change | None
    threads: list[Comment]
    count: int  # every comment of the paragraph, replies included, on all pages
    dispositions: dict[str, int]
    continued: bool = False  # the paragraph's threads began on the previous page

    def fingerprint(self) -> list[Any]:
        return [
            vars(self.paragraph) if self.paragraph else None,
            self.change.tokens if self.change else None,
            [c.fingerprint() for c in flatten(self.threads)],
            self.continued,
        ]


@dataclass
class TextResults:
    text: Text
    changes: list[diff.Change] | None  # None: not frozen, so not revised since
    blocks: list[Block]
    dispositions: dict[str, int]
    comments: int
    campaigns: Tally  # its comments: unique, from campaigns (plugins/results/campaigns.py)
    # consulted paragraph id → the comments whose answer can motivate its change
    motivating: dict[str, list[Comment]] = field(default_factory=dict)
    parts: list[list[Block]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # one per part

    @property
    def slug(self) -> str:
        return self.text.slug

    @property
    def revised(self) -> list[diff.Change]:
        return [c for c in self.changes or [] if c.kind != diff.UNCHANGED]

    @property
    def counts(self) -> dict[str, int]:
        """How many paragraphs changed, were added, were removed (diff.summary)."""
        return diff.summary(self.changes or [])


@dataclass
class ProposalResults:
    proposals: list[Proposal]
    dispositions: dict[str, int]
    parts: list[list[Proposal]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def flatten(threads: Iterable[Comment]) -> Iterator[Comment]:
    for comment in threads:
        yield comment
        yield from flatten(comment.replies)


def count_dispositions(items: Iterable[Comment | Proposal]) -> dict[str, int]:
    """disposition → answered items, in limits.json order (only those present)."""
    found: dict[str, int] = {}
    for item in items:
        if item.answer is not None:
            found[item.answer.disposition] = found.get(item.answer.disposition, 0) + 1
    return {code: found[code] for code in limits()["dispositions"]["labels"] if code in found}


def text_results(text: Text) -> TextResults:
    """The results of one text, in reading order of the paragraphs the comments were on."""
    paragraphs = text.consulted if text.consulted is not None else text.paragraphs
    changes = diff.compare(text.consulted, text.paragraphs) if text.consulted is not None else None
    by_consulted = {c.consulted_id: c for c in changes or [] if c.consulted_id}
    known = {p.id for p in paragraphs}
    published = {c.id for c in text.comments}  # a reply to an unpublished comment stands alone
    tops = [c for c in text.comments if not c.parent or c.parent not in published]
    threads: dict[str | None, list[Comment]] = {}
    for top in tops:
        threads.setdefault(top.paragraph if top.paragraph in known else None, []).append(top)
    blocks = []
    for paragraph in [*paragraphs, None]:
        own = threads.get(paragraph.id if paragraph else None, [])
        if paragraph is None and not own:
            continue
        blocks.append(
            Block(
                paragraph=paragraph,
                change=by_consulted.get(paragraph.id) if paragraph else None,
                threads=own,
                count=sum(1 for _ in flatten(own)),
                dispositions=count_dispositions(flatten(own)),
            )
        )
    changes_text = set(limits()["dispositions"]["changes_text"])
    revised = diff.changed_ids(changes or [])
    motivating = {
        block.paragraph.id: [
            c
            for c in flatten(block.threads)
            if c.answer is not None and c.answer.disposition in changes_text
        ]
        for block in blocks
        if block.paragraph is not None and block.paragraph.id in revised
    }
    return TextResults(
        text=text,
        changes=changes,
        blocks=blocks,
        dispositions=count_dispositions(text.comments),
        comments=len(text.comments),
        campaigns=tally([text.comments]),
        motivating={k: v for k, v in motivating.items() if v},
    )


def comment_bytes(comment: Comment) -> int:
    answer = len(comment.answer.text.encode()) if comment.answer else 0
    return COMMENT_MARKUP + len(comment.body.encode()) + answer


def thread_bytes(top: Comment) -> int:
    return sum(comment_bytes(c) for c in flatten([top]))


def block_bytes(block: Block) -> int:
    own = PARAGRAPH_MARKUP
    if block.paragraph is not None:
        own += len(block.paragraph.text.encode()) * (2 if block.change else 1)
    return own + sum(thread_bytes(t) for t in block.threads)


def proposal_bytes(proposal: Proposal) -> int:
    answer = len(proposal.answer.text.encode()) if proposal.answer else 0
    own = PROPOSAL_MARKUP + len(proposal.body.encode()) + answer
    return own + sum(thread_bytes(t) for t in proposal.threads)


def text_bytes(results: TextResults) -> int:
    changes = sum(len(c.current_text.encode()) + 200 for c in results.revised)
    return changes + sum(block_bytes(b) for b in results.blocks)


def cut(blocks: list[Block], budget: int) -> list[list[Block]]:
    """Pages of blocks of about ``budget`` bytes each; a paragraph whose threads do not fit
    goes on over the next pages (``continued``). Always at least one page."""
    pages: list[list[Block]] = [[]]
    used = 0
    for block in blocks:
        head = block_bytes(Block(block.paragraph, block.change, [], 0, {}))
        taken: list[Comment] = []
        continued = False
        threads: list[Comment | None] = [*block.threads] or [None]
        for top in threads:
            size = thread_bytes(top) if top is not None else 0
            if used + head + size > budget and (pages[-1] or taken):
                if taken:
                    pages[-1].append(_part(block, taken, continued))
                    continued = True
                pages.append([])
                used, taken = 0, []
            if not taken:
                used += head
            if top is not None:
                taken.append(top)
            used += size
        pages[-1].append(_part(block, taken, continued))
    return pages


def _part(block: Block, threads: list[Comment], continued: bool) -> Block:
    return Block(block.paragraph, block.change, threads, block.count, block.dispositions, continued)


def cut_proposals(proposals: list[Proposal], budget: int) -> list[list[Proposal]]:
    """Pages of whole proposals (with their comments) of about ``budget`` bytes each."""
    pages: list[list[Proposal]] = [[]]
    used = 0
    for proposal in proposals:
        size = proposal_bytes(proposal)
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(proposal)
        used += size
    return pages
