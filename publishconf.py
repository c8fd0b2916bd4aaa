"""Pelican settings for a published build: pelicanconf plus the stage's public URLs.

The publish step (lambdas/chalicelib/publish.py) sets DIAVOULEFSI_SITE_URL and
DIAVOULEFSI_API_URL from the stage's configuration before building.
"""

import os
import sys

# pelicanconf sits next to this file, whatever the working directory (in Lambda: /var/task).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("DIAVOULEFSI_SITE_URL", "").rstrip("/")
API_URL = os.environ.get("DIAVOULEFSI_API_URL", API_URL)  # noqa: F405
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
