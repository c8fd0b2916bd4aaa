"""The API under a real ``chalice local`` process (scripts/api_local.py) on DynamoDB Local:
form posts, CORS, client addresses, and concurrency (threads posting at once, retries with the
same key): every accepted submission stored exactly once, counted with Query on the GSIs."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urljoin

import pytest
import requests
from test_api_support import SITE, comment, query_all

from scripts.api_local import start_api, stop_api
from scripts.dynamodb_local import create_table, free_port

pytestmark = pytest.mark.xdist_group("api_local")

THREADS = 16
POSTS_PER_THREAD = 4


@pytest.fixture(scope="module")
def local_api(dynamodb, root, tmp_path_factory) -> Iterator[dict[str, Any]]:
    table = f"local-{uuid.uuid4().hex[:10]}"
    create_table(dynamodb.client(), table)
    env = {
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT": dynamodb.endpoint,
        "MANIFEST_PATH": str(root / "tests" / "fixtures" / "consultations.json"),
        "SITE_URL": SITE,
        "SITE_ORIGINS": SITE,
        "IP_HASH_KEY": "local-test-key",
    }
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "api.log"
    proc = start_api(port, env, log_path=log)
    import boto3

    resource = boto3.resource("dynamodb", endpoint_url=dynamodb.endpoint).Table(table)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "table": resource, "log": log}
    finally:
        stop_api(proc)
    assert proc.poll() is not None


def test_form_post_through_chalice_local_redirects_and_stores(local_api):
    page = "/diavoulefseis/anoichti/deftero-keimeno/"
    form = comment(
        text="deftero-keimeno", paragraph="p-11111111", consent="on", return_to=page, website=""
    )
    answer = requests.post(
        f"{local_api['url']}/v1/comments",
        data=form,
        headers={"Origin": SITE, "X-Forwarded-For": "198.51.100.77"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303
    reference = answer.headers["Location"].split("/")[1].split("?")[0]
    assert answer.headers["Location"] == f"received/{reference}?back={quote(page, safe='')}"
    confirmation = requests.get(
        urljoin(f"{local_api['url']}/v1/comments", answer.headers["Location"]), timeout=30
    )
    assert confirmation.status_code == 200 and reference in confirmation.text
    items = query_all(local_api["table"], "by_target", "GSI1PK", "TARGET#anoichti#deftero-keimeno")
    [item] = [i for i in items if i["reference"] == reference]
    assert item["paragraph"] == "p-11111111" and "ip_hash" not in item
    assert "198.51.100" not in str(item)
    log = local_api["log"].read_text("utf-8")
    assert reference not in log and "198.51.100.77" not in log and form["email"] not in log


def test_preflight_and_cors_through_chalice_local(local_api):
    url = f"{local_api['url']}/v1/proposals"
    ok = requests.options(url, headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204 and ok.headers["Access-Control-Allow-Origin"] == SITE
    bad = requests.options(url, headers={"Origin": "https://evil.example"})
    assert bad.status_code == 403 and "Access-Control-Allow-Origin" not in bad.headers


def test_concurrent_posts_and_retries_are_stored_exactly_once(local_api):
    url = f"{local_api['url']}/v1/comments"

    def worker(thread: int) -> list[tuple[str, dict, dict]]:
        session, results = requests.Session(), []
        for n in range(POSTS_PER_THREAD):
            key = f"conc-{thread}-{n}-{uuid.uuid4().hex[:8]}"
            payload = comment(
                text="proto-keimeno",
                body=f"Ταυτόχρονο σχόλιο {thread}/{n}: {key}",
                submission_key=key,
            )
            headers = {"Origin": SITE, "X-Forwarded-For": f"10.77.{thread}.{n + 1}"}
            first = session.post(url, json=payload, headers=headers, timeout=60)
            retry = session.post(url, json=payload, headers=headers, timeout=60)
            results.append((key, first.json() | {"_s": first.status_code}, retry.json()))
        return results

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for batch in pool.map(worker, range(THREADS)) for r in batch]
    assert len(results) == THREADS * POSTS_PER_THREAD
    for _key, first, retry in results:
        assert first.pop("_s") == 202, first
        assert retry == first
    items = query_all(local_api["table"], "by_target", "GSI1PK", "TARGET#anoichti#proto-keimeno")
    by_key = {}
    for item in items:
        by_key.setdefault(item.get("submission_key"), []).append(item)
    for key, first, _retry in results:
        assert [i["id"] for i in by_key[key]] == [first["id"]]
        assert by_key[key][0]["body"].endswith(key)  # each answer belongs to its own request


def test_the_same_key_posted_at_once_stores_one_item(local_api):
    url = f"{local_api['url']}/v1/comments"
    key = f"same-{uuid.uuid4().hex}"
    payload = comment(
        consultation="anoichti",
        text="deftero-keimeno",
        paragraph=None,
        body="Δύο καρτέλες, ένα πάτημα.",
        submission_key=key,
    )
    start = threading.Barrier(THREADS)

    def post(n: int) -> tuple[int, dict]:
        start.wait()
        headers = {"Origin": SITE, "X-Forwarded-For": f"10.78.{n}.1"}
        answer = requests.post(url, json=payload, headers=headers, timeout=60)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(post, range(THREADS)))
    assert {status for status, _ in answers} == {202}
    assert len({body["id"] for _, body in answers}) == 1
    items = query_all(local_api["table"], "by_target", "GSI1PK", "TARGET#anoichti#deftero-keimeno")
    assert [i["id"] for i in items if i.get("submission_key") == key] == [answers[0][1]["id"]]
