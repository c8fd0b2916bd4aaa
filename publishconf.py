"""Pelican settings for a published build: pelicanconf plus the stage's public URLs, absolute.

The publish step passes its site and API URLs to chalicelib.sitebuild, which overrides these;
DIAVOULEFSI_SITE_URL / DIAVOULEFSI_API_URL serve a hand-run `pelican -s publishconf.py`.
"""

import os
from pathlib import Path

from pelican.settings import get_settings_from_file

# pelicanconf's settings, read the way Pelican reads a settings file, from the file next to this
# one whatever the working directory (in Lambda: chalicelib/site/).
_base = get_settings_from_file(str(Path(__file__).resolve().with_name("pelicanconf.py")))
globals().update(_base)

SITEURL = os.environ.get("DIAVOULEFSI_SITE_URL", "").rstrip("/")
API_URL = os.environ.get("DIAVOULEFSI_API_URL", _base["API_URL"])
RELATIVE_URLS = False
