"""A small DOM for the site tests, on the standard library's html.parser (no bs4 needed), and
Pelican alone on a copy of the tiny fixture site."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"
FIXTURE_NOW = "2026-11-26T12:00:00+02:00"  # its open consultation is open

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]

    def by_id(self, id_: str) -> Node:
        return self.find(id=id_)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def page(output: Path, url: str) -> Node:
    """The parsed page at a site-relative URL (``diavoulefseis/x/`` → .../index.html)."""
    path = output / url
    if url == "" or url.endswith("/"):
        path = path / "index.html"
    return parse(path.read_text(encoding="utf-8"))


def build_fixture_site(
    root: Path, tmp: Path, report: str | None = None, **overrides: Any
) -> tuple[Path, dict[str, Any]]:
    """Pelican alone on a copy of the fixture content (with ``report`` as the closed
    consultation's report.md); the output folder and the settings."""
    from pelican.settings import read_settings

    from chalicelib.sitebuild import run_pelican

    content = tmp / "content"
    shutil.copytree(FIXTURE_SITE / "content", content)
    if report is not None:
        (content / "consultations" / "kleisti" / "report.md").write_text(report, encoding="utf-8")
    settings = read_settings(
        str(root / "pelicanconf.py"),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(tmp / "output"),
            "THEME": str(root / "theme"),
            "SNAPSHOT_PATH": str(FIXTURE_SITE / "snapshot.json"),
            "CONSULTATION_NOW": FIXTURE_NOW,
            "CACHE_PATH": str(tmp / "cache"),
            **overrides,
        },
    )
    run_pelican(settings)
    return tmp / "output", settings


def build_whole_site(
    root: Path,
    output: Path,
    snapshot: Path | None = None,
    now: str = FIXTURE_NOW,
    content: Path = FIXTURE_SITE / "content",
    compact: bool = True,
) -> Path:
    """The fixture content (or ``content``) built the publish's way (Pelican, then the search
    bundles) from ``snapshot`` (default: the fixture's), its open consultation open; with
    ``compact`` off, as a publish that only adds builds it."""
    from datetime import datetime

    from chalicelib.sitebuild import build_site

    build_site(
        root,
        output,
        snapshot=snapshot or FIXTURE_SITE / "snapshot.json",
        api_url="http://api.example.test:9000",
        now=datetime.fromisoformat(now),
        content=content,
        compact=compact,
    )
    return output
