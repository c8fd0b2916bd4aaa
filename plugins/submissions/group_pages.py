"""The pages of groups of near-identical submissions (plugins/submissions/groups.py): the parts
of a group of comments after the first (its block on the comment page shows that one), and
every part of a group of proposals (its card in the list links the first). Written through
plugins/consultations' ``consultation_pages``, so that they are skipped when unchanged, and
deleted when gone, like the consultation's own pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plugins.consultations.comment_pages import brief
from plugins.consultations.models import Comment, CommentSeries, Consultation

from .groups import Fold

TEMPLATE = "group"


def _folds(series: CommentSeries | None) -> Iterator[tuple[Comment, Fold, str]]:
    """Each group a series shows, with the URL of the page its block is on."""
    for page in series.pages if series else []:
        for thread in page.threads:
            if thread.fold is not None:
                yield thread, thread.fold, page.url


def write_group_pages(generator: Any, *, consultation: Consultation, pages: Any) -> None:
    """Every group page of ``consultation`` (``pages``: the generator's Pages)."""
    c, head = consultation, brief(consultation)
    whole = generator.settings["COMMENTS_WHOLE"]
    for text in c.texts:
        about = {"slug": text.slug, "title": text.title, "url": text.url}
        paragraphs = text.paragraph_map
        for target, series in text.comment_series.items():
            paragraph = paragraphs.get(target) if target else None
            fields = {"consultation": c.slug, "slug": text.slug, "target": target or whole}
            for first, fold, block in _folds(series):
                for part in fold.parts[1:]:
                    data = [head, about, vars(paragraph) if paragraph else None, series.url]
                    pages.page(
                        "COMMENTS_GROUP",
                        fields | {"group": fold.group, "part": str(part.number)},
                        TEMPLATE,
                        [*data, _part(first, fold, part.number, block)],
                        consultation=c,
                        text=text,
                        paragraph=paragraph,
                        series=series,
                        **_arguments(first, fold, part.number, block),
                    )
    for proposal in c.proposals + c.withdrawn_proposals:
        about = {"id": proposal.id, "title": proposal.title, "url": proposal.url}
        fields = {"consultation": c.slug, "id": proposal.id}
        for first, fold, block in _folds(proposal.comment_series):
            for part in fold.parts[1:]:
                pages.page(
                    "PROPOSAL_COMMENTS_GROUP",
                    fields | {"group": fold.group, "part": str(part.number)},
                    TEMPLATE,
                    [head, about, proposal.withdrawn, _part(first, fold, part.number, block)],
                    consultation=c,
                    proposal=proposal,
                    **_arguments(first, fold, part.number, block),
                )
    for listed in c.proposals:
        if (group := listed.fold) is None:
            continue
        for part in group.parts:
            name, fields = "PROPOSALS_GROUP", {"consultation": c.slug, "group": group.group}
            if part.number > 1:
                name, fields = "PROPOSALS_GROUP_PART", fields | {"part": str(part.number)}
            pages.page(
                name,
                fields,
                TEMPLATE,
                [head, [listed.url, listed.summary()], _part(listed, group, part.number, "")],
                consultation=c,
                proposals=True,
                **_arguments(listed, group, part.number, ""),
            )


def _part(first: Any, fold: Fold, number: int, block: str) -> list[Any]:
    """A group page's own data: its representative, the group and the part it shows."""
    own = first.fingerprint() if isinstance(first, Comment) else None
    return [own, block, fold.fingerprint(number)]


def _arguments(first: Any, fold: Fold, number: int, block: str) -> dict[str, Any]:
    return {
        "representative": first,
        "fold": fold,
        "part": fold.parts[number - 1],
        "block": block,  # a group of comments: the comment page its block is on
        "indexed": True,  # its members' own sentences are on no other page
    }
