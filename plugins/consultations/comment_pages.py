"""Comments on static pages of their own, so that no page grows with the comment count.

A text's comments are shown per paragraph and for the whole text (its targets); each target's
threads go on numbered pages (COMMENTS_URL, then COMMENTS_PART_URL), linked from the text's page,
read without JavaScript. A text with at most COMMENTS_INLINE comments shows them on its own
page too, as before; its comment pages exist all the same, so that the address of a comment
(its comment page and COMMENT_ANCHOR) does not change when the text passes that count. A
proposal's first page of comments is the proposal's own page, its next ones PROPOSAL_COMMENTS_URL.

How threads are put on pages (``paginate``): in the order of their first comment (created_at,
then id, as the site shows them), never split. A page takes a new thread while fewer than
COMMENTS_PER_PAGE of its comments were written before that thread began: a reply to an old
thread does not push the threads after it onto another page, so new comments only append and an
old comment keeps its address while nothing written before it is taken down (hidden, or approved
late). Withdrawn placeholders count like the comments they were and keep their place. To keep
every page light, a thread also goes to a new page when it would take the page past twice
COMMENTS_PER_PAGE comments or past COMMENTS_PAGE_CHARS characters (bodies and answers): only
then can later replies, answers or redactions move threads. A thread larger than that stays
whole on its own page.

A group of near-identical comments (plugins/submissions/groups.py) is its representative's
thread, whose block shows the first part of its members (≤ COMMENTS_PER_PAGE comments and half
COMMENTS_PAGE_CHARS, weighed with the page), the next parts on the group's own pages, twice
that each: no page grows with a campaign. A group of proposals is one card in the list, its
members on the group's pages (PROPOSALS_PER_PAGE each).

Each comment page is a page of the render state: a publish re-renders only the pages whose
comments changed, and a page number that no longer exists is deleted (RenderState.finish).
E-mails link to a comment through its consultation's finder page (COMMENT_FIND_URL, by the last
character of the comment's id: the API knows only the comment, not its page), which links on to
the comment page; ``write_finder`` writes them.

A consultation's list of proposals is cut into numbered pages the same way (``proposal_list``,
``numbered``, the same pagination links): PROPOSALS_PER_PAGE a page, in the order the list has
always had, by approval (approved_at, then id: plugins/submissions). A newly approved proposal
goes on the last page, so a publish re-renders that page and page 1 (its count, its form) only;
one taken down (withdrawn, hidden) moves every later one back a place, re-rendering the pages
from its own to the last, and a new page re-renders them all (their pagination links).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from chalicelib.links import comment_bucket

from . import urls
from .models import Comment, CommentPage, CommentSeries, Consultation, Proposal, Text, flatten

logger = logging.getLogger(__name__)

OVERFLOW = 2  # a page never takes a thread that would bring it past twice COMMENTS_PER_PAGE
Page = tuple[str, str]  # (save_as, url), as ConsultationsGenerator._write takes it


def _key(comment: Comment) -> tuple[str, str]:
    return (comment.created_at, comment.id)


def _chars(comment: Comment) -> int:
    return len(comment.body) + (len(comment.answer.text) if comment.answer else 0)


def _shown(thread: Comment) -> tuple[list[Comment], int]:
    """The comments a thread shows on its page (a group's block: its first part's members
    too) and their characters (a member's: its entry, not the text it shares)."""
    nodes = flatten([thread])
    chars = sum(_chars(n) for n in nodes)
    if thread.fold is not None and thread.fold.parts:
        first = thread.fold.parts[0]
        nodes, chars = nodes + flatten(first.members), chars + first.chars
    return nodes, chars


def paginate(threads: list[Comment], per_page: int, max_chars: int) -> list[list[Comment]]:
    """``threads`` (in the order they are shown) cut into pages (module docstring)."""
    pages: list[list[Comment]] = []
    current: list[Comment] = []
    written: list[tuple[str, str]] = []  # when each comment of the current page was written
    count = chars = 0
    for thread in threads:
        nodes, weight = _shown(thread)
        size = len(nodes)
        if current:
            began = _key(thread)
            before = sum(1 for key in written if key < began)
            if (
                before >= per_page
                or count + size > OVERFLOW * per_page
                or chars + weight > max_chars
            ):
                pages.append(current)
                current, written, count, chars = [], [], 0, 0
        current.append(thread)
        written.extend(_key(n) for n in nodes)
        count, chars = count + size, chars + weight
    if current:
        pages.append(current)
    return pages


def _limits(settings: dict[str, Any]) -> tuple[int, int]:
    return int(settings["COMMENTS_PER_PAGE"]), int(settings["COMMENTS_PAGE_CHARS"])


def _published(threads: list[Comment]) -> int:
    return sum(1 for c in flatten(threads) if not c.withdrawn)


def numbered(settings: dict[str, Any], first: str, rest: str, number: int, **fields: str) -> Page:
    """Page ``number`` of a series: page 1 at the ``first`` page's address (no part in it), the
    next ones at ``rest``'s with their part (2, 3 …): comment pages and the proposals list."""
    if number == 1:
        return urls.save_as(settings, first, **fields), urls.url(settings, first, **fields)
    fields = fields | {"part": str(number)}
    return urls.save_as(settings, rest, **fields), urls.url(settings, rest, **fields)


def _pages(
    settings: dict[str, Any], threads: list[Comment], names: tuple[str, str, str], **fields: str
) -> list[CommentPage]:
    """A target's comment pages (``names``: the settings of its first page, of the next ones
    and of its groups' pages), a group once, its parts split and placed."""
    per_page, max_chars = _limits(settings)
    shown = [t for t in threads if t.representative is None]
    for thread in shown:
        if thread.fold is not None:
            thread.fold.split((per_page, max_chars // 2), (OVERFLOW * per_page, max_chars))
    pages = []
    for number, chunk in enumerate(paginate(shown, per_page, max_chars), start=1):
        save_as, url = numbered(settings, names[0], names[1], number, **fields)
        pages.append(CommentPage(number, chunk, url, save_as))
        for fold in (t.fold for t in chunk if t.fold is not None):
            for part in fold.parts:
                part.save_as, part.url = save_as, url
                if part.number > 1:
                    place = fields | {"group": fold.group, "part": str(part.number)}
                    part.save_as = urls.save_as(settings, names[2], **place)
                    part.url = urls.url(settings, names[2], **place)
    return pages


def paginate_text(settings: dict[str, Any], consultation: str, text: Text) -> None:
    """Give ``text`` its comment series (paragraphs in the text's order, then the whole text)."""
    text.comment_series = {}
    names = ("COMMENTS", "COMMENTS_PART", "COMMENTS_GROUP")
    for target in [p.id for p in text.paragraphs] + [None]:
        threads = text.threads.get(target)
        if not threads:
            continue
        fields = {
            "consultation": consultation,
            "slug": text.slug,
            "target": target or settings["COMMENTS_WHOLE"],
        }
        pages = _pages(settings, threads, names, **fields)
        text.comment_series[target] = CommentSeries(target, pages, _published(threads))
    shown = len(text.comments) + len(text.placeholders)
    text.comments_inline = shown <= int(settings["COMMENTS_INLINE"])
    logger.debug(
        "Text %s: %d comments on %d comment pages",
        text.slug,
        shown,
        sum(len(s.pages) for s in text.comment_series.values()),
    )


def paginate_proposal(settings: dict[str, Any], consultation: str, proposal: Proposal) -> None:
    """Give ``proposal`` its comment series: page 1 is the proposal's own page."""
    proposal.comment_series = None
    if not proposal.threads:
        return
    names = ("PROPOSAL", "PROPOSAL_COMMENTS", "PROPOSAL_COMMENTS_GROUP")
    fields = {"consultation": consultation, "id": proposal.id}
    pages = _pages(settings, proposal.threads, names, **fields)
    proposal.comment_series = CommentSeries(None, pages, _published(proposal.threads))


def brief(consultation: Consultation) -> dict[str, Any]:
    """What a comment page shows of its consultation: not the days left (they change daily)."""
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "url": consultation.url,
        "state": consultation.state,
        "closes": consultation.closes.isoformat(),
    }


def _series(series: CommentSeries | None) -> Any:
    """What the text's or proposal's page shows of a series: its count and its pages."""
    return (series.target, series.count, series.urls) if series else None


def groups_shown(threads: list[Comment]) -> list[Any]:
    """What a page shows of the groups among ``threads``: each block, with its first part."""
    return [t.fold.fingerprint(1) for t in threads if t.fold is not None]


def text_data(header: dict[str, Any], text: Text) -> list[Any]:
    """The text page's render fingerprint: its comments when it shows them, else their counts."""
    data = [
        header,
        text.summary(),
        text.content,
        [vars(p) for p in text.paragraphs],
        [_series(s) for s in text.comment_series.values()],
        text.comments_inline,
    ]
    if text.comments_inline:
        where = {k: v for s in text.comment_series.values() for k, v in s.where().items()}
        return [
            *data,
            [x.fingerprint() for x in text.comments],
            [x.fingerprint() for x in text.placeholders],
            where,
            [groups_shown(s.threads) for s in text.comment_series.values()],
        ]
    return [*data, text.paragraph_answers, len(text.comments)]


def group_note(proposal: Proposal) -> Any:
    """What a proposal's page says of its group of near-identical proposals: its size, its
    pages and its representative (the first)."""
    first = proposal.representative or proposal
    return [first.fold.fingerprint(), first.url, first.title] if first.fold else None


def proposal_data(header: dict[str, Any], proposal: Proposal) -> list[Any]:
    """The proposal page's render fingerprint: its first page of comments, the others' links."""
    series = proposal.comment_series
    first = series.pages[0] if series else None
    return [
        header,
        proposal.summary(),
        _series(series),
        [x.fingerprint() for x in first.comments] if first else [],
        groups_shown(first.threads) if first else [],
        group_note(proposal),
    ]


def text_pages(consultation: Consultation, text: Text) -> Iterator[tuple[Page, Any, dict]]:
    """(page, render fingerprint, template arguments) of each comment page of ``text``."""
    about = {"slug": text.slug, "title": text.title, "url": text.url}
    paragraphs = text.paragraph_map
    for target, series in text.comment_series.items():
        paragraph = paragraphs.get(target) if target else None
        for page in series.pages:
            data = [
                brief(consultation),
                about,
                vars(paragraph) if paragraph else None,
                series.urls,  # not the count: a comment on another page leaves this one be
                page.number,
                [c.fingerprint() for c in page.comments],
                groups_shown(page.threads),
                not text.comments_inline,  # indexed for search when the text page lacks them
            ]
            arguments = {
                "text": text,
                "paragraph": paragraph,
                "series": series,
                "comment_page": page,
                "indexed": not text.comments_inline,
            }
            yield (page.save_as, page.url), data, arguments


def proposal_pages(
    consultation: Consultation, proposal: Proposal
) -> Iterator[tuple[Page, Any, dict]]:
    """(page, render fingerprint, template arguments) of a proposal's pages of comments after
    the first (that one is the proposal's own page)."""
    series = proposal.comment_series
    if series is None:
        return
    about = {"id": proposal.id, "title": proposal.title, "url": proposal.url}
    for page in series.pages[1:]:
        data = [
            brief(consultation),
            about,
            proposal.withdrawn,
            series.urls,
            page.number,
            [c.fingerprint() for c in page.comments],
            groups_shown(page.threads),
        ]
        arguments = {"proposal": proposal, "series": series, "comment_page": page, "indexed": True}
        yield (page.save_as, page.url), data, arguments


def proposal_list(
    settings: dict[str, Any], consultation: Consultation, header: dict[str, Any]
) -> Iterator[tuple[Page, Any, dict]]:
    """(page, render fingerprint, template arguments) of each page of the consultation's list
    of proposals (module docstring): page 1 shows the ``header`` (the days left), the count
    and the form; the next ones their cards and page links only, so that they are not
    re-rendered every day. A card changes with its proposal's comment count and answer."""
    per_page = int(settings["PROPOSALS_PER_PAGE"])
    listed = consultation.proposals
    cards = [p for p in listed if p.representative is None]  # a group: one card
    chunks = [cards[i : i + per_page] for i in range(0, len(cards), per_page)] or [[]]
    fields = {"consultation": consultation.slug}
    pages = [
        numbered(settings, "PROPOSALS", "PROPOSALS_PART", n, **fields)
        for n in range(1, len(chunks) + 1)
    ]
    links = [url for _, url in pages]
    for number, (page, chunk) in enumerate(zip(pages, chunks, strict=True), start=1):
        first = number == 1
        data = [
            header if first else brief(consultation),
            len(listed) if first else None,
            links,
            number,
            [[p.summary(), p.fold.fingerprint() if p.fold else None] for p in chunk],
        ]
        arguments = {
            "proposals": chunk,
            "page_number": number,
            "page_urls": links,
            "proposal_count": len(listed),
            "grouped": len(cards) < len(listed),  # a group of proposals: one card
        }
        yield page, data, arguments


def place_proposal_groups(settings: dict[str, Any], consultation: Consultation) -> None:
    """Each group of the consultation's proposals in parts on pages of its own."""
    per_page, (_, max_chars) = int(settings["PROPOSALS_PER_PAGE"]), _limits(settings)
    for first in consultation.proposals:
        if first.fold is None:
            continue
        first.fold.split((per_page, max_chars), (per_page, max_chars))
        fields = {"consultation": consultation.slug, "group": first.fold.group}
        for part in first.fold.parts:
            page = numbered(
                settings, "PROPOSALS_GROUP", "PROPOSALS_GROUP_PART", part.number, **fields
            )
            part.save_as, part.url = page


def finder_rows(consultation: Consultation) -> dict[str, list[dict[str, Any]]]:
    """bucket → the consultation's comments whose id ends with it: where each one is."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(series: CommentSeries | None, where: dict[str, Any]) -> None:
        for page in series.pages if series else []:
            for comment, url, part in _placed(page):
                rows[comment_bucket(comment.id)].append(
                    {
                        "id": comment.id,
                        "reference": comment.reference,
                        "author": comment.author.label,
                        "created_at": comment.created_at,
                        "withdrawn": comment.withdrawn,
                        "url": url,
                        "page": page.number,
                        "part": part,  # a group's part on a page of its own (2, 3 …) or None
                        **where,
                    }
                )

    for text in consultation.texts:
        paragraphs = text.paragraph_map
        for target, series in text.comment_series.items():
            number = paragraphs[target].number if target else None
            add(series, {"title": text.title, "paragraph": number, "proposal": False})
    for proposal in consultation.proposals + consultation.withdrawn_proposals:
        add(proposal.comment_series, {"title": proposal.title, "paragraph": None, "proposal": True})
    for found in rows.values():
        found.sort(key=lambda row: (row["created_at"], row["id"]))
    return dict(rows)


def _placed(page: CommentPage) -> Iterator[tuple[Comment, str, int | None]]:
    """Every comment ``page`` shows or folds, with the URL that shows it and its group's part."""
    for comment in page.comments:
        yield comment, page.url, None
        for part in comment.fold.parts if comment.fold else []:
            for member in flatten(part.members):
                yield member, part.url, part.number if part.number > 1 else None


def write_finder(generator: Any, *, consultation: Consultation, pages: Any) -> None:
    """The consultation's finder pages, one per bucket that holds a comment (``pages``: the
    generator's Pages, so they are skipped, counted and deleted like the others)."""
    head = brief(consultation)
    for bucket, rows in sorted(finder_rows(consultation).items()):
        pages.page(
            "COMMENT_FIND",
            {"consultation": consultation.slug, "bucket": bucket},
            "comment_find",
            [head, rows],
            consultation=consultation,
            rows=rows,
        )
