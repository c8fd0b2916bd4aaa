"""Where a publish goes: a local directory (``make dev``, ``make publish``) or S3 + CloudFront.

Every target keeps a manifest object, ``.publish-manifest.json`` (path -> sha256 of the
published bytes), written last by the publish step. Comparing against it tells what changed
without downloading the site; a target without one has never been published completely.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

MANIFEST_NAME = ".publish-manifest.json"
DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1000 keys
MAX_INVALIDATION_PATHS = 1000  # beyond this one wildcard is cheaper than listing paths
FETCH_WORKERS = 32  # a cold start mirrors thousands of small files: many GETs at once

OCTET = "application/octet-stream"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    # Pagefind's index files
    ".pf_meta": OCTET,
    ".pf_index": OCTET,
    ".pf_fragment": OCTET,
    ".pagefind": OCTET,
}
# Pages, data and the results' charts change with every publish: browsers recheck them soon
# (CloudFront is invalidated anyway). Pagefind's chunks are named by their hash and never change.
SHORT_CACHE = "public, max-age=60"
ASSET_CACHE = "public, max-age=3600"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
MANIFEST_CACHE = "no-store"
SHORT_CACHE_TYPES = frozenset({".html", ".json", ".xml", ".atom", ".csv", ".xlsx", ".svg", ".txt"})
HASHED_TYPES = frozenset({".pf_meta", ".pf_index", ".pf_fragment"})


class TargetError(RuntimeError):
    """The target refused an operation (e.g. S3 could not delete some objects)."""


def content_type(path: str) -> str:
    """The Content-Type of a site file, from its extension (unknown: octet-stream)."""
    return CONTENT_TYPES.get(posixpath.splitext(path)[1].lower(), OCTET)


def cache_control(path: str) -> str:
    """Short for pages and data, immutable for content-hashed chunks, an hour for the rest."""
    ext = posixpath.splitext(path)[1].lower()
    if ext in SHORT_CACHE_TYPES:
        return SHORT_CACHE
    if ext in HASHED_TYPES:
        return IMMUTABLE_CACHE
    return ASSET_CACHE


def invalidation_paths(paths: list[str]) -> list[str]:
    """CloudFront paths for site files: URL-quoted, ``dir/index.html`` also as ``/dir/``."""
    out: set[str] = set()
    for path in paths:
        url = "/" + quote(path, safe="/-._~")
        out.add(url)
        if path == "index.html" or path.endswith("/index.html"):
            out.add(url[: -len("index.html")])
    return sorted(out)


def encode_manifest(files: dict[str, str]) -> bytes:
    """One line: json's C encoder writes it (an indent takes the pure-Python one, 0.18 s of a
    publish at ten times the site, 41,700 files)."""
    compact = json.dumps({"files": files}, sort_keys=True, separators=(",", ":"))
    return (compact + "\n").encode("utf-8")


def decode_manifest(data: bytes) -> dict[str, str]:
    return dict(json.loads(data)["files"])


class Target(ABC):
    """A place a built site is published to."""

    @abstractmethod
    def read_manifest(self) -> dict[str, str] | None:
        """path -> sha256 of what is published; None when nothing was ever published."""

    @abstractmethod
    def put(self, path: str, data: bytes | Path, content_type: str, cache_control: str) -> None:
        """Store one file at ``path`` (site-relative, forward slashes): ``data``, or the file at
        that local path, streamed (the whole site's open data are 260 MB at ten times the 1×
        site, which a publish held in memory besides its build's)."""

    @abstractmethod
    def delete(self, paths: list[str]) -> None:
        """Remove files; paths already gone are not an error."""

    @abstractmethod
    def invalidate(self, paths: list[str]) -> None:
        """Tell caches in front of the target that these site files changed."""

    @property
    @abstractmethod
    def name(self) -> str:
        """Which target this is (the publish state remembers where the last publish went)."""

    @abstractmethod
    def get(self, path: str) -> bytes | None:
        """The bytes stored at ``path``; None when there is nothing there."""

    def fetch(self, paths: list[str], directory: Path, workers: int = FETCH_WORKERS) -> int:
        """Copy ``paths`` into ``directory`` (a cold start's mirror of the published site),
        several at a time; how many were there."""
        directory = Path(directory)

        def one(path: str) -> bool:
            data = self.get(path)
            if data is None:
                return False
            dest = directory / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            return True

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return sum(pool.map(one, paths))

    def write_manifest(self, files: dict[str, str]) -> None:
        """Record what is now published (the last write of a publish)."""
        self.put(MANIFEST_NAME, encode_manifest(files), "application/json", MANIFEST_CACHE)


class LocalDirTarget(Target):
    """A directory served over HTTP by the dev stack; there is no cache to invalidate."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _file(self, path: str) -> Path:
        full = (self.directory / path).resolve()
        if not full.is_relative_to(self.directory.resolve()):
            raise ValueError(f"path outside the target: {path!r}")
        return full

    @property
    def name(self) -> str:
        return f"dir:{self.directory.resolve()}"

    def get(self, path: str) -> bytes | None:
        try:
            return self._file(path).read_bytes()
        except FileNotFoundError:
            return None

    def read_manifest(self) -> dict[str, str] | None:
        data = self.get(MANIFEST_NAME)
        return None if data is None else decode_manifest(data)

    def put(self, path: str, data: bytes | Path, content_type: str, cache_control: str) -> None:
        full = self._file(path)
        full.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=full.parent, prefix=".put-")
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, fh)
            else:
                fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, full)

    def delete(self, paths: list[str]) -> None:
        root = self.directory.resolve()
        for path in paths:
            full = self._file(path)
            full.unlink(missing_ok=True)
            parent = full.parent
            while parent != root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def invalidate(self, paths: list[str]) -> None:
        logger.info("local target: nothing to invalidate (%s paths changed)", len(paths))


class S3Target(Target):
    """An S3 bucket behind a CloudFront distribution. The boto3 calls, for Stubber tests:

    - read_manifest, get: ``s3.get_object(Bucket, Key)`` (``NoSuchKey`` -> None; the manifest
      at ``.publish-manifest.json``);
    - put: ``s3.put_object(Bucket, Key, Body, ContentType, CacheControl)``;
    - delete: ``s3.delete_objects(Bucket, Delete={"Objects": [{"Key": k}, ...], "Quiet": True})``
      in batches of 1000; any ``Errors`` in an answer raise ``TargetError``;
    - invalidate: one ``cloudfront.create_invalidation(DistributionId, InvalidationBatch=
      {"Paths": {"Quantity", "Items"}, "CallerReference"})`` with the paths of
      ``invalidation_paths`` (``["/*"]`` beyond 1000), none when there is nothing to invalidate
      or no distribution.
    """

    def __init__(
        self,
        bucket: str,
        distribution_id: str | None,
        s3_client: Any = None,
        cloudfront_client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.distribution_id = distribution_id
        self._s3 = s3_client
        self._cloudfront = cloudfront_client

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client("s3")
        return self._s3

    @property
    def cloudfront(self) -> Any:
        if self._cloudfront is None:
            import boto3

            self._cloudfront = boto3.client("cloudfront")
        return self._cloudfront

    @property
    def name(self) -> str:
        return f"s3://{self.bucket}"

    def get(self, path: str) -> bytes | None:
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=path)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return bytes(answer["Body"].read())

    def read_manifest(self) -> dict[str, str] | None:
        data = self.get(MANIFEST_NAME)
        return None if data is None else decode_manifest(data)

    def put(self, path: str, data: bytes | Path, content_type: str, cache_control: str) -> None:
        with data.open("rb") if isinstance(data, Path) else nullcontext(data) as body:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=path,
                Body=body,
                ContentType=content_type,
                CacheControl=cache_control,
            )

    def delete(self, paths: list[str]) -> None:
        for start in range(0, len(paths), DELETE_BATCH):
            batch = paths[start : start + DELETE_BATCH]
            answer = self.s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            if answer.get("Errors"):
                raise TargetError(f"S3 refused to delete {len(answer['Errors'])} objects")

    def invalidate(self, paths: list[str]) -> None:
        if not paths or not self.distribution_id:
            return
        items = invalidation_paths(paths)
        if len(items) > MAX_INVALIDATION_PATHS:
            items = ["/*"]
        self.cloudfront.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                # Unique per call: a repeated reference would return the old invalidation.
                "CallerReference": f"publish-{time.time_ns()}",
            },
        )
        logger.info("CloudFront invalidation of %s paths", len(items))
