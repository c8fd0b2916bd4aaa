"""The municipality's identity on the site: its settings are complete, its emblem is in the
theme, and /favicon.ico sits at the site's root, where browsers ask for it whatever the page
(the theme's own files are copied under /theme/)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pelican import Pelican, signals

from chalicelib import site_files

logger = logging.getLogger(__name__)

SETTINGS = ("MUNICIPALITY", "MUNICIPALITY_GENITIVE", "MUNICIPALITY_URL", "MUNICIPALITY_EMBLEM")
FAVICON = "favicon.ico"  # in the theme's static/img/, beside the emblem; at the root of the site


class IdentityError(ValueError):
    """A setting of the municipality's identity is missing, or its emblem is not in the theme;
    ``field`` names the setting (the build error shown to staff says it)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _static(settings: dict[str, Any], site_path: str) -> Path:
    """The theme's source file for a site-relative path under theme/ (theme/img/x.svg)."""
    prefix = settings.get("THEME_STATIC_DIR", "theme").strip("/") + "/"
    if not site_path.startswith(prefix):
        raise IdentityError(
            f"{site_path}: το έμβλημα πρέπει να βρίσκεται κάτω από {prefix}", "MUNICIPALITY_EMBLEM"
        )
    return Path(settings["THEME"]) / "static" / site_path[len(prefix) :]


def check(settings: dict[str, Any]) -> Path:
    """Fail the build on a missing identity setting or emblem; the emblem's source file."""
    missing = [name for name in SETTINGS if not settings.get(name)]
    if missing:
        raise IdentityError(
            f"Λείπουν ρυθμίσεις της ταυτότητας του Δήμου: {', '.join(missing)}", missing[0]
        )
    emblem = _static(settings, settings["MUNICIPALITY_EMBLEM"])
    for path in (emblem, emblem.with_name(FAVICON)):
        if not path.is_file():
            raise IdentityError(f"Λείπει το αρχείο {path}", "MUNICIPALITY_EMBLEM")
    return emblem


def _initialized(pelican: Pelican) -> None:
    check(pelican.settings)


def write_favicon(pelican: Pelican) -> None:
    """Copy the emblem's favicon.ico to the site's root (unchanged bytes: left alone)."""
    source = check(pelican.settings).with_name(FAVICON)
    target = Path(pelican.output_path) / FAVICON
    data = source.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        target.write_bytes(data)
        site_files.wrote(target)
        logger.info("Favicon: %s", target)


def register() -> None:
    signals.initialized.connect(_initialized)
    signals.finalized.connect(write_favicon)


__all__ = ["IdentityError", "check", "register"]
