"""S3Target, the publish step's AWS side, against botocore's Stubber (exact requests checked)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from chalicelib.targets import (
    ASSET_CACHE,
    IMMUTABLE_CACHE,
    MANIFEST_NAME,
    SHORT_CACHE,
    S3Target,
    TargetError,
    cache_control,
    content_type,
    decode_manifest,
    encode_manifest,
)

BUCKET = "site-bucket"
DISTRIBUTION = "E2EXAMPLE123"


def client(service: str) -> Any:
    return boto3.client(
        service,
        region_name="eu-central-1",
        aws_access_key_id="stub",
        aws_secret_access_key="stub",
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[S3Target, Stubber, Stubber]]:
    s3, cloudfront = client("s3"), client("cloudfront")
    with Stubber(s3) as s3_stub, Stubber(cloudfront) as cf_stub:
        yield S3Target(BUCKET, DISTRIBUTION, s3, cloudfront), s3_stub, cf_stub
        s3_stub.assert_no_pending_responses()
        cf_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("path", "kind", "cache"),
    [
        ("diavoulefseis/perivallon/index.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("theme/css/site.css", "text/css; charset=utf-8", ASSET_CACHE),
        ("pagefind/index/el_1a2b3c.pf_index", "application/octet-stream", IMMUTABLE_CACHE),
        ("anoikta-dedomena/perivallon.csv", "text/csv; charset=utf-8", SHORT_CACHE),
    ],
)
def test_put_sends_type_and_cache_control(
    stubbed: tuple[S3Target, Stubber, Stubber], path: str, kind: str, cache: str
) -> None:
    target, s3, _ = stubbed
    body = "<p>Γεια</p>".encode()
    s3.add_response(
        "put_object",
        {"ETag": '"x"'},
        {"Bucket": BUCKET, "Key": path, "Body": body, "ContentType": kind, "CacheControl": cache},
    )
    target.put(path, body, content_type(path), cache_control(path))


def test_a_site_file_is_streamed_to_s3_from_its_file(
    stubbed: tuple[S3Target, Stubber, Stubber], tmp_path: Path
) -> None:
    """A publish hands the target the file, not its bytes: botocore reads the body from the
    open file (the whole site's open data are hundreds of MB at ten times the 1× site)."""
    target, s3, _ = stubbed
    data = tmp_path / "ola.csv"
    data.write_bytes(b"id,body\n" + b"1,\xce\xb3\xce\xb5\xce\xb9\xce\xb1\n" * 1000)
    bodies: list[Any] = []
    s3_client = target.s3
    s3_client.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: bodies.append(params["Body"])
    )
    s3.add_response(
        "put_object",
        {"ETag": '"x"'},
        {
            "Bucket": BUCKET,
            "Key": "anoikta-dedomena/ola.csv",
            "Body": ANY,
            "ContentType": content_type("ola.csv"),
            "CacheControl": cache_control("x.csv"),
        },
    )
    target.put("anoikta-dedomena/ola.csv", data, content_type("ola.csv"), cache_control("x.csv"))
    [body] = bodies
    assert not isinstance(body, bytes) and body.name == str(data) and body.closed


def test_delete_removes_exactly_the_gone_files(stubbed: tuple[S3Target, Stubber, Stubber]) -> None:
    target, s3, _ = stubbed
    gone = ["old/index.html", "theme/css/old.css"]
    s3.add_response(
        "delete_objects",
        {"Deleted": [{"Key": k} for k in gone]},
        {
            "Bucket": BUCKET,
            "Delete": {"Objects": [{"Key": k} for k in gone], "Quiet": True},
        },
    )
    target.delete(gone)


def test_delete_batches_by_a_thousand(stubbed: tuple[S3Target, Stubber, Stubber]) -> None:
    target, s3, _ = stubbed
    gone = [f"p/{n}.html" for n in range(1500)]
    for batch in (gone[:1000], gone[1000:]):
        s3.add_response(
            "delete_objects",
            {},
            {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": k} for k in batch], "Quiet": True}},
        )
    target.delete(gone)


def test_delete_errors_are_not_swallowed(stubbed: tuple[S3Target, Stubber, Stubber]) -> None:
    target, s3, _ = stubbed
    s3.add_response(
        "delete_objects",
        {"Errors": [{"Key": "a.html", "Code": "AccessDenied", "Message": "no"}]},
        {"Bucket": BUCKET, "Delete": {"Objects": [{"Key": "a.html"}], "Quiet": True}},
    )
    with pytest.raises(TargetError):
        target.delete(["a.html"])


def test_one_invalidation_lists_exactly_the_changed_paths(
    stubbed: tuple[S3Target, Stubber, Stubber],
) -> None:
    target, _, cloudfront = stubbed
    changed = ["index.html", "diavoulefseis/perivallon/index.html", "theme/css/site.css"]
    paths = [
        "/",
        "/diavoulefseis/perivallon/",
        "/diavoulefseis/perivallon/index.html",
        "/index.html",
        "/theme/css/site.css",
    ]
    cloudfront.add_response(
        "create_invalidation",
        {
            "Invalidation": {
                "Id": "I1",
                "Status": "InProgress",
                "CreateTime": "2026-11-26T10:00:00Z",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 5, "Items": paths},
                    "CallerReference": "x",
                },
            }
        },
        {
            "DistributionId": DISTRIBUTION,
            "InvalidationBatch": {
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": ANY,
            },
        },
    )
    target.invalidate(changed)


def test_nothing_changed_means_no_invalidation(stubbed: tuple[S3Target, Stubber, Stubber]) -> None:
    target, _, _ = stubbed  # the Stubber fails on any call it was not told about
    target.invalidate([])


def test_manifest_round_trip(stubbed: tuple[S3Target, Stubber, Stubber]) -> None:
    target, s3, _ = stubbed
    s3.add_client_error("get_object", "NoSuchKey", http_status_code=404)
    assert target.read_manifest() is None
    data = encode_manifest({"index.html": "ab" * 32})
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(data), len(data))},
        {"Bucket": BUCKET, "Key": MANIFEST_NAME},
    )
    assert target.read_manifest() == {"index.html": "ab" * 32}


def test_a_manifest_written_before_it_was_one_line_still_reads() -> None:
    """Deployed buckets hold the indented manifest of earlier releases."""
    files = {"index.html": "ab" * 32, "data/x.csv": "cd" * 32}
    earlier = (json.dumps({"files": files}, sort_keys=True, indent=0) + "\n").encode("utf-8")
    assert decode_manifest(earlier) == decode_manifest(encode_manifest(files)) == files
    assert encode_manifest(files).count(b"\n") == 1


def test_access_denied_on_the_manifest_is_an_error(
    stubbed: tuple[S3Target, Stubber, Stubber],
) -> None:
    """Without s3:ListBucket S3 answers 403 for a missing key: that must not read as 'empty'."""
    target, s3, _ = stubbed
    s3.add_client_error("get_object", "AccessDenied", http_status_code=403)
    with pytest.raises(ClientError, match="AccessDenied"):
        target.read_manifest()
