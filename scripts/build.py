"""Build the site into output/ (what `make html` runs): Pelican + Pagefind via build_site."""

import argparse
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.sitebuild import SiteBuildError, build_site, describe

ROOT = Path(__file__).resolve().parent.parent


def site_settings() -> dict[str, Any]:
    """pelicanconf.py as Pelican reads it (environment applied): the local paths are defined
    there, once, for `make html`, a local publish and `make dev` alike."""
    from pelican.settings import get_settings_from_file

    return get_settings_from_file(str(ROOT / "pelicanconf.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "output")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    # pelicanconf's SNAPSHOT_PATH: DIAVOULEFSI_SNAPSHOT, else the last local publish's export.
    parser.add_argument("--snapshot", type=Path, default=site_settings()["SNAPSHOT_PATH"])
    parser.add_argument(
        "--api-url", default=os.environ.get("DIAVOULEFSI_API_URL", "http://127.0.0.1:8010")
    )
    parser.add_argument("--site-url", default=os.environ.get("DIAVOULEFSI_SITE_URL", ""))
    now = os.environ.get("DIAVOULEFSI_NOW")
    parser.add_argument(
        "--now", type=datetime.fromisoformat, default=now and datetime.fromisoformat(now)
    )
    parser.add_argument("--publish", action="store_true", help="absolute URLs (publishconf.py)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pelican").setLevel(logging.WARNING)  # not one line per written file
    try:
        result = build_site(
            ROOT,
            args.output,
            snapshot=args.snapshot,
            api_url=args.api_url,
            site_url=args.site_url,
            now=args.now,
            publish=args.publish,
            content=args.content,
        )
    except SiteBuildError as exc:
        print(f"Η κατασκευή του ιστότοπου απέτυχε: {describe(exc.details)}", file=sys.stderr)
        return 1
    print(f"{result.output}: {result.stats} σε {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
