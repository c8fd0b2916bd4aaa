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


def paginate(threads: list[Comment], per_page: int, max_chars: int) -> list[list[Comment]]:
    """``threads`` (in the order they are shown) cut into pages (module docstring)."""
    pages: list[list[Comment]] = []
    current: list[Comment] = []
    written: list[tuple[str, str]] = []  # when each comment of the current page was written
    count = chars = 0
    for thread in threads:
        nodes = flatten([thread])
        size, weight = len(nodes), sum(_chars(n) for n in nodes)
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


def paginate_text(settings: dict[str, Any], consultation: str, text: Text) -> None:
    """Give ``text`` its comment series (paragraphs in the text's order, then the whole text)."""
    per_page, max_chars = _limits(settings)
    text.comment_series = {}
    for target in [p.id for p in text.paragraphs] + [None]:
        threads = text.threads.get(target)
        if not threads:
            continue
        fields = {
            "consultation": consultation,
            "slug": text.slug,
            "target": target or settings["COMMENTS_WHOLE"],
        }
        pages = []
        for number, chunk in enumerate(paginate(threads, per_page, max_chars), start=1):
            save_as, url = numbered(settings, "COMMENTS", "COMMENTS_PART", number, **fields)
            pages.append(CommentPage(number, chunk, url, save_as))
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
    per_page, max_chars = _limits(settings)
    fields = {"consultation": consultation, "id": proposal.id}
    pages = []
    for number, chunk in enumerate(paginate(proposal.threads, per_page, max_chars), start=1):
        save_as, url = numbered(settings, "PROPOSAL", "PROPOSAL_COMMENTS", number, **fields)
        pages.append(CommentPage(number, chunk, url, save_as))
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
        ]
    return [*data, text.paragraph_answers, len(text.comments)]


def proposal_data(header: dict[str, Any], proposal: Proposal) -> list[Any]:
    """The proposal page's render fingerprint: its first page of comments, the others' links."""
    series = proposal.comment_series
    first = series.pages[0].comments if series else []
    return [header, proposal.summary(), _series(series), [x.fingerprint() for x in first]]


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
    chunks = [listed[i : i + per_page] for i in range(0, len(listed), per_page)] or [[]]
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
            [p.summary() for p in chunk],
        ]
        arguments = {
            "proposals": chunk,
            "page_number": number,
            "page_urls": links,
            "proposal_count": len(listed),
        }
        yield page, data, arguments


def finder_rows(consultation: Consultation) -> dict[str, list[dict[str, Any]]]:
    """bucket → the consultation's comments whose id ends with it: where each one is."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(series: CommentSeries | None, where: dict[str, Any]) -> None:
        for page in series.pages if series else []:
            for comment in page.comments:
                rows[comment_bucket(comment.id)].append(
                    {
                        "id": comment.id,
                        "reference": comment.reference,
                        "author": comment.author.label,
                        "created_at": comment.created_at,
                        "withdrawn": comment.withdrawn,
                        "url": page.url,
                        "page": page.number,
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
