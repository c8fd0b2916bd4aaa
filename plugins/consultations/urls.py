"""The site's addresses, from the ``<PAGE>_URL`` / ``<PAGE>_SAVE_AS`` settings.

pelicanconf.py spells every URL pattern once (Pelican's ARTICLE_URL / ARTICLE_SAVE_AS
convention); the plugins format them here, so that no other file spells a path segment.
"""

import re
from typing import Any

# Pages with a *_URL and a *_SAVE_AS setting, and the fields their patterns are formatted with.
PAGES = {
    "CONSULTATION": ("slug",),
    "TEXT": ("consultation", "slug"),
    "PROPOSALS": ("consultation",),
    "PROPOSAL": ("consultation", "id"),
    "CONSULTATION_FEED": ("slug",),
    "COMMENTS": ("consultation", "slug", "target"),
    "COMMENTS_PART": ("consultation", "slug", "target", "part"),
    "PROPOSAL_COMMENTS": ("consultation", "id", "part"),
    "COMMENTS_GROUP": ("consultation", "slug", "target", "group", "part"),
    "PROPOSAL_COMMENTS_GROUP": ("consultation", "id", "group", "part"),
    "PROPOSALS_GROUP": ("consultation", "group"),
    "PROPOSALS_GROUP_PART": ("consultation", "group", "part"),
    "COMMENT_FIND": ("consultation", "bucket"),
    "RESULTS": ("consultation",),
    "RESULTS_TEXT": ("consultation", "slug"),
    "RESULTS_PART": ("consultation", "slug", "part"),
    "RESULTS_CHART": ("consultation", "name"),
    "OPENDATA": (),
    "OPENDATA_FILE": ("slug", "ext"),
    "OPENDATA_ALL": ("ext",),
    "DATAPACKAGE": (),
    "SEARCH": (),
    "MODERATION": (),
}


class MissingSetting(KeyError):
    """A URL setting is missing: the plugins keep no default of their own, by design."""


def _pattern(settings: dict[str, Any], name: str) -> str:
    value = settings.get(name)
    if not isinstance(value, str) or not value:
        raise MissingSetting(f"Λείπει η ρύθμιση {name} (pelicanconf.py)")
    return value


def url(settings: dict[str, Any], page: str, **fields: str) -> str:
    """The site-relative link of ``page``, without a leading / (SITEURL goes before it)."""
    return _pattern(settings, f"{page}_URL").format(**fields)


def save_as(settings: dict[str, Any], page: str, **fields: str) -> str:
    """The output file of ``page``, relative to the output folder."""
    return _pattern(settings, f"{page}_SAVE_AS").format(**fields)


def proposal_pattern(settings: dict[str, Any], consultation: str) -> str:
    """A proposal's link in ``consultation`` with ``{id}`` left to fill (site and manifest)."""
    return url(settings, "PROPOSAL", consultation=consultation, id="{id}")


def reserved_slugs(settings: dict[str, Any]) -> set[str]:
    """Text slugs that would take the place of a consultation's own pages (the proposals)."""
    probe = "\x00"
    base = url(settings, "CONSULTATION", slug=probe)
    found = set()
    for page, fields in PAGES.items():
        if page in ("CONSULTATION", "TEXT") or "consultation" not in fields:
            continue
        own = url(settings, page, **dict.fromkeys(fields, probe))
        if own.startswith(base) and own != base:
            segment = own[len(base) :].split("/")[0]
            if probe not in segment:  # a text's own pages (its comments) start with its slug
                found.add(segment)
    return found


def matcher(settings: dict[str, Any], page: str) -> re.Pattern[str]:
    """Matches the links of ``page`` whatever its fields (the sitemap leaves some pages out)."""
    parts = re.split(r"(\{[^{}]*\})", _pattern(settings, f"{page}_URL"))
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p) + "$"
    )


def url_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Every URL setting: a change re-renders every page (their links change with it)."""
    return {
        key: value
        for key, value in settings.items()
        if key.endswith(("_URL", "_SAVE_AS")) and isinstance(value, str)
    }
