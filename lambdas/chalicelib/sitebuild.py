"""Build the static site: Pelican with this project's plugins, then the Pagefind bundles.

The one entry point for `make html`, the publish step (in Lambda: no git, no network, writes only
under ``output``) and the tests. Pelican runs in-process, so a content error surfaces here as an
exception naming the file and the field.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.search_bundles import IndexResult

logger = logging.getLogger(__name__)

PROBLEM_MAX = 500  # characters of a build error kept for staff
MISSING_METADATA = "Skipping %s: could not find information about '%s'"  # pelican.contents


class SiteBuildError(Exception):
    """Pelican or Pagefind failed; the site in ``output`` must not be published. ``file`` and
    ``field`` name the content mistake when there is one, ``problem`` says it (for staff)."""

    def __init__(
        self, message: str, *, file: str | None = None, field: str | None = None, problem: str = ""
    ) -> None:
        super().__init__(message)
        self.file, self.field, self.problem = file, field, problem or message

    @property
    def details(self) -> dict[str, str | None]:
        """What staff are shown and the publish state keeps."""
        return {"file": self.file, "field": self.field, "problem": self.problem[:PROBLEM_MAX]}


def describe(error: Mapping[str, str | None]) -> str:
    """A build error as one line for people: file: field: problem (what is known of them)."""
    return ": ".join(str(error[k]) for k in ("file", "field", "problem") if error.get(k))


class _Errors(logging.Handler):
    """Pelican logs a page it cannot read and leaves it out of the site: a published site would
    silently lose it. Collect those errors (with the exception being handled, if any)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[tuple[logging.LogRecord, BaseException | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record, sys.exc_info()[1]))


def _logged_error(
    record: logging.LogRecord, cause: BaseException | None, content: str
) -> SiteBuildError:
    """The first error Pelican logged, as staff can act on it: the file, the field if known."""
    message = record.getMessage()
    args = record.args if isinstance(record.args, tuple) else ()
    file = str(args[0]) if args else None
    if file and os.path.isabs(file) and content:
        file = os.path.relpath(file, content)
    if record.msg == MISSING_METADATA and len(args) == 2:
        from plugins.consultations.models import MISSING

        return SiteBuildError(message, file=file, field=str(args[1]).capitalize(), problem=MISSING)
    problem = f"{type(cause).__name__}: {cause}" if cause else message
    return SiteBuildError(f"{message}: {problem}" if cause else message, file=file, problem=problem)


@dataclass
class BuildResult:
    output: Path
    seconds: float
    stats: dict[str, int] = field(default_factory=dict)  # rendered / skipped / deleted pages
    durations: dict[str, float] = field(default_factory=dict)  # pelican_s, pagefind_s
    search: IndexResult | None = None  # which search bundles this build re-indexed
    due: str | None = None  # when the site must be built again though nothing changes (ISO)
    files: dict[str, str] = field(default_factory=dict)  # every file -> sha256 (the manifest)


def _settings(project_root: Path, output: Path, overrides: dict, publish: bool) -> dict:
    from jinja2 import FileSystemBytecodeCache
    from pelican.settings import read_settings

    conf = project_root / ("publishconf.py" if publish else "pelicanconf.py")
    settings = read_settings(str(conf), override=overrides)
    # Every generator compiles the templates it uses again; their bytecode kept beside the
    # output (keyed by each template's source) saves a publish that part of its fixed cost.
    cache = output.parent / f".{output.name}-templates"
    cache.mkdir(parents=True, exist_ok=True)
    settings["JINJA_ENVIRONMENT"] = {
        **settings["JINJA_ENVIRONMENT"],
        "bytecode_cache": FileSystemBytecodeCache(str(cache)),
    }
    return settings


_frozen = 0  # collected_once scopes open (a publish's holds its build's)


@contextmanager
def collected_once() -> Iterator[None]:
    """What lived before is left out of the collector's scans while the block runs
    (``gc.freeze``): a publish allocates every comment of the changed consultations, their
    pages' data and the site's file lists, and each automatic full collection scanned the whole
    process besides (the modules, boto3's models, a warm Lambda's earlier work), a third of a
    publish after 20 approvals. At the end one collection frees the cycles left (Pelican's
    generators and context): by the work that made them, rather than seconds into a later run
    of the same process. Nested scopes share the outermost one's freeze."""
    global _frozen
    _frozen += 1
    if _frozen == 1:
        gc.freeze()
    try:
        yield
    finally:
        _frozen -= 1
        if _frozen == 0:
            gc.collect()
            gc.unfreeze()


def run_pelican(settings: dict) -> None:
    from pelican import Pelican

    errors = _Errors()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(errors)
    try:
        with collected_once():
            Pelican(settings).run()
    except Exception as exc:  # Pelican and its plugins raise anything; the caller needs one type
        raise SiteBuildError(
            f"{type(exc).__name__}: {exc}",
            file=getattr(exc, "source", None),
            field=getattr(exc, "field", None),
            problem=getattr(exc, "problem", ""),
        ) from exc
    finally:
        pelican_logger.removeHandler(errors)
    if errors.records:
        raise _logged_error(*errors.records[0], str(settings.get("PATH", "")))


def run_pagefind(
    output: Path, settings: dict[str, Any], *, compact: bool = True, listed: dict | None = None
) -> IndexResult:
    """Bring the search index up to date: one Pagefind bundle per consultation, re-indexed only
    when its pages changed, or with ``compact`` off, only its changed pages into the delta
    (chalicelib.search_bundles; docs/search.md). ``listed``: the pages (chalicelib.site_files)."""
    from chalicelib.search_bundles import BundleError, index_site

    try:
        return index_site(output, settings, compact=compact, listed=listed)
    except BundleError as exc:
        raise SiteBuildError(str(exc)) from exc


def build_site(
    project_root: Path,
    output: Path,
    *,
    snapshot: Path | None,
    snapshot_validated: bool = False,
    api_url: str,
    site_url: str = "",
    now: datetime | None = None,
    publish: bool = False,
    stats_path: Path | None = None,
    content: Path | None = None,
    settings: dict[str, Any] | None = None,
    compact: bool = True,
) -> BuildResult:
    """Build ``content`` (default ``project_root/content``) into ``output``.

    ``snapshot`` is the approved submissions (None or a missing file: none yet;
    ``snapshot_validated``: the caller has just validated it, the plugin need not); ``now`` pins the
    consultation states; with ``publish`` the URLs are absolute (publishconf). Pages whose render
    fingerprint did not change are not re-rendered; the counts are returned (and written to
    ``stats_path`` if given). ``settings`` overrides Pelican settings (tests, the benchmark).
    ``compact`` off (only when nothing published was taken back and neither the texts nor the
    calendar moved: the publish step knows): the changed pages may wait in the search index's
    delta, and the open data's new rows for the day (ADDITIONS_ONLY, plugins.exports).
    """
    from plugins import sitemap_el  # Pelican loads only when a build is due

    started = time.monotonic()
    project_root, output = Path(project_root).resolve(), Path(output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    stats_file = Path(stats_path) if stats_path else output.parent / f".{output.name}-stats.json"
    overrides = {
        "PATH": str(content or project_root / "content"),
        "OUTPUT_PATH": str(output),
        "THEME": str(project_root / "theme"),
        "API_URL": api_url.rstrip("/"),
        "SNAPSHOT_PATH": str(snapshot) if snapshot else "",
        "SNAPSHOT_VALIDATED": snapshot_validated,
        "CONSULTATION_NOW": now.isoformat() if now else None,
        "BUILD_STATS_PATH": str(stats_file),
        "DELETE_OUTPUT_DIRECTORY": False,  # unchanged pages stay; stale ones are removed
        "CACHE_PATH": str(output.parent / f".{output.name}-cache"),
        "CONSULTATIONS_CACHE_PATH": str(output.parent / f".{output.name}-consultations"),
        "ADDITIONS_ONLY": not compact,
        sitemap_el.FROM_LIST: True,  # written below, from the list of the build's files
    }
    if site_url:  # else pelicanconf (relative URLs) or publishconf (DIAVOULEFSI_SITE_URL)
        overrides.update({"SITEURL": site_url.rstrip("/"), "RELATIVE_URLS": False})
    overrides.update(settings or {})
    pelican_settings = _settings(project_root, output, overrides, publish)
    from chalicelib import site_files, tree  # beside the search step: Pagefind's names

    known = site_files.read(output)
    site_files.forget(output)
    with site_files.journal(output) as heard:
        run_pelican(pelican_settings)
    from plugins.exports import rebuild_due

    due = rebuild_due(output)
    indexing = time.monotonic()
    copied = [f"{pelican_settings['THEME_STATIC_DIR']}/"]  # Pelican copies the theme's files
    listed = site_files.pages_and_assets(output, known, None if compact else heard, copied)
    listed.update(tree.hashed(output, sitemap_el.write(output, pelican_settings, listed), {}))
    search = run_pagefind(output, pelican_settings, compact=compact, listed=listed)
    listed.update(site_files.search_index(output, known))
    site_files.write(output, listed)
    done = time.monotonic()
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    if not stats_path:
        stats_file.unlink()
    durations = {"pelican_s": indexing - started, "pagefind_s": done - indexing}
    files = site_files.manifest(listed)
    result = BuildResult(output, done - started, stats, durations, search, due, files)
    logger.info(
        "Site built in %.1f s (Pagefind %.1f s, %s of %s bundles): %s",
        result.seconds,
        durations["pagefind_s"],
        len(search.indexed),
        search.bundles,
        stats,
    )
    return result
