"""theme/static/css/govgr.css: the part of the gov.gr design system that the site uses.

The public theme wears GRNET's gov.gr design system (npm ``@digigov/css`` and its theme
``@digigov/theme-govgr``, BSD-2-Clause), the look Greek citizens know from gov.gr. Its whole
stylesheet is 174 KB; the site uses a few dozen of its classes. From ``digigov.css`` this keeps:

- every rule whose selector names only ``govgr-*`` classes that the templates and scripts use
  (scanned in SOURCES); a selector that names an unused class is dropped from its list;
- the element rules (normalize and Tailwind's preflight), less the resets that would strip the
  unclassed HTML of the Markdown texts of its margins, list markers, heading sizes and link
  colours (DROP_BASE), and less every font-family: the site uses the system font stack;
- the custom properties those rules use, transitively, with the govgr theme's light values
  over the defaults, in one ``:root`` rule;
- the licence banners.

The result is committed (the publish Lambda has no Node): `make theme-css` writes it again,
tests/test_site_look_css.py fails when it no longer matches the templates or the packages.
docs/theme.md says how to update the packages.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import tinycss2

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "node_modules" / "@digigov"
DIGIGOV = PACKAGES / "css" / "dist" / "digigov.css"
THEME = PACKAGES / "theme-govgr" / "dist" / "index.css"
OUTPUT = ROOT / "theme" / "static" / "css" / "govgr.css"
# Where the govgr-* classes are named: the site's templates and scripts, and the API's pages
# (their frame and the submission forms they share with the site).
SOURCES = (
    "theme/templates",
    "theme/static/js",
    "lambdas/chalicelib/templates/pages",
    "lambdas/chalicelib/templates/shared",
)
CLASS = re.compile(r"govgr-[a-z0-9_-]*[a-z0-9]")
# Element resets that suit a page built only of classed components, not Markdown prose.
DROP_BASE = frozenset(
    {
        "blockquote,dd,dl,figure,h1,h2,h3,h4,h5,h6,hr,p,pre",  # margin:0
        "ol,ul",  # list-style:none
        "h1,h2,h3,h4,h5,h6",  # font-size and weight inherited
        "a",  # colour and underline inherited
    }
)
VAR = re.compile(r"var\(\s*(--[\w-]+)")
# The project's own stylesheets may use the theme's custom properties too: they are kept.
OWN_CSS = ROOT / "theme" / "static" / "css"
GROUPS = frozenset({"media", "supports", "container"})
KEYFRAMES = re.compile(r"@(?:-webkit-)?keyframes\s")
COMPOSED = re.compile(r"govgr-[a-z0-9_-]*\{\{")  # a class name made in a template: unseen


def used_classes(root: Path = ROOT, sources: Iterable[str] = SOURCES) -> set[str]:
    """Every govgr-* class named in the templates and scripts under ``sources``."""
    found: set[str] = set()
    for folder in sources:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".html", ".js", ".txt") and path.is_file():
                text = path.read_text(encoding="utf-8")
                found |= set(CLASS.findall(text))
                if COMPOSED.search(text):
                    logger.warning("%s composes a govgr class name: name it whole", path)
    return found


def defined_classes(css: str) -> set[str]:
    """The govgr-* classes that ``css`` styles."""
    return set(re.findall(r"\.(govgr-[a-zA-Z0-9_-]+)", css))


def _selectors(prelude: list[Any]) -> list[list[Any]]:
    """A selector list cut at its top-level commas."""
    out: list[list[Any]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            out.append([])
        else:
            out[-1].append(token)
    return out


def _classes(tokens: list[Any]) -> tuple[set[str], bool]:
    """The classes (and ids) a selector requires, not those inside :not(); whether it names any."""
    required: set[str] = set()
    named = False
    previous = None
    for token in tokens:
        if token.type == "ident" and previous is not None and previous.type == "literal":
            if previous.value == ".":
                required.add(token.value)
                named = True
        elif token.type == "hash":  # an id: the design system's own markup, never ours
            required.add("#" + token.value)
            named = True
        elif token.type == "function":
            inner, inner_named = _classes(token.arguments)
            named = named or inner_named
            if token.lower_name != "not":
                required |= inner
        previous = token
    return required, named


def _text(tokens: list[Any]) -> str:
    return str(tinycss2.serialize(tokens)).strip()


def _declarations(content: list[Any]) -> list[Any]:
    items = tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True)
    return [d for d in items if d.type == "declaration"]


def _declaration(d: Any) -> str:
    return f"{d.name}:{_text(d.value)}{'!important' if d.important else ''}"


def _font(d: Any) -> bool:
    """A font-family that names fonts (the site uses the system stack); inherit stays."""
    return bool(d.lower_name == "font-family" and _text(d.value) != "inherit")


class Selection:
    """One pass over digigov.css: the kept rules, the custom properties they may use."""

    def __init__(self, used: set[str]) -> None:
        self.used = used
        self.pool: dict[str, str] = {}  # custom property -> value (defaults, then the theme)

    def rules(self, nodes: Iterable[Any], depth: int = 0) -> Iterator[str]:
        for node in nodes:
            if node.type == "qualified-rule":
                if (kept := self._rule(node)) is not None:
                    yield kept
            elif node.type == "at-rule" and node.lower_at_keyword in GROUPS and node.content:
                inner = tinycss2.parse_rule_list(node.content, True, True)
                body = list(self.rules(inner, depth + 1))
                if body:
                    head = f"@{node.at_keyword} {_text(node.prelude)}"
                    yield head + "{\n" + "\n".join(body) + "\n}"
            elif node.type == "at-rule" and KEYFRAMES.match(f"@{node.lower_at_keyword} "):
                yield f"@{node.at_keyword} {_text(node.prelude)}{{{_text(node.content or [])}}}"
            elif node.type == "at-rule":
                logger.warning("@%s dropped: not a kind this script knows", node.at_keyword)
            elif node.type == "comment" and depth == 0 and node.value.startswith("!"):
                yield f"/*{node.value}*/"

    def _rule(self, rule: Any) -> str | None:
        selectors = _selectors(rule.prelude)
        texts = [_text(s) for s in selectors]
        declarations = _declarations(rule.content)
        if ":root" in texts and all(d.name.startswith("--") for d in declarations):
            self.pool.update((d.name, _text(d.value)) for d in declarations)
            return None
        kept = []
        base = True
        for tokens, text in zip(selectors, texts, strict=True):
            required, named = _classes(tokens)
            base = base and not named
            if named and required and required <= self.used:
                kept.append(text)
        if base:
            if _text(rule.prelude) in DROP_BASE:
                return None
            body = [_declaration(d) for d in declarations if not _font(d)]
            return f"{_text(rule.prelude)}{{{';'.join(body)}}}" if body else None
        if not kept:
            return None
        return f"{','.join(kept)}{{{_text(rule.content)}}}"


def _theme_variables(css: str) -> dict[str, str]:
    """The govgr theme's light scheme (its ``:root`` rules; not .dark or .darker)."""
    values: dict[str, str] = {}
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule" and _text(rule.prelude) == ":root":
            values.update((d.name, _text(d.value)) for d in _declarations(rule.content))
    return values


def _keyframes(lines: list[str]) -> list[str]:
    """Keyframes survive only when a kept rule animates with them."""
    text = "\n".join(line for line in lines if not KEYFRAMES.match(line))
    out = []
    for line in lines:
        match = KEYFRAMES.match(line)
        name = line.split()[1] if match else ""
        if not match or re.search(rf"animation[\w-]*:[^;}}]*\b{re.escape(name)}\b", text):
            out.append(line)
    return out


def _root_rule(pool: dict[str, str], text: str) -> str:
    """``:root`` with the custom properties ``text`` uses, and those their values use."""
    wanted: set[str] = set()
    todo = set(VAR.findall(text))
    while todo:
        name = todo.pop()
        if name in wanted or name not in pool:
            continue
        wanted.add(name)
        todo |= set(VAR.findall(pool[name]))
    body = ";".join(f"{name}:{value}" for name, value in pool.items() if name in wanted)
    return f":root{{{body}}}" if body else ""


def _version(package: str) -> str:
    data = json.loads((PACKAGES / package / "package.json").read_text(encoding="utf-8"))
    return f"@digigov/{package} {data['version']} ({data.get('license', '?')})"


def generate(
    used: set[str], digigov: Path = DIGIGOV, theme: Path = THEME, own_css: Path = OWN_CSS
) -> str:
    """govgr.css for the classes ``used`` (and the custom properties ``own_css`` uses)."""
    selection = Selection(used)
    sheet = tinycss2.parse_stylesheet(digigov.read_text(encoding="utf-8"), False, True)
    lines = list(selection.rules(sheet))
    selection.pool.update(_theme_variables(theme.read_text(encoding="utf-8")))
    banners = [line for line in lines if line.startswith("/*")]
    rules = _keyframes([line for line in lines if not line.startswith("/*")])
    note = (
        f"/* The gov.gr design system: {_version('css')} with {_version('theme-govgr')}, "
        "by GRNET. Only the rules of the govgr-* classes that the templates use, the element "
        "rules we keep and the custom properties they need: written by scripts/theme_css.py "
        "(`make theme-css`, see docs/theme.md). Do not edit by hand. */"
    )
    own = [
        p.read_text(encoding="utf-8")
        for p in sorted(own_css.glob("*.css"))
        if p.name != OUTPUT.name
    ]
    root = _root_rule(selection.pool, "\n".join(rules + own))
    return "\n".join([*banners, note, root, *rules]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write govgr.css")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file would change")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not DIGIGOV.is_file():
        logger.error("%s is missing: run `make install` (npm install)", DIGIGOV)
        return 2
    used = used_classes()
    unknown = sorted(used - defined_classes(DIGIGOV.read_text(encoding="utf-8")))
    if unknown:
        logger.warning("classes the design system does not style: %s", ", ".join(unknown))
    css = generate(used)
    old = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
    if args.check:
        if css != old:
            logger.error("%s is out of date: run `make theme-css`", args.output)
            return 1
        return 0
    args.output.write_text(css, encoding="utf-8")
    logger.info("%s: %d classes, %d bytes", args.output, len(used), len(css.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
