"""The app's configuration: environment variables read once, failing fast when one is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MANIFEST_FILE = "consultations.json"  # written by the site build, read by the API and publish
BUNDLED_MANIFEST = Path(__file__).resolve().parent / "data" / MANIFEST_FILE


class ConfigError(RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Config:
    stage: str
    table_name: str
    site_url: str
    site_origins: tuple[str, ...]
    ip_hash_key: bytes
    manifest_path: Path
    dynamodb_endpoint: str | None
    api_url: str = ""  # the API's public base: links in e-mails and the API's own pages


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


@cache
def get() -> Config:
    """The configuration, read from the environment on first use."""
    site_url = _required("SITE_URL").rstrip("/")
    origins = os.environ.get("SITE_ORIGINS", "").strip() or _origin_of(site_url)
    return Config(
        stage=os.environ.get("STAGE", "dev"),
        table_name=_required("TABLE_NAME"),
        site_url=site_url,
        site_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
        ip_hash_key=_required("IP_HASH_KEY").encode(),
        manifest_path=Path(os.environ.get("MANIFEST_PATH") or BUNDLED_MANIFEST),
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        api_url=os.environ.get("API_URL", "").strip().rstrip("/"),
    )


def _origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if not rest:
        raise ConfigError(f"SITE_URL must be an absolute URL, got {url!r}")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def reset() -> None:
    """Forget the cached configuration (tests change the environment)."""
    get.cache_clear()
