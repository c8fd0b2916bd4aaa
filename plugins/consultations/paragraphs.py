"""Stable paragraph ids for consultation texts, as a Markdown tree processor.

Comments point at paragraphs by id, so an id must survive edits to *other* paragraphs: staff may
set one with attr_list (``{#platia}``); otherwise it is derived from the block's own text.
"""

import hashlib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

BLOCK_TAGS = {"p", "li", "blockquote"}
MARKER = "para:"  # <!--para:ID--> marks where a paragraph's comments go on the text page
EXCERPT_WORDS = 6
# ``Text of the paragraph. {#id}`` on the block's own line (attr_list only reads a line of its own)
TRAILING_ID = re.compile(r"\s*\{:?\s*#([A-Za-z][A-Za-z0-9_-]*)\s*\}\s*$")


@dataclass(frozen=True)
class Paragraph:
    id: str
    number: int
    excerpt: str
    text: str = ""  # the block's plain text, whitespace normalised (the results' word diff)


class DuplicateParagraphId(ValueError):
    """Two blocks carry the same explicit id."""


def _normalised(element: etree.Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _take_trailing_id(element: etree.Element) -> None:
    """Move a same-line ``{#id}`` at the end of the block into its id attribute."""
    holder, attr = (element[-1], "tail") if len(element) else (element, "text")
    match = TRAILING_ID.search(getattr(holder, attr) or "")
    if match and not element.get("id"):
        setattr(holder, attr, getattr(holder, attr)[: match.start()])
        element.set("id", match.group(1))


def _excerpt(text: str) -> str:
    words = text.split()
    return " ".join(words[:EXCERPT_WORDS]) + ("…" if len(words) > EXCERPT_WORDS else "")


class ParagraphIds(Treeprocessor):
    """Give every body block an id and leave a marker after it (runs after attr_list)."""

    def run(self, root: etree.Element) -> None:
        blocks = list(self._blocks(root, inside=False))
        explicit: set[str] = set()
        for _parent, element in blocks:
            _take_trailing_id(element)
            block_id = element.get("id")
            if block_id:
                if block_id in explicit:
                    raise DuplicateParagraphId(block_id)
                explicit.add(block_id)
        used = set(explicit)
        paragraphs: list[Paragraph] = []
        for number, (parent, element) in enumerate(blocks, start=1):
            text = _normalised(element)
            block_id = element.get("id")
            if not block_id:
                base = "p-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
                block_id, n = base, 1
                while block_id in used:
                    n += 1
                    block_id = f"{base}-{n}"
                used.add(block_id)
                element.set("id", block_id)
            paragraphs.append(Paragraph(block_id, number, _excerpt(text), text))
            marker = etree.Comment(MARKER + block_id)
            if element.tag == "li":
                element.append(marker)
            else:
                parent.insert(list(parent).index(element) + 1, marker)
        self.md.paragraphs = paragraphs

    def _blocks(self, parent: etree.Element, inside: bool):
        """Top-level blocks: list items and quotes, and paragraphs not inside one of them."""
        for child in list(parent):
            if not isinstance(child.tag, str):
                continue
            if child.tag in BLOCK_TAGS and not inside:
                yield parent, child
            yield from self._blocks(child, inside or child.tag in ("li", "blockquote"))


class ParagraphIdExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.paragraphs = []
        md.treeprocessors.register(ParagraphIds(md), "paragraph_ids", 5)
