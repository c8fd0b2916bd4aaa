"""Shared helpers of the browser tests: Debian's Chromium driven by Playwright (its own browser
download does not work here), a guard that fails a test on any request leaving this machine,
the demo site (content/ + the demo snapshot) built and served over HTTP, axe-core and the Nu
HTML Checker.

Fixtures stay in the test modules (module-scoped, so each module builds its site once); this
module only gives them the context managers and checks they share.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
# The demo content's open consultation (Environment) is open on this day; the upcoming and the
# closed ones are upcoming and closed.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/Athens"))
DEMO_SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshot.json"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # WCAG 2.2 AA (EN 301 549)
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@contextmanager
def chromium() -> Iterator[Any]:
    """One headless Chromium for a whole module (launching is the slow part)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class LocalOnly:
    """Route handler for a browser context: lets requests to this machine through, aborts and
    records any other (no third-party requests, ever). ``check()`` fails the test if one was
    seen; the route makes sure nothing left the machine meanwhile."""

    def __init__(self) -> None:
        self.foreign: list[str] = []

    def attach(self, context: Any) -> Any:
        context.route("**/*", self._route)
        return context

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.foreign.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def check(self) -> None:
        foreign, self.foreign = self.foreign, []
        assert foreign == [], f"requests to third parties: {foreign}"


@contextmanager
def local_context(browser: Any, **options: Any) -> Iterator[Any]:
    """A browser context guarded by LocalOnly; fails on leaving if anything left the machine."""
    guard = LocalOnly()
    context = guard.attach(browser.new_context(locale="el-GR", **options))
    try:
        yield context
    finally:
        context.close()
    guard.check()


def build_demo(output: Path, api_url: str, now: datetime = NOW) -> Path:
    """The demo site (content/ with the demo snapshot) as `make html` builds it."""
    from chalicelib.sitebuild import build_site

    build_site(ROOT, output, snapshot=DEMO_SNAPSHOT, api_url=api_url, now=now)
    return output


@dataclass
class Served:
    url: str
    directory: Path


@contextmanager
def serve(directory: Path) -> Iterator[Served]:
    """``directory`` over HTTP on a free port, as `make dev` serves it (the site's 404 page)."""
    from scripts.dev import serve_site

    server = serve_site(directory, 0)
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", directory)
    finally:
        server.shutdown()
        server.server_close()


def html_pages(directory: Path) -> list[str]:
    """Site-relative URLs of every built HTML page (``index.html`` as its folder)."""
    urls = []
    for path in sorted(directory.rglob("*.html")):
        rel = path.relative_to(directory).as_posix()
        urls.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return urls


def preload_axe(context: Any) -> Any:
    """Load axe-core into every page of ``context`` as it is created: much faster than
    injecting it after each load when a test checks many pages."""
    context.add_init_script(path=str(AXE_JS))
    return context


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations of the page as it is now (id, impact, targets)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: tags})", AXE_TAGS)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "targets": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
    ]


def nu_check(paths: Iterable[Path]) -> dict[str, list[str]]:
    """Run the Nu HTML Checker once over ``paths`` (files or folders); returns its errors and
    warnings grouped by file (info messages without a warning subtype are not problems)."""
    done = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--skip-non-html", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(done.stderr or done.stdout)["messages"]
    except (ValueError, KeyError) as exc:
        raise AssertionError(
            f"vnu gave no JSON ({done.returncode}): {done.stderr[-2000:]}"
        ) from exc
    problems: dict[str, list[str]] = defaultdict(list)
    for m in messages:
        if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning":
            where = urlsplit(m.get("url", "")).path or "?"
            kind = m.get("subType") or m.get("type")
            problems[where].append(f"{kind} line {m.get('lastLine')}: {m.get('message')}")
    return dict(problems)


def format_problems(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{f}\n  " + "\n  ".join(msgs) for f, msgs in sorted(problems.items()))


def assert_nu_clean(folder: Path, broken: str) -> None:
    """The Nu HTML Checker finds nothing in ``folder`` but the ``broken`` page this writes there
    first (proof that it looked at the folder at all)."""
    canary = folder / "canary.html"
    canary.write_text(broken, encoding="utf-8")
    problems = nu_check([folder])
    assert str(canary) in problems, problems  # the checker did look
    problems.pop(str(canary))
    assert not problems, "Nu HTML Checker:\n" + format_problems(problems)
