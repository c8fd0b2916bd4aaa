"""The CloudFront Function of the site (lambdas/infra/resources.yaml), executed by Node.js the
way CloudFront runs it on viewer requests: directory URLs, the slash redirect, and the publish
machinery's dotfiles kept off the site."""

from __future__ import annotations

import json
import subprocess

import pytest

from scripts import package


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/", {"uri": "/index.html"}),
        ("/diavoulefseis/perivallon/", {"uri": "/diavoulefseis/perivallon/index.html"}),
        (
            "/diavoulefseis/perivallon",
            {"statusCode": 301, "location": "/diavoulefseis/perivallon/"},
        ),
        ("/theme/css/site.css", {"uri": "/theme/css/site.css"}),
        ("/.publish-manifest.json", {"statusCode": 404}),
        ("/pagefind/.hidden", {"statusCode": 404}),
    ],
)
def test_directory_index_function_runs(uri: str, expected: dict) -> None:
    """The CloudFront Function's code, executed by Node.js on viewer requests."""
    code = package.merge_template("prod")["Resources"]["DirectoryIndexFunction"]["Properties"][
        "FunctionCode"
    ]
    script = (
        code
        + "\nconst r = handler({request: {uri: process.argv[1], headers: {}}});"
        + "\nconsole.log(JSON.stringify({uri: r.uri, statusCode: r.statusCode,"
        + " location: r.headers && r.headers.location && r.headers.location.value}));"
    )
    out = subprocess.run(
        ["node", "-e", script, uri], capture_output=True, text=True, check=True, timeout=30
    )
    result = {k: v for k, v in json.loads(out.stdout).items() if v is not None}
    assert result == expected
