"""The consultation site's content model: consultations, their texts, and what citizens said.

Plain dataclasses, so that the templates read attributes and the render fingerprints can be
computed from exactly the data a page shows.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import timeline

from .paragraphs import Paragraph

if TYPE_CHECKING:  # its folding is plugins/submissions' (it imports this module)
    from plugins.submissions.groups import Fold

MISSING = "λείπει (υποχρεωτικό πεδίο)"  # a required field's problem, also for Pelican's pages


class ContentError(Exception):
    """A content file is wrong; the message names the file and the field, for staff."""

    def __init__(self, source: str, field_name: str, problem: str) -> None:
        super().__init__(f"{source}: {field_name}: {problem}")
        self.source = source
        self.field = field_name
        self.problem = problem


@dataclass
class Author:
    respondent_type: str
    display_name: str | None
    organisation_name: str | None
    organisation_type: str | None
    label: str  # what the site shows: a name, an organisation, or «Ανώνυμος πολίτης»
    detail: str  # e.g. the organisation type, or ""

    @property
    def named(self) -> bool:
        """They chose to publish their name or their organisation's."""
        return bool(self.display_name or self.organisation_name)


@dataclass(frozen=True)
class Answer:
    """The municipality's answer to a comment or proposal (limits.json ``dispositions``)."""

    disposition: str
    label: str  # the disposition in words: shown with its badge, never colour alone
    text: str
    answered_at: str


@dataclass
class Comment:
    id: str
    reference: str
    body: str
    author: Author
    paragraph: str | None
    parent: str | None
    created_at: str
    approved_at: str
    answer: Answer | None = None
    participant: str | None = None  # counted on the results page, never shown
    redacted: bool = False  # staff removed part of it (personal data…): the page says so
    group: str | None = None  # its group of near-identical submissions (chalicelib.campaigns)
    supports: int = 0  # confirmed «Υποστηρίζω» (chalicelib.supports)
    replies: list["Comment"] = field(default_factory=list)
    # Withdrawn by its author after publication: only its place is left (the snapshot's
    # ``withdrawn``), shown as «Αποσύρθηκε από τον συντάκτη» with the replies under it; never
    # in a target's ``comments``, so never counted.
    withdrawn: bool = False
    # Shown in a group (plugins/submissions/groups.py): the representative's ``fold``, the
    # other members' ``representative``; what the comment pages show, never what they count.
    fold: "Fold | None" = None
    representative: "Comment | None" = None

    def fingerprint(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in _NOT_OWN} | {
            "author": vars(self.author),
            "answer": _answer(self.answer),
        }


_NOT_OWN = ("replies", "author", "answer", "fold", "representative")


def _answer(answer: Answer | None) -> dict[str, str] | None:
    return vars(answer) if answer is not None else None


def flatten(threads: list[Comment]) -> list[Comment]:
    """Every comment of ``threads``, replies after their parent, in the order they are shown."""
    found: list[Comment] = []
    stack = list(reversed(threads))
    while stack:
        comment = stack.pop()
        found.append(comment)
        stack.extend(reversed(comment.replies))
    return found


@dataclass
class CommentPage:
    """One page of a target's comments (plugins/consultations/comment_pages.py)."""

    number: int  # 1, 2, …
    threads: list[Comment]  # whole threads, in the order of their first comment
    url: str
    save_as: str

    @property
    def comments(self) -> list[Comment]:
        return flatten(self.threads)


@dataclass
class CommentSeries:
    """A target's comments in pages: a paragraph's, the whole text's or a proposal's."""

    target: str | None  # the paragraph's id; None: the whole text, or the proposal
    pages: list[CommentPage]
    count: int  # published comments, replies included (placeholders are not counted)

    @property
    def url(self) -> str:
        return self.pages[0].url

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.pages]

    @property
    def threads(self) -> list[Comment]:
        """Every thread it shows, in order (a group once, on its representative)."""
        return [t for p in self.pages for t in p.threads]

    def where(self) -> dict[str, str]:
        """Thread (its first comment's id) and group member → the URL of the page that shows
        it (a member: its group's part)."""
        found = {}
        for page in self.pages:
            for thread in page.threads:
                found[thread.id] = page.url
                for part in thread.fold.parts if thread.fold else []:
                    found.update(dict.fromkeys((m.id for m in part.members), part.url))
        return found


@dataclass
class Proposal:
    id: str
    reference: str
    title: str
    body: str
    location: str | None
    author: Author
    created_at: str
    approved_at: str
    answer: Answer | None = None
    participant: str | None = None
    redacted: bool = False
    group: str | None = None  # its group of near-identical proposals (chalicelib.campaigns)
    supports: int = 0  # confirmed «Υποστηρίζω» (chalicelib.supports)
    comments: list[Comment] = field(default_factory=list)  # every approved one, by date
    threads: list[Comment] = field(default_factory=list)  # top level, replies nested
    placeholders: list[Comment] = field(default_factory=list)  # withdrawn comments, in threads
    url: str = ""
    withdrawn: bool = False  # its page stays, with a placeholder title and its comments
    # Its comments in pages: the first on the proposal's page, the next ones on their own.
    comment_series: CommentSeries | None = None
    # Listed in a group of near-identical proposals (plugins/submissions/groups.py): the
    # representative's ``fold``; the other members' ``representative``, whose page they name.
    fold: "Fold | None" = None
    representative: "Proposal | None" = None

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "location": self.location,
            "author": vars(self.author),
            "approved_at": self.approved_at,
            "answer": _answer(self.answer),
            "comments": len(self.comments),
            "placeholders": [c.fingerprint() for c in self.placeholders],
            "withdrawn": self.withdrawn,
            "redacted": self.redacted,
            "supports": self.supports,
        }


@dataclass
class Text:
    slug: str
    title: str
    kind: str
    kind_label: str
    order: int
    content: str  # HTML with <!--para:ID--> markers
    paragraphs: list[Paragraph]
    source: str
    url: str
    budget: int | None = None
    location: str | None = None
    department: str | None = None
    comments: list[Comment] = field(default_factory=list)
    threads: dict[str | None, list[Comment]] = field(default_factory=dict)  # paragraph → top
    placeholders: list[Comment] = field(default_factory=list)  # withdrawn comments, in threads
    paragraph_counts: dict[str, int] = field(default_factory=dict)  # with replies
    # paragraph → disposition → answered comments (with replies): "how they were answered"
    paragraph_answers: dict[str, dict[str, int]] = field(default_factory=dict)
    # The text as consulted (``Consulted:`` metadata, frozen at close): the results page's
    # "what changed" compares it with the text as it stands. None: not frozen (unchanged).
    consulted: list[Paragraph] | None = None
    consulted_source: str | None = None
    # Its comments on pages of their own, per paragraph (its id) and for the whole text (None),
    # in the text's order; ``comments_inline``: few enough to show on the text's page too.
    comment_series: dict[str | None, CommentSeries] = field(default_factory=dict)
    comments_inline: bool = True
    tallied: int | None = None  # a settled consultation's: its count, its comments not loaded

    @property
    def comment_count(self) -> int:
        return self.tallied if self.tallied is not None else len(self.comments)

    @property
    def paragraph_map(self) -> dict[str, Paragraph]:
        return {p.id: p for p in self.paragraphs}

    def summary(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "kind": self.kind,
            "order": self.order,
            "url": self.url,
            "budget": self.budget,
            "comments": self.comment_count,
        }


@dataclass
class Consultation:
    slug: str
    title: str
    summary: str
    theme: str
    opens: datetime
    closes: datetime
    order: int
    content: str
    source: str
    url: str
    contact: str | None = None
    texts: list[Text] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    # Proposals withdrawn after publication: their pages stay (a placeholder title and their
    # comments) but they are not listed, counted or exported.
    withdrawn_proposals: list[Proposal] = field(default_factory=list)
    state: str = timeline.UPCOMING
    days_left: int = 0
    # From the URL settings (plugins/consultations/urls.py), so templates spell no path.
    proposals_url: str = ""
    proposal_pattern: str = ""  # a proposal's URL, with {id} to fill
    comment_pattern: str = ""  # where a comment is found (COMMENT_FIND_URL), {bucket} to fill
    feed_url: str = ""
    results_url: str = ""
    # When the results page last changed in substance (the report's date, else the closing):
    # its entry in the consultation's feed. Set by plugins/results; None: no results page.
    results_updated: str | None = None
    # The day of the published report (its Date, else the closing day), ISO; set by
    # plugins/results once the results page shows a report, for the manifest (announcements).
    report_date: str | None = None
    # Settled (plugins/consultations/settled.py): nothing it is made from changed since the
    # last build, so its submissions are not loaded and the site-wide pages read its tally.
    tallied: dict[str, Any] | None = None
    folder_digest: str = ""  # its content folder's (the reader's cache and settled.py key)

    @property
    def settled(self) -> bool:
        return self.tallied is not None

    def proposal_url(self, proposal_id: str) -> str:
        return self.proposal_pattern.format(id=proposal_id)

    def set_state(self, now: datetime) -> None:
        """Upcoming, open (with the Athens days left) or closed at build time, by the rule the
        API accepts submissions by (chalicelib.timeline)."""
        self.state = timeline.state(self.opens, self.closes, now)
        self.days_left = timeline.days_left(self.closes, now) if self.is_open else 0

    @property
    def is_open(self) -> bool:
        return self.state == timeline.OPEN

    @property
    def comment_count(self) -> int:
        """The published comments, replies included (those on a withdrawn proposal too: they
        are still published, and the open data counts them)."""
        if self.tallied is not None:
            return int(self.tallied["comments"])
        return sum(len(t.comments) for t in self.texts) + sum(
            len(p.comments) for p in self.proposals + self.withdrawn_proposals
        )

    @property
    def proposal_count(self) -> int:
        return int(self.tallied["proposals"]) if self.tallied is not None else len(self.proposals)

    @property
    def catalogued(self) -> list[Any]:
        """The proposals the catalogue lists: a settled consultation's from its tally (none
        when there are more than the catalogue lists one by one)."""
        return self.tallied["listed"] if self.tallied is not None else self.proposals

    def header(self) -> dict[str, Any]:
        """What every page of the consultation shows about it (title, dates, state)."""
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "theme": self.theme,
            "opens": self.opens.isoformat(),
            "closes": self.closes.isoformat(),
            "state": self.state,
            "days_left": self.days_left,
            "contact": self.contact,
            "url": self.url,
        }

    def overview(self) -> dict[str, Any]:
        """The header plus its texts and counts: what the home and consultation pages show."""
        return self.header() | {
            "content": self.content,
            "order": self.order,
            "texts": [t.summary() for t in self.texts],
            "proposals": self.proposal_count,
            "comments": self.comment_count,
            "report_date": self.report_date,  # the consultation page's «Ενημερώστε με» goes
        }
