"""The publish function (and the other scheduled ones) works inside Lambda from the deployment
zip alone.

`make package` once (its wheels cached under build/), the zip unpacked into an empty directory
with its file modes (as Lambda does), and the scheduled handler ``app.publish_site`` invoked in
a fresh interpreter that sees only that directory plus what the Lambda runtime itself provides
(boto3 and its dependencies) — no site-packages of the venv — against DynamoDB Local, with a
local directory standing in for S3 (``PUBLISH_TARGET_DIR``). The site it publishes must be the
site a normal build makes of the same content and snapshot.

The grouping function runs the same way with the grouping layer unpacked beside the zip, its
``python/`` on the path after the zip's root (as Lambda puts ``/opt/python``): datasketch, numpy
and scipy come from the layer, which no other function has, and nowhere else.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from scripts import package, package_layer
from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent
SITE_URL = "https://diavoulefsi.example.gr"
API_URL = "https://abc123.execute-api.eu-central-1.amazonaws.com/api"
# What the python3.11 Lambda runtime ships besides the standard library.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
SITE_MODULES = ("pelican", "markdown", "jinja2", "babel", "jsonschema", "pagefind", "pagefind_bin")
# What grouping imports (chalicelib.campaigns): datasketch, and through it numpy and scipy;
# its layer's requirements name exactly these.
GROUPING_MODULES = ("datasketch", "numpy", "scipy")
# Lambda's limit on a function's unpacked code (zip and layers): 250 MiB, in bytes.
LAMBDA_UNZIPPED_LIMIT = 262_144_000
# The zip every function carries, the API's included: the site build's dependencies (65 MB
# unpacked), far below the limit; numpy and scipy alone would double it.
MAIN_ZIP_UNZIPPED_MAX = 100_000_000
# The project's own packages: at the zip root, where Lambda's path (and only it) finds them.
PROJECT_MODULES = {
    "app": "app.py",
    "chalicelib.spec": "chalicelib/spec/__init__.py",
    "plugins.consultations": "plugins/consultations/__init__.py",
}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
BODY = "Χρειάζονται περισσότερα δέντρα και παγκάκια σε αυτό το σημείο της πόλης."

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lambda-zip")]

NOW = "2026-11-26T10:00:00+00:00"  # the moment the runs publish at (the clock, moved)
HANDLER = """
import importlib, json, sys
from datetime import datetime
import app
from chalicelib import clock

class Context:
    function_name = "diavoulefsi-prod-publish"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    memory_limit_in_mb = 1536

event = {
    "version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
    "account": "123456789012", "time": "2026-11-26T10:00:00Z", "region": "eu-central-1",
    "resources": ["arn:aws:events:eu-central-1:123456789012:rule/publish"], "detail": {},
}
with clock.frozen(datetime.fromisoformat(sys.argv[1])):
    result = getattr(app, sys.argv[2])(event, Context())  # publish_site, send_mail, ...
# Where each would come from (pagefind runs as `python -m pagefind`, same path).
origins = {name: importlib.import_module(name).__file__ for name in %r}
print(json.dumps({"result": result, "origins": origins, "path": sys.path}))
"""


@pytest.fixture(scope="module")
def deployment_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real `make package` (site manifest built, wheels downloaded once into build/)."""
    out = tmp_path_factory.mktemp("package") / "out"
    package.package("prod", out, ROOT / "build" / "package-work-test")
    return out / "deployment.zip"


@pytest.fixture(scope="module")
def layer_zip(deployment_zip: Path) -> Path:
    """The grouping layer of the same `make package`."""
    return deployment_zip.with_name(package_layer.LAYER_ZIP)


def unpack(zip_path: Path, task: Path) -> None:
    """Extract like Lambda: files keep the modes recorded in the zip."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            archive.extract(info, task)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(task / info.filename, mode)


def runtime_dir(base: Path) -> Path:
    """A directory holding only the runtime's own packages (links into the venv)."""
    base.mkdir()
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec and spec.origin, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (base / source.name).symlink_to(source)
    return base


def approved_comment(manifest: dict[str, Any]) -> dict[str, Any]:
    consultation = manifest["consultations"][0]
    text = next(t for t in consultation["texts"] if t["paragraphs"])
    sub_id = "01jdx0000000000000000000ab"
    at = "2026-11-20T09:30:00Z"
    return {
        "PK": f"SUB#{sub_id}",
        "SK": "SUB",
        "GSI1PK": f"TARGET#{consultation['slug']}#{text['slug']}",
        "GSI1SK": f"{at}#{sub_id}",
        "GSI2PK": "STATUS#approved",
        "GSI2SK": f"{at}#{sub_id}",
        "GSI3PK": f"CONS#{consultation['slug']}",
        "GSI3SK": f"approved#{at}#{sub_id}",
        "id": sub_id,
        "kind": "comment",
        "status": "approved",
        "reference": "NS-7K2QXD",
        "consultation": consultation["slug"],
        "text": text["slug"],
        "paragraph": text["paragraphs"][0],
        "body": BODY,
        "respondent_type": "citizen",
        "display_name": "Ελένη Παπαδοπούλου",
        "publish_name": True,
        "email": "eleni@example.org",
        "created_at": at,
        "updated_at": at,
        "approved_at": at,
        "decided_at": at,
        "version": 2,
    }


@pytest.fixture(scope="module")
def published(
    deployment_zip: Path, dynamodb: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One scheduled publish run from the unpacked zip in a fresh interpreter."""
    from boto3.dynamodb.types import TypeSerializer

    from scripts.dynamodb_local import create_table

    base = tmp_path_factory.mktemp("lambda")
    task = base / "task"
    unpack(deployment_zip, task)
    manifest = json.loads((task / "chalicelib" / "data" / "consultations.json").read_text())
    comment = approved_comment(manifest)
    table = f"publish-zip-{uuid.uuid4().hex[:8]}"
    client = dynamodb.client()
    create_table(client, table)
    serialize = TypeSerializer().serialize
    for item in (
        comment,
        {"PK": "META#publish", "SK": "STATE", "last_decision_at": "2026-11-20T09:30:00Z"},
    ):
        client.put_item(TableName=table, Item={k: serialize(v) for k, v in item.items()})

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(base),
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{task}:{runtime_dir(base / 'runtime')}",
        "PYTHONNOUSERSITE": "1",
        "LAMBDA_TASK_ROOT": str(task),
        **DUMMY_ENV,
        "STAGE": "prod",
        "TABLE_NAME": table,
        "DYNAMODB_ENDPOINT": dynamodb.endpoint,
        "SITE_URL": SITE_URL,
        "API_URL": API_URL,
        "IP_HASH_KEY": "not-used-by-publish",
        "PUBLISH_TARGET_DIR": str(base / "site"),
        "PUBLISH_WORKDIR": str(base / "work"),
    }
    answer = invoke(task, env)
    return {**answer, "base": base, "task": task, "comment": comment, "env": env}


def invoke(
    task: Path,
    env: dict[str, str],
    handler: str = "publish_site",
    modules: tuple[str, ...] = (*SITE_MODULES, *PROJECT_MODULES),
) -> dict[str, Any]:
    """A scheduled handler of the unpacked zip in ``task``, in a fresh interpreter; the answer
    says where each of ``modules`` was imported from."""
    python = getattr(sys, "_base_executable", sys.executable)
    proc = subprocess.run(
        [python, "-S", "-c", HANDLER % (modules,), NOW, handler],
        cwd=task,
        env={**env, "PYTHONPATH": f"{task}:{env['PYTHONPATH'].split(':', 1)[1]}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_handler_publishes_from_the_zip_alone(published: dict[str, Any]) -> None:
    assert published["result"]["status"] == "published"
    assert published["result"]["uploaded"] > 10
    task = str(published["task"])
    for name in SITE_MODULES:
        assert published["origins"][name].startswith(task), name
    for name, path in PROJECT_MODULES.items():
        assert published["origins"][name] == os.path.join(task, path), name
    assert not any("site-packages" in entry for entry in published["path"])


def test_the_digest_and_the_sender_run_from_the_zip(
    published: dict[str, Any], dynamodb: Any
) -> None:
    """The other scheduled functions of the same zip: the digest writes its message and the
    sender composes it (letters, templates, Babel: all from the zip). Nothing listens on
    SMTP_PORT, so the send fails as a temporary failure and the message waits for its retry."""
    from scripts.dynamodb_local import create_table

    table = f"mail-zip-{uuid.uuid4().hex[:8]}"
    create_table(dynamodb.client(), table)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **published["env"],
        "TABLE_NAME": table,
        "STAFF_DIGEST_TO": "moderation@example.gr",
        "MAIL_SENDER": "Διαβούλευση Δήμου <noreply@example.gr>",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
    }
    task = published["task"]
    assert invoke(task, env, "staff_digest")["result"] == {"written": 1}
    sent = invoke(task, env, "send_mail")["result"]
    assert (sent["sent"], sent["retried"], sent["failed"], sent["dropped"]) == (0, 1, 0, 0), sent


LETTER = (
    "Ζητούμε από τον Δήμο να μην προχωρήσει στην κοπή των δέντρων της πλατείας και να "
    "αναθεωρήσει τη μελέτη ώστε να διατηρηθεί ο χώρος πρασίνου για τα παιδιά και τους "
    "ηλικιωμένους της γειτονιάς μας που τον χρησιμοποιούν κάθε μέρα όλο τον χρόνο."
)


def test_grouping_runs_from_the_zip_and_its_layer(
    published: dict[str, Any], layer_zip: Path, dynamodb: Any
) -> None:
    """The grouping schedule from the same zip with its layer unpacked as Lambda does (into
    /opt; /opt/python on the path after the zip's root): datasketch, numpy and scipy import
    from the layer alone (wheels for the Lambda runtime, not the venv's), the consultations'
    texts are the packaged ones, and a campaign's copies get one group; the approved copy's
    change asks for a publish (recorded on the state item: no PUBLISH_FUNCTION here)."""
    from boto3.dynamodb.types import TypeSerializer

    from scripts.dynamodb_local import create_table

    opt = published["base"] / "opt"
    unpack(layer_zip, opt)
    layer = opt / package_layer.LAYER_DIR
    env = published["env"]
    runtime = env["PYTHONPATH"].split(":", 1)[1]

    table = f"grouping-zip-{uuid.uuid4().hex[:8]}"
    client = dynamodb.client()
    create_table(client, table)
    base = published["comment"]
    serialize = TypeSerializer().serialize
    bodies = {
        "01jdx0000000000000000000c1": ("pending", LETTER),
        "01jdx0000000000000000000c2": ("pending", LETTER + " Με εκτίμηση, Μαρία."),
        "01jdx0000000000000000000c3": ("approved", "Καλημέρα σας. " + LETTER),
        "01jdx0000000000000000000c4": ("pending", BODY),  # a text of its own: no group
    }
    for n, (sub_id, (status, body)) in enumerate(bodies.items()):
        at = f"2026-11-25T09:0{n}:00Z"
        item = {
            **base,
            "PK": f"SUB#{sub_id}",
            "GSI1SK": f"{at}#{sub_id}",
            "GSI2PK": f"STATUS#{status}",
            "GSI2SK": f"{at}#{sub_id}",
            "GSI3SK": f"{status}#{at}#{sub_id}",
            "id": sub_id,
            "status": status,
            "body": body,
            "created_at": at,
            "updated_at": at,
        }
        client.put_item(TableName=table, Item={k: serialize(v) for k, v in item.items()})

    answer = invoke(
        published["task"],
        {**env, "TABLE_NAME": table, "PYTHONPATH": f"{published['task']}:{layer}:{runtime}"},
        "group_submissions",
        GROUPING_MODULES,
    )
    result = answer["result"]
    assert (result["targets"], result["read"], result["complete"]) == (1, 4, True), result
    assert (result["changed"], result["published"]) == (3, 1), result
    for name in GROUPING_MODULES:
        assert answer["origins"][name].startswith(f"{layer}/"), name
    assert not any("site-packages" in entry for entry in answer["path"])
    from scripts.publish import dynamodb_table

    grouped = dynamodb_table(published["env"]["DYNAMODB_ENDPOINT"], table)
    groups = {
        s: grouped.get_item(Key={"PK": f"SUB#{s}", "SK": "SUB"})["Item"].get("group")
        for s in bodies
    }
    assert set(groups.values()) == {"01jdx0000000000000000000c1", None}
    assert groups["01jdx0000000000000000000c4"] is None
    publish_state = grouped.get_item(Key={"PK": "META#publish", "SK": "STATE"})["Item"]
    assert publish_state["decisions"] == 1 and publish_state["publish_requested_at"]


def unpacked_size(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as archive:
        return sum(i.file_size for i in archive.infolist())


def test_the_zip_leaves_numpy_and_scipy_to_the_layer(deployment_zip: Path) -> None:
    """The zip every function carries (the API's cold start) has none of grouping's
    dependencies, and stays far below Lambda's limit."""
    with zipfile.ZipFile(deployment_zip) as archive:
        names = {n.split("/", 1)[0].lower() for n in archive.namelist()}
    for module in GROUPING_MODULES:
        assert not any(n == module or n.startswith((f"{module}-", f"{module}.")) for n in names)
    unpacked = unpacked_size(deployment_zip)
    assert unpacked < MAIN_ZIP_UNZIPPED_MAX, f"{unpacked / 1e6:.1f} MB unpacked"


def pinned(requirements: Path) -> dict[str, str]:
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_the_layer_carries_the_pinned_grouping_dependencies(layer_zip: Path) -> None:
    """Under python/ (Lambda's /opt/python): each package with its pinned version's metadata;
    neither test suites nor bytecode nor console scripts (one test module numpy imports at run
    time excepted); reproducible (sorted entries, fixed dates and modes)."""
    with zipfile.ZipFile(layer_zip) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} <= {0o644, 0o755}
    assert all(n.startswith("python/") for n in names)
    top = {n.split("/")[1] for n in names}
    pins = pinned(ROOT / "lambdas" / "grouping-requirements.txt")
    assert set(pins) == set(GROUPING_MODULES)
    for module, version in pins.items():
        assert module in top, module
        assert f"{module}-{version}.dist-info" in top, (module, version)
        assert f"python/{module}-{version}.dist-info/METADATA" in names, module
    assert "bin" not in top
    assert not any("__pycache__/" in n or n.endswith(".pyc") for n in names)
    in_tests = {n.split("/", 1)[1] for n in names if "/tests/" in n}
    assert in_tests == set(package_layer.LAYER_KEEP)


def test_the_grouping_function_unpacks_within_lambdas_limit(
    deployment_zip: Path, layer_zip: Path
) -> None:
    """Lambda counts a function's zip and its layers together: for grouping, both."""
    sizes = {p.name: (p.stat().st_size, unpacked_size(p)) for p in (deployment_zip, layer_zip)}
    total = sum(unpacked for _, unpacked in sizes.values())
    assert total < LAMBDA_UNZIPPED_LIMIT, sizes
    assert package_layer.sizes(deployment_zip.parent) == sizes


def test_the_pagefind_binary_is_executable_in_the_zip(deployment_zip: Path) -> None:
    with zipfile.ZipFile(deployment_zip) as archive:
        mode = archive.getinfo("pagefind_bin/pagefind").external_attr >> 16
    assert mode & 0o111


def test_the_zip_carries_the_site_sources_and_the_manifest(deployment_zip: Path) -> None:
    with zipfile.ZipFile(deployment_zip) as archive:
        names = set(archive.namelist())
    for required in (
        "app.py",
        "chalicelib/data/consultations.json",
        "chalicelib/site/pelicanconf.py",
        "chalicelib/site/publishconf.py",
        "chalicelib/spec/limits.json",
        "plugins/__init__.py",
        "plugins/consultations/__init__.py",
    ):
        assert required in names, required
    for folder in ("content/", "theme/templates/"):
        assert any(n.startswith("chalicelib/site/" + folder) for n in names), folder
    # One copy of the code: the plugins and the spec are not duplicated into the site sources.
    for folder in ("plugins/", "lambdas/"):
        assert not any(n.startswith("chalicelib/site/" + folder) for n in names), folder
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def normalised(html: str) -> str:
    return TIMESTAMP.sub("<t>", html)


@pytest.fixture(scope="module")
def normal_build(published: dict[str, Any]) -> Path:
    """The same content and snapshot built the usual way, in the venv."""
    base: Path = published["base"]
    out = base / "normal"
    code = (
        "import sys; from pathlib import Path\n"
        "from chalicelib.sitebuild import build_site\n"
        "from datetime import datetime\n"
        "build_site(Path(sys.argv[1]), Path(sys.argv[2]), snapshot=Path(sys.argv[3]),"
        " api_url=sys.argv[4], site_url=sys.argv[5], publish=True,"
        " now=datetime.fromisoformat(sys.argv[6]))\n"
    )
    snapshot = base / "work" / "snapshot"  # the publish's shards
    args = [sys.executable, "-c", code, str(ROOT), str(out), str(snapshot), API_URL, SITE_URL, NOW]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def site_files(directory: Path) -> set[str]:
    """The site's files: not the publish machinery's dot paths (manifest, work state)."""
    return {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    }


def test_same_files_as_a_normal_build(published: dict[str, Any], normal_build: Path) -> None:
    lambda_site = published["base"] / "site"
    assert site_files(lambda_site) == site_files(normal_build)


def test_same_pages_as_a_normal_build(published: dict[str, Any], normal_build: Path) -> None:
    lambda_site = published["base"] / "site"
    comment = published["comment"]
    text_page = f"diavoulefseis/{comment['consultation']}/{comment['text']}/index.html"
    pages = ["index.html", f"diavoulefseis/{comment['consultation']}/index.html", text_page]
    for page in pages:
        built = (lambda_site / page).read_text(encoding="utf-8")
        assert normalised(built) == normalised((normal_build / page).read_text(encoding="utf-8"))
    text_html = (lambda_site / text_page).read_text(encoding="utf-8")
    assert comment["body"] in text_html  # the approved comment came from DynamoDB Local
    assert API_URL in text_html  # the forms post to the stage's API
    assert comment["email"] not in text_html


class _CspAudit(HTMLParser):
    """What the stack's Content-Security-Policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.blocked.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and "src" not in values:
            self._inline_script = values.get("type") not in {
                "application/json",
                "application/ld+json",
            }
        url = (
            values.get("src")
            or values.get("action")
            or (values.get("href") if tag == "link" else None)
        )
        if url and urlsplit(url).netloc and not url.startswith((SITE_URL, API_URL)):
            self.blocked.append(f"<{tag}> from {url}")

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.blocked.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False


def test_published_pages_work_under_the_csp(published: dict[str, Any]) -> None:
    """No inline script or style, no event handler attributes, nothing loaded from elsewhere
    than the site and its API: the pages render under the CSP of lambdas/infra/resources.yaml."""
    blocked = {}
    for page in sorted((published["base"] / "site").rglob("*.html")):
        audit = _CspAudit()
        audit.feed(page.read_text(encoding="utf-8"))
        if audit.blocked:
            blocked[page.name if page.parent.name == "site" else str(page)] = audit.blocked[:3]
    assert blocked == {}


def test_a_deployed_text_edit_is_published_with_no_decision(
    published: dict[str, Any], deployment_zip: Path
) -> None:
    """A new package (unpacked afresh, as a deploy gives a cold container with an empty /tmp)
    publishes nothing while its sources are those already published, and the edited text page
    alone once a text changed: no moderation decision in between."""
    base: Path = published["base"]
    site = base / "site-after-deploy"
    shutil.copytree(base / "site", site)
    # The copy stands for the bucket the first run published to (the state remembers it).
    from chalicelib.store import state
    from chalicelib.targets import LocalDirTarget
    from scripts.publish import dynamodb_table

    table = dynamodb_table(published["env"]["DYNAMODB_ENDPOINT"], published["env"]["TABLE_NAME"])
    state.record_target(table, LocalDirTarget(site).name)
    runs = []
    for n, edit in enumerate((False, True)):
        task = base / f"task-{n}"
        unpack(deployment_zip, task)
        text = task / "chalicelib" / "site" / "content" / "consultations" / "perivallon"
        if edit:
            with open(text / "plateia.md", "a", encoding="utf-8") as fh:
                fh.write("\n\nΠαράγραφος που πρόσθεσε το προσωπικό μετά τη δημοσίευση.\n")
        before = {p: f.read_bytes() for p, f in _html_files(site).items()}
        env = {**published["env"], "PUBLISH_TARGET_DIR": str(site)}
        env["PUBLISH_WORKDIR"] = str(base / f"work-after-deploy-{n}")
        runs.append(invoke(task, env)["result"])
        changed = {p for p, f in _html_files(site).items() if before.get(p) != f.read_bytes()}
    nothing, edited = runs
    assert nothing["status"] == "nothing to publish"
    assert (edited["status"], edited["reasons"]) == ("published", ["sources"])
    assert len(changed) == 1, changed
    page = site / changed.pop()
    assert "Παράγραφος που πρόσθεσε το προσωπικό" in page.read_text(encoding="utf-8")
    assert edited["uploaded"] < 20 < edited["unchanged"]  # the page, its index, the manifest


def _html_files(directory: Path) -> dict[str, Path]:
    return {p.relative_to(directory).as_posix(): p for p in directory.rglob("*.html")}


def test_the_api_validates_against_the_manifest_the_site_was_built_with(
    published: dict[str, Any],
) -> None:
    """One source: the manifest the API function bundles (made by `make package`) is the one the
    publish function's build of the packaged sources writes to the site."""
    bundled = published["task"] / "chalicelib" / "data" / "consultations.json"
    on_site = published["base"] / "site" / "consultations.json"
    bundled_data, site_data = (json.loads(p.read_text("utf-8")) for p in (bundled, on_site))
    for data in (bundled_data, site_data):
        del data["generated_at"]  # the content files' newest mtime: unzipping changes it
    assert bundled_data == site_data and bundled_data["consultations"]
