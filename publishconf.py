"""Pelican settings for a published build: pelicanconf plus the stage's public URLs, absolute.

The publish step passes its site and API URLs to chalicelib.sitebuild, which overrides these;
DIAVOULEFSI_SITE_URL / DIAVOULEFSI_API_URL serve a hand-run `pelican -s publishconf.py`.
"""

import os
import sys

# pelicanconf sits next to this file, whatever the working directory (in Lambda: /var/task).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("DIAVOULEFSI_SITE_URL", "").rstrip("/")
API_URL = os.environ.get("DIAVOULEFSI_API_URL", API_URL)  # noqa: F405
RELATIVE_URLS = False
