"""How many took part in a consultation, and how: the numbers of its results page.

Plain frozen dataclasses of counts and labels, computed once at build time, so the page's tables,
its SVG charts (plugins/results/charts.py) and its render fingerprint (``dataclasses.asdict``)
all read the same numbers. People are counted by the keyed hash of their e-mail that the API
stores (``participant``); the hash never leaves this module, only how many distinct ones there
are. An item without one (from before the hash existed) counts as a participant of its own.
Codes and Greek labels come from limits.json, in its order; dates are Athens calendar days.
How many submissions are unique and how many came from campaigns: plugins/results/campaigns.py
(every other number here counts each submission, a campaign's members included).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.clock import ATHENS
from chalicelib.spec import limits
from plugins.consultations.models import Answer, Author, Comment, Consultation, Proposal, Text
from plugins.greek.dates import parse_utc

from .campaigns import Campaigns, Tally, tally

WHOLE_TEXT = "Στο σύνολο του κειμένου"  # comments on the text, not on one of its paragraphs
GONE = "Σε παράγραφο που δεν υπάρχει πλέον"  # a paragraph removed since it was commented


@dataclass(frozen=True)
class Totals:
    comments: int  # on texts and on proposals, replies included
    proposals: int
    submissions: int  # comments + proposals
    participants: int  # distinct people (keyed e-mail hashes)


@dataclass(frozen=True)
class RespondentRow:
    code: str  # limits.json respondent_types
    label: str
    submissions: int
    participants: int  # distinct within this type


@dataclass(frozen=True)
class OrganisationRow:
    code: str  # limits.json organisation_types
    label: str
    submissions: int


@dataclass(frozen=True)
class ParagraphRow:
    id: str | None  # None: the whole text, or a paragraph no longer in the text
    number: int | None
    excerpt: str  # the paragraph's first words, or WHOLE_TEXT / GONE
    comments: int  # replies included, counted where their thread starts


@dataclass(frozen=True)
class TextRow:
    slug: str
    title: str
    comments: int
    paragraphs: tuple[ParagraphRow, ...]  # only rows with comments, in the text's order
    campaigns: Tally  # of its comments: unique, from campaigns


@dataclass(frozen=True)
class DayRow:
    date: str  # ISO date of the Athens calendar day
    submissions: int


@dataclass(frozen=True)
class DispositionRow:
    code: str  # limits.json dispositions
    label: str
    count: int


@dataclass(frozen=True)
class Answers:
    dispositions: tuple[DispositionRow, ...]  # every disposition, zeros included
    answered: int
    unanswered: int


@dataclass(frozen=True)
class Participation:
    totals: Totals
    respondent_types: tuple[RespondentRow, ...]  # every type, zeros included
    organisation_types: tuple[OrganisationRow, ...]  # only types with submissions
    texts: tuple[TextRow, ...]  # every text, in the consultation's order
    days: tuple[DayRow, ...]  # first to last day with submissions, days without any included
    answers: Answers
    campaigns: Campaigns


@dataclass(frozen=True)
class _Item:
    """One comment or proposal, reduced to what is counted."""

    who: str  # the participant hash, or the item's own id when there is none
    author: Author
    created_at: str
    answer: Answer | None


def participation(consultation: Consultation) -> Participation:
    """Every number of the consultation's participation section."""
    items = list(_items(consultation))
    comments = consultation.comment_count
    on_proposals = _on_proposals(consultation)
    return Participation(
        totals=Totals(
            comments=comments,
            proposals=len(consultation.proposals),
            submissions=len(items),
            participants=len({i.who for i in items}),
        ),
        respondent_types=_respondent_types(items),
        organisation_types=_organisation_types(items),
        texts=tuple(_text(t) for t in consultation.texts),
        days=_days(items),
        answers=_answers(items),
        campaigns=Campaigns(
            comments=tally([*(t.comments for t in consultation.texts), *on_proposals]),
            on_proposals=tally(on_proposals),
            proposals=tally([consultation.proposals]),
        ),
    )


def _on_proposals(consultation: Consultation) -> list[list[Comment]]:
    """The comments of each proposal, a withdrawn one's too (they are still published)."""
    return [p.comments for p in consultation.proposals + consultation.withdrawn_proposals]


def _items(consultation: Consultation) -> Iterator[_Item]:
    items: list[Comment | Proposal] = [c for t in consultation.texts for c in t.comments]
    # comments on a withdrawn proposal are still published (placeholders never are items)
    items += [c for comments in _on_proposals(consultation) for c in comments]
    items += consultation.proposals
    for item in items:
        who = f"item:{item.id}" if item.participant is None else f"hash:{item.participant}"
        yield _Item(who, item.author, item.created_at, item.answer)


def _ordered(codes: Iterable[str], known: dict[str, str]) -> list[str]:
    """``codes`` in limits.json order; codes it does not know (should not happen) last."""
    found = set(codes)
    return [c for c in known if c in found] + sorted(found - set(known))


def _respondent_types(items: list[_Item]) -> tuple[RespondentRow, ...]:
    labels: dict[str, str] = limits()["respondent_types"]
    submissions = Counter(i.author.respondent_type for i in items)
    people: dict[str, set[str]] = defaultdict(set)
    for i in items:
        people[i.author.respondent_type].add(i.who)
    return tuple(
        RespondentRow(code, labels.get(code, code), submissions[code], len(people[code]))
        for code in _ordered([*labels, *submissions], labels)
    )


def _organisation_types(items: list[_Item]) -> tuple[OrganisationRow, ...]:
    labels: dict[str, str] = limits()["organisation_types"]
    submissions = Counter(
        i.author.organisation_type
        for i in items
        if i.author.respondent_type == "organisation" and i.author.organisation_type
    )
    return tuple(
        OrganisationRow(code, labels.get(code, code), submissions[code])
        for code in _ordered(submissions, labels)
    )


def _text(text: Text) -> TextRow:
    """A text's comments by paragraph, each reply counted where its thread starts (as the text
    page shows it). The paragraphs are those consulted on, if the text was frozen at close."""
    paragraphs = text.consulted if text.consulted is not None else text.paragraphs
    by_id = {c.id: c for c in text.comments}
    counts = Counter(_root(c, by_id).paragraph for c in text.comments)
    rows = [
        ParagraphRow(p.id, p.number, p.excerpt, counts.pop(p.id))
        for p in sorted(paragraphs, key=lambda p: p.number)
        if p.id in counts
    ]
    if counts.get(None):
        rows.append(ParagraphRow(None, None, WHOLE_TEXT, counts.pop(None)))
    if gone := sum(counts.values()):
        rows.append(ParagraphRow(None, None, GONE, gone))
    return TextRow(text.slug, text.title, len(text.comments), tuple(rows), tally([text.comments]))


def _root(comment: Comment, by_id: dict[str, Comment]) -> Comment:
    """The first comment of the thread (a reply whose parent is not published starts one)."""
    seen = {comment.id}
    while comment.parent in by_id and comment.parent not in seen:
        comment = by_id[comment.parent]
        seen.add(comment.id)
    return comment


def _days(items: list[_Item]) -> tuple[DayRow, ...]:
    per_day = Counter(parse_utc(i.created_at).astimezone(ATHENS).date() for i in items)
    if not per_day:
        return ()
    first, last = min(per_day), max(per_day)
    days: list[date] = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return tuple(DayRow(d.isoformat(), per_day[d]) for d in days)


def _answers(items: list[_Item]) -> Answers:
    labels: dict[str, str] = limits()["dispositions"]["labels"]
    answers = [i.answer for i in items if i.answer is not None]
    counts = Counter(a.disposition for a in answers)
    given = {a.disposition: a.label for a in answers}
    return Answers(
        dispositions=tuple(
            DispositionRow(code, labels.get(code) or given[code], counts[code])
            for code in _ordered([*labels, *counts], labels)
        ),
        answered=len(answers),
        unanswered=len(items) - len(answers),
    )
