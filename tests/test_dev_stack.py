"""``make dev`` end to end: start scripts/dev.py on free ports, comment through the API,
approve with the session's staff token, watch the timer publish it, edit a Markdown file and
watch the site follow, stop with SIGTERM and check that no child survives and that the data is
kept. The project is a copy of the real one whose open consultation closes far in the future,
so the test does not depend on today's date."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from proc_support import alive, descendants, start_dev

from scripts.dynamodb_local import DynamoDBLocal, free_port
from scripts.publish import dynamodb_table

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def open_text(site_url: str) -> tuple[str, dict]:
    manifest = requests.get(f"{site_url}/consultations.json", timeout=5).json()
    now = datetime.now(UTC)
    for consultation in manifest["consultations"]:
        opens = datetime.fromisoformat(consultation["opens"])
        closes = datetime.fromisoformat(consultation["closes"])
        if opens <= now < closes and consultation["texts"]:
            return consultation["slug"], consultation["texts"][0]
    pytest.fail("the demo content has no open consultation to comment on")


def project_copy(root: Path, dest: Path) -> Path:
    """The project with a copy of content/ (to edit) whose consultations that have opened stay
    open until 2099; code, theme and settings are links to the real ones."""
    dest.mkdir()
    for name in ("theme", "plugins", "lambdas", "pelicanconf.py", "publishconf.py"):
        (dest / name).symlink_to(root / name)
    shutil.copytree(root / "content", dest / "content")
    for index in (dest / "content" / "consultations").glob("*/index.md"):
        meta = index.read_text(encoding="utf-8")
        opens = re.search(r"^Opens:\s*(\S+)", meta, re.M).group(1)
        if opens <= datetime.now(UTC).date().isoformat():
            meta = re.sub(r"^Closes:.*$", "Closes: 2099-12-31 23:59", meta, count=1, flags=re.M)
            index.write_text(meta, encoding="utf-8")
    return dest


def edit_first_text(project: Path, text_slug: str, words: str) -> None:
    for path in (project / "content" / "consultations").glob("*/*.md"):
        source = path.read_text(encoding="utf-8")
        if re.search(rf"^Slug:\s*{re.escape(text_slug)}\s*$", source, re.M):
            path.write_text(source + f"\n\n{words}\n", encoding="utf-8")
            return
    pytest.fail(f"no Markdown file for {text_slug}")


def test_dev_stack_end_to_end(root, tmp_path):
    local = tmp_path / "local"
    project = project_copy(root, tmp_path / "project")
    env = {
        **os.environ,
        "DIAVOULEFSI_PROJECT_ROOT": str(project),
        "DIAVOULEFSI_LOCAL_DIR": str(local),
        "DIAVOULEFSI_SITE_PORT": str(free_port()),
        "DIAVOULEFSI_API_PORT": str(free_port()),
        "DIAVOULEFSI_SMTP_PORT": str(free_port()),
        "DIAVOULEFSI_PUBLISH_INTERVAL": "2",
    }
    proc = start_dev(root, env, tmp_path / "dev.log")
    children: set[int] = set()
    try:
        dev_json = local / "dev.json"
        wait_until(lambda: dev_json.exists() or proc.poll() is not None, 240, "dev.json")
        assert proc.poll() is None, (tmp_path / "dev.log").read_text()
        info = json.loads(dev_json.read_text())
        assert set(info) == {
            *("site_url", "api_url", "dynamodb_endpoint", "table", "staff_token"),
            *("smtp_port", "mail_dir"),
        }
        assert info["smtp_port"] == int(env["DIAVOULEFSI_SMTP_PORT"])
        assert Path(info["mail_dir"]) == (local / "mail").resolve()
        assert info["site_url"] == f"http://127.0.0.1:{env['DIAVOULEFSI_SITE_PORT']}"
        children = descendants(proc.pid)
        assert len(children) >= 2  # DynamoDB Local and chalice local at least

        assert requests.get(info["site_url"] + "/no-such-page/", timeout=5).status_code == 404
        consultation, text = open_text(info["site_url"])
        body = f"Σχόλιο από τη δοκιμή του make dev {uuid.uuid4().hex[:8]}."
        email = "dev-stack-test@example.invalid"
        answer = requests.post(
            f"{info['api_url']}/v1/comments",
            json={
                "consultation": consultation,
                "text": text["slug"],
                "body": body,
                "respondent_type": "citizen",
                "display_name": "Δοκιμαστική Χρήστρια",
                "publish_name": True,
                "email": email,
                "consent": True,
                "submission_key": uuid.uuid4().hex,
            },
            headers={"Origin": info["site_url"]},
            timeout=10,
        )
        assert answer.status_code == 202, answer.text
        item_id = answer.json()["id"]
        decision = requests.post(
            f"{info['api_url']}/v1/moderation/items/{item_id}",
            json={"action": "approve"},
            headers={"Authorization": f"Bearer {info['staff_token']}"},
            timeout=10,
        )
        assert decision.status_code == 200, decision.text

        page_url = info["site_url"] + text["url"]
        page = wait_until(
            lambda: (r := requests.get(page_url, timeout=5)).ok and body in r.text and r.text,
            90,
            "the approved comment on the served page",
        )
        assert email not in page

        words = f"Νέα παράγραφος που πρόσθεσε το προσωπικό {uuid.uuid4().hex[:8]}."
        edit_first_text(project, text["slug"], words)
        wait_until(
            lambda: words in requests.get(page_url, timeout=5).text,
            90,
            "the edited Markdown on the served page",
        )
    finally:
        if proc.poll() is None:
            children |= descendants(proc.pid)
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=150)
        finally:
            for pid in children | {proc.pid}:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 0, (tmp_path / "dev.log").read_text()[-3000:]
    assert [pid for pid in children if alive(pid)] == []
    assert not (local / "dev.json").exists()

    with DynamoDBLocal(data_dir=local / "dynamodb") as db:  # a second start keeps the data
        kept = dynamodb_table(db.endpoint, info["table"]).get_item(
            Key={"PK": f"SUB#{item_id}", "SK": "SUB"}
        )
        assert kept["Item"]["status"] == "approved"
