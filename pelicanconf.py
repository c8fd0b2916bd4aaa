"""Pelican settings of the consultation site (development defaults; publishconf overrides)."""

import os
from pathlib import Path

# chalicelib (the shared contracts) and plugins are installed packages (`make install`; in
# Lambda they sit at the root of the zip): no sys.path edits, whatever the working directory.
import chalicelib
from chalicelib.spec import limits

ROOT = Path(__file__).resolve().parent

AUTHOR = "Δήμος Νέας Σμύρνης"
SITENAME = "Διαβούλευση — Δήμος Νέας Σμύρνης"
MUNICIPALITY = "Δήμος Νέας Σμύρνης"
# The municipality's identity (plugins/identity checks it): a site for another municipality
# changes these and its content/. The emblem is a neutral placeholder, not a crest: put the
# municipality's own SVG in theme/static/img/ and name it here (site-relative); favicon.ico and
# apple-touch-icon.png beside it are its small pictures (scripts/theme_icons.py drew these).
MUNICIPALITY_GENITIVE = "Δήμου Νέας Σμύρνης"  # «του Δήμου …», in descriptions and sentences
MUNICIPALITY_URL = "https://www.neasmyrni.gr/"  # the municipality's own site, in the footer
MUNICIPALITY_EMBLEM = "theme/img/emblem.svg"
MUNICIPALITY_EMAIL = "diavoulefsi@neasmyrni.gr"  # help and contact: every page's footer
SITEURL = ""
TIMEZONE = "Europe/Athens"
DEFAULT_LANG = "el"
LOCALE = ("el_GR.UTF-8", "C.UTF-8", "")

PATH = "content"
PAGE_PATHS = ["pages"]
ARTICLE_PATHS = []  # consultations and texts are read by plugins/consultations
STATIC_PATHS = []
THEME = "theme"
# The submission forms' macros, shared with the API's own form pages (chalicelib.form_pages).
THEME_TEMPLATES_OVERRIDES = [str(Path(chalicelib.__file__).parent / "templates" / "shared")]
PLUGIN_PATHS = []
PLUGINS = [
    f"plugins.{name}"
    for name in (
        "greek",
        "consultations",
        "submissions",
        "results",
        "exports",
        "sitemap_el",
        "identity",
    )
]

LIMITS = limits()  # the forms' labels, lengths and choices

# Where the forms post. The publish step and `make dev` set it; a production build gets it
# from the stage (publishconf / DIAVOULEFSI_API_URL).
API_URL = os.environ.get("DIAVOULEFSI_API_URL", "http://127.0.0.1:8010")

# The local publish (scripts/publish.py, `make dev`) works in LOCAL_PUBLISH_DIR and exports the
# approved submissions there, one snapshot file per consultation in snapshot/; `make html` builds
# from that same folder (a single snapshot file works too). Missing = no submissions yet.
# DIAVOULEFSI_LOCAL_DIR moves .local (as for the scripts).
LOCAL_PUBLISH_DIR = str(
    Path(os.environ.get("DIAVOULEFSI_LOCAL_DIR") or ROOT / ".local") / "publish"
)
SNAPSHOT_PATH = os.environ.get("DIAVOULEFSI_SNAPSHOT") or str(Path(LOCAL_PUBLISH_DIR) / "snapshot")

# "now" for the consultation states (upcoming / open / closed); tests pin it.
CONSULTATION_NOW = os.environ.get("DIAVOULEFSI_NOW") or None

# The site's URLs (Latin, ELOT 743), spelled here and nowhere else: Pelican's convention, *_URL
# the site-relative link and *_SAVE_AS the file, formatted with the fields in braces. The plugins
# put them on the model (consultation.url, .proposals_url, .feed_url, text.url, proposal.url),
# the templates read those, and the API gets a proposal's pattern from the manifest
# (consultations.json "proposal_url"). tests/test_url_patterns.py keeps it that way.
CONSULTATION_URL = "diavoulefseis/{slug}/"
CONSULTATION_SAVE_AS = CONSULTATION_URL + "index.html"
TEXT_URL = "diavoulefseis/{consultation}/{slug}/"
TEXT_SAVE_AS = TEXT_URL + "index.html"
PROPOSALS_URL = "diavoulefseis/{consultation}/protaseis/"  # the list and the form
PROPOSALS_SAVE_AS = PROPOSALS_URL + "index.html"
PROPOSAL_URL = "diavoulefseis/{consultation}/protaseis/{id}/"
PROPOSAL_SAVE_AS = PROPOSAL_URL + "index.html"
# The proposals list in pages of PROPOSALS_PER_PAGE, in the order they were approved (oldest
# first; plugins/consultations/comment_pages.py says what moves when): page 1, with the form, at
# PROPOSALS_URL, then 2, 3 … beside the proposals' own pages: a part never takes a proposal's
# address, since an id has at least 8 characters (spec/snapshot.schema.json) and a part fewer.
PROPOSALS_PART_URL = PROPOSALS_URL + "{part}/"  # part 2, 3 …
PROPOSALS_PART_SAVE_AS = PROPOSALS_PART_URL + "index.html"
PROPOSALS_PER_PAGE = 100
CONSULTATION_FEED_URL = CONSULTATION_FEED_SAVE_AS = "diavoulefseis/{slug}/feed.atom"
# A text's comments on pages of their own (plugins/consultations/comment_pages.py): one series per
# paragraph ({target}: the paragraph's id) and one for the whole text ({target}: COMMENTS_WHOLE,
# an id no paragraph may take); page 1 has no part, then 2, 3 … A proposal's first page of
# comments is the proposal's own page, its next ones PROPOSAL_COMMENTS_URL.
COMMENTS_URL = TEXT_URL + "sxolia/{target}/"
COMMENTS_SAVE_AS = COMMENTS_URL + "index.html"
COMMENTS_PART_URL = COMMENTS_URL + "{part}/"  # part 2, 3 …
COMMENTS_PART_SAVE_AS = COMMENTS_PART_URL + "index.html"
COMMENTS_WHOLE = "olo"
PROPOSAL_COMMENTS_URL = PROPOSAL_URL + "sxolia/{part}/"  # part 2, 3 …
PROPOSAL_COMMENTS_SAVE_AS = PROPOSAL_COMMENTS_URL + "index.html"
# A group of near-identical submissions (a campaign's copies; ομάδα) is shown once: a group of
# comments as one block on its comment page, with the first part of its members, the next
# parts ({part}: 2, 3 …) on pages of their own; a group of proposals as one card in the list,
# its members on its own pages (page 1 without a part). {group}: the group's id.
COMMENTS_GROUP_URL = COMMENTS_URL + "omada/{group}/{part}/"
COMMENTS_GROUP_SAVE_AS = COMMENTS_GROUP_URL + "index.html"
PROPOSAL_COMMENTS_GROUP_URL = PROPOSAL_URL + "sxolia/omada/{group}/{part}/"
PROPOSAL_COMMENTS_GROUP_SAVE_AS = PROPOSAL_COMMENTS_GROUP_URL + "index.html"
PROPOSALS_GROUP_URL = PROPOSALS_URL + "omada/{group}/"
PROPOSALS_GROUP_SAVE_AS = PROPOSALS_GROUP_URL + "index.html"
PROPOSALS_GROUP_PART_URL = PROPOSALS_GROUP_URL + "{part}/"
PROPOSALS_GROUP_PART_SAVE_AS = PROPOSALS_GROUP_PART_URL + "index.html"
# Where an e-mail's link to a comment lands: a consultation's comments by the last character of
# their id ({bucket}), each linking to its comment page. The API builds that link from the
# manifest (consultations.json "comment_url") and the comment alone, whichever page it is on.
COMMENT_FIND_URL = "diavoulefseis/{consultation}/sxolia/{bucket}/"
COMMENT_FIND_SAVE_AS = COMMENT_FIND_URL + "index.html"
# The results of a consultation (plugins/results): the report, participation, the answers and
# what changed; one page per text (and one for the proposals) when it would be too heavy whole.
RESULTS_URL = "diavoulefseis/{consultation}/apotelesmata/"
RESULTS_SAVE_AS = RESULTS_URL + "index.html"
RESULTS_TEXT_URL = "diavoulefseis/{consultation}/apotelesmata/{slug}/"
RESULTS_TEXT_SAVE_AS = RESULTS_TEXT_URL + "index.html"
RESULTS_PART_URL = "diavoulefseis/{consultation}/apotelesmata/{slug}/{part}/"  # part 2, 3 …
RESULTS_PART_SAVE_AS = RESULTS_PART_URL + "index.html"
RESULTS_CHART_URL = RESULTS_CHART_SAVE_AS = "diavoulefseis/{consultation}/apotelesmata/{name}.svg"
OPENDATA_URL = "anoikta-dedomena/"
OPENDATA_SAVE_AS = OPENDATA_URL + "index.html"
OPENDATA_FILE_URL = OPENDATA_FILE_SAVE_AS = "anoikta-dedomena/{slug}.{ext}"  # json, csv, xlsx
OPENDATA_ALL_URL = OPENDATA_ALL_SAVE_AS = "anoikta-dedomena/ola.{ext}"  # the whole site
# New rows reach the open-data files once an Athens day; anything taken back, at once. The whole
# site's files are made at most once a day (copying them costs in proportion to the whole site),
# and in a publish that only adds (ADDITIONS_ONLY) so are a consultation's (encoding them costs
# in proportion to the consultation, not to the change). docs/contracts.md, "Open data".
OPENDATA_DAILY = True
# Set by the publish step (chalicelib.sitebuild) when nothing published was taken back and
# neither the texts nor the calendar moved: what only gained items may wait for the day.
ADDITIONS_ONLY = False
DATAPACKAGE_URL = DATAPACKAGE_SAVE_AS = "anoikta-dedomena/datapackage.json"
# A results page holds at most about this many bytes of HTML before it is split (one page per
# text, then parts): gzipped, that keeps every results page well under 100 KiB.
RESULTS_PAGE_BYTES = 320_000
SEARCH_URL = "anazitisi/"
SEARCH_SAVE_AS = SEARCH_URL + "index.html"
# Every text and proposal, grouped by consultation: the way in without JavaScript (the search
# page's <noscript> and every page's footer link to it).
CATALOGUE_URL = "evretirio/"
CATALOGUE_SAVE_AS = CATALOGUE_URL + "index.html"
CATALOGUE_PROPOSALS = 100  # up to this many per consultation listed there; more: their list page
MODERATION_URL = "moderation/"  # staff page, noindex, not in the sitemap
MODERATION_SAVE_AS = MODERATION_URL + "index.html"
# A comment's anchor on its page ({id}: the comment's id): the templates put it on the comment,
# and the manifest gives it to the API, whose e-mails link to the comment with it.
COMMENT_ANCHOR = "sxolio-{id}"
# Comment pages: threads in the order of their first comment, never split. A page takes a new
# thread while fewer than COMMENTS_PER_PAGE of its comments (replies and withdrawn placeholders
# included) were written before that thread began: later replies do not push threads onward, so
# a comment keeps its address. Replies or answers that would take a page past twice that count
# or past COMMENTS_PAGE_CHARS characters move its next threads on (the weight bound: ≤ 100 KiB
# gzip). A text with at most COMMENTS_INLINE comments also shows them on its own page.
COMMENTS_PER_PAGE = 50
COMMENTS_PAGE_CHARS = 60_000
COMMENTS_INLINE = 50

PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
ARTICLE_URL = ARTICLE_SAVE_AS = ""
INDEX_SAVE_AS = "index.html"
DIRECT_TEMPLATES = ["search", "catalogue", "404"]  # the home page: plugins/consultations
TEMPLATE_PAGES = {"moderation.html": MODERATION_SAVE_AS}
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
# The consultations as read from their Markdown, per folder (plugins/consultations/reader.py):
# chalicelib.sitebuild puts it beside the output; empty, every build reads every file.
CONSULTATIONS_CACHE_PATH = ""
DELETE_OUTPUT_DIRECTORY = False
