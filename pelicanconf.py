"""Pelican settings of the consultation site (development defaults; publishconf overrides)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "lambdas"))  # chalicelib.spec: the shared contracts
sys.path.insert(0, str(ROOT))  # the plugins import each other as plugins.<name>

from chalicelib.spec import limits  # noqa: E402

AUTHOR = "Δήμος Νέας Σμύρνης"
SITENAME = "Διαβούλευση — Δήμος Νέας Σμύρνης"
MUNICIPALITY = "Δήμος Νέας Σμύρνης"
SITEURL = ""
TIMEZONE = "Europe/Athens"
DEFAULT_LANG = "el"
LOCALE = ("el_GR.UTF-8", "C.UTF-8", "")

PATH = "content"
PAGE_PATHS = ["pages"]
ARTICLE_PATHS = []  # consultations and texts are read by plugins/consultations
STATIC_PATHS = []
THEME = "theme"
PLUGIN_PATHS = []
PLUGINS = [
    f"plugins.{name}" for name in ("greek", "consultations", "submissions", "exports", "sitemap_el")
]

LIMITS = limits()  # the forms' labels, lengths and choices

# Where the forms post. The publish step and `make dev` set it; a production build gets it
# from the stage (publishconf / DIAVOULEFSI_API_URL).
API_URL = os.environ.get("DIAVOULEFSI_API_URL", "http://127.0.0.1:8010")

# The approved submissions, exported by the publish step. A missing file = no submissions yet.
SNAPSHOT_PATH = os.environ.get("DIAVOULEFSI_SNAPSHOT", str(ROOT / ".local" / "snapshot.json"))

# "now" for the consultation states (upcoming / open / closed); tests pin it.
CONSULTATION_NOW = os.environ.get("DIAVOULEFSI_NOW") or None

PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
ARTICLE_URL = ARTICLE_SAVE_AS = ""
INDEX_SAVE_AS = "index.html"
DIRECT_TEMPLATES = ["search", "404"]  # the home page is written by plugins/consultations
TEMPLATE_PAGES = {"moderation.html": "moderation/index.html"}  # staff page, noindex
SEARCH_SAVE_AS = "anazitisi/index.html"
SEARCH_URL = "anazitisi/"
AUTHOR_SAVE_AS = CATEGORY_SAVE_AS = TAG_SAVE_AS = ""
AUTHORS_SAVE_AS = CATEGORIES_SAVE_AS = TAGS_SAVE_AS = ARCHIVES_SAVE_AS = ""
FEED_ALL_ATOM = FEED_ALL_RSS = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
SLUGIFY_SOURCE = "title"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.attr_list": {},
        "markdown.extensions.sane_lists": {},
    },
    "output_format": "html5",
}

# Comments are citizens' text: everything is escaped unless a template says |safe.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}

# Render fingerprints (plugins/consultations): unchanged pages are not re-rendered. The publish
# step and the benchmark read the counts from BUILD_STATS_PATH when it is set.
RENDER_STATE_PATH = None  # default: <output>/.render-state.json
BUILD_STATS_PATH = None

RELATIVE_URLS = True
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False
