"""Targets: content types and caching, CloudFront paths, the local directory, S3's calls."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.targets import (
    IMMUTABLE_CACHE,
    MANIFEST_NAME,
    SHORT_CACHE,
    LocalDirTarget,
    S3Target,
    cache_control,
    content_type,
    encode_manifest,
    invalidation_paths,
)


@pytest.mark.parametrize(
    ("path", "ctype", "cache"),
    [
        ("index.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("diavoulefseis/a/feed.atom", "application/atom+xml", SHORT_CACHE),
        ("anoikta-dedomena/a.csv", "text/csv; charset=utf-8", SHORT_CACHE),
        (
            "anoikta-dedomena/ola.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            SHORT_CACHE,
        ),
        ("diavoulefseis/a/apotelesmata/ana-imera.svg", "image/svg+xml", SHORT_CACHE),
        ("pagefind/fragment/el_1a2b3c.pf_fragment", "application/octet-stream", IMMUTABLE_CACHE),
        ("pagefind/wasm.el.pagefind", "application/octet-stream", "public, max-age=3600"),
        ("theme/fonts/x.woff2", "font/woff2", "public, max-age=3600"),
        ("pagefind/pagefind.js", "text/javascript; charset=utf-8", "public, max-age=3600"),
    ],
)
def test_content_type_and_cache_control(path, ctype, cache):
    assert content_type(path) == ctype
    assert cache_control(path) == cache


def test_invalidation_paths_quote_and_add_directories():
    paths = ["index.html", "diavoulefseis/a/index.html", "theme/x y.css"]
    assert invalidation_paths(paths) == [
        "/",
        "/diavoulefseis/a/",
        "/diavoulefseis/a/index.html",
        "/index.html",
        "/theme/x%20y.css",
    ]


def test_local_dir_target(tmp_path):
    target = LocalDirTarget(tmp_path / "site")
    assert target.read_manifest() is None
    target.put("a/b/index.html", b"<p>1</p>", "text/html", SHORT_CACHE)
    target.put("a/c.css", b"x", "text/css", SHORT_CACHE)
    target.write_manifest({"a/b/index.html": "h1", "a/c.css": "h2"})
    assert target.read_manifest() == {"a/b/index.html": "h1", "a/c.css": "h2"}
    target.delete(["a/b/index.html", "missing.html"])
    assert not (tmp_path / "site" / "a" / "b").exists()  # emptied directories go too
    assert (tmp_path / "site" / "a" / "c.css").read_bytes() == b"x"
    with pytest.raises(ValueError):
        target.put("../escape.html", b"", "text/html", SHORT_CACHE)
    source = tmp_path / "ola.json"  # a site file handed over as a file: copied, not read whole
    source.write_bytes(b'{"a": "\xce\xb1"}\n' * 5000)
    target.put("data/ola.json", source, "application/json", SHORT_CACHE)
    copied = tmp_path / "site" / "data" / "ola.json"
    assert copied.read_bytes() == source.read_bytes() and copied.stat().st_mode & 0o777 == 0o644


def test_s3_target_calls():
    s3 = boto3.client("s3", region_name="eu-central-1")
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    target = S3Target("site-bucket", "E123", s3, cloudfront)
    with Stubber(s3) as s3_stub, Stubber(cloudfront) as cf_stub:
        s3_stub.add_client_error("get_object", "NoSuchKey", http_status_code=404)
        s3_stub.add_response(
            "get_object",
            {"Body": io.BytesIO(encode_manifest({"index.html": "h"}))},
            {"Bucket": "site-bucket", "Key": MANIFEST_NAME},
        )
        s3_stub.add_response(
            "put_object",
            {},
            {
                "Bucket": "site-bucket",
                "Key": "a/index.html",
                "Body": b"<p>",
                "ContentType": "text/html; charset=utf-8",
                "CacheControl": SHORT_CACHE,
            },
        )
        keys = [f"old/{n}.html" for n in range(1001)]
        for batch in (keys[:1000], keys[1000:]):
            s3_stub.add_response(
                "delete_objects",
                {},
                {
                    "Bucket": "site-bucket",
                    "Delete": {"Objects": [{"Key": k} for k in batch], "Quiet": True},
                },
            )
        cf_stub.add_response(
            "create_invalidation",
            {},
            {
                "DistributionId": "E123",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 2, "Items": ["/a/", "/a/index.html"]},
                    "CallerReference": ANY,
                },
            },
        )
        assert target.read_manifest() is None
        assert target.read_manifest() == {"index.html": "h"}
        target.put("a/index.html", b"<p>", "text/html; charset=utf-8", SHORT_CACHE)
        target.delete(keys)
        target.invalidate(["a/index.html"])
        target.invalidate([])  # nothing changed: no call
        s3_stub.assert_no_pending_responses()
        cf_stub.assert_no_pending_responses()
