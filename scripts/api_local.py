"""Run the API under ``chalice local`` (the same app that deploys to Lambda) for the dev stack,
the benchmarks and the browser tests.

    proc = start_api(8010, {"TABLE_NAME": ..., "DYNAMODB_ENDPOINT": ..., ...})
    ...
    stop_api(proc)

The given environment wins over the defaults below (dev values, never secrets) and over the
stage's environment_variables in lambdas/.chalice/config.json (see ``serve``).
``chalice local`` reports every client as 127.0.0.1; the API then takes the client address from
``X-Forwarded-For`` (see chalicelib.guards), so a caller can stand in for many networks.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import requests

from chalicelib import links
from scripts import lifelines
from scripts.dynamodb_local import DUMMY_ENV

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"

DEV_ENV = {
    **DUMMY_ENV,
    "STAGE": "dev",
    "TABLE_NAME": "diavoulefsi",
    "SITE_URL": "http://127.0.0.1:8000",
    "SITE_ORIGINS": "http://127.0.0.1:8000",
    "IP_HASH_KEY": "dev-only-ip-hash-key",
    "PYTHONUNBUFFERED": "1",
}


LISTEN_BACKLOG = 128

# The private links' routes carry their secret in the path: the access log keeps the prefix.
PRIVATE_PATHS = re.compile(
    "(" + "|".join(map(re.escape, links.SECRET_PREFIXES)) + ")[^\\s\"']*", re.IGNORECASE
)


def redact(line: str) -> str:
    """``line`` with everything after a private link's prefix replaced by ``…``."""
    return PRIVATE_PATHS.sub("\\1…", line)


class ApiStartError(RuntimeError):
    """chalice local exited or did not answer /v1/health in time."""


def chalice_command(port: int, autoreload: bool = False) -> list[str]:
    """``chalice local`` on 127.0.0.1:``port``, stage dev, through ``serve`` below."""
    args = ["local", "--host", "127.0.0.1", "--port", str(port), "--stage", "dev"]
    return [sys.executable, str(Path(__file__).resolve()), *args] + (
        [] if autoreload else ["--no-autoreload"]
    )


def serve(argv: list[str]) -> int:
    """The child process: chalice's own CLI, with four local-only changes. The caller's
    environment wins over the stage's environment_variables (chalice local would otherwise
    let config.json override TABLE_NAME and the rest); the listen queue is longer than
    socketserver's 5, which resets connections under a burst of concurrent clients;
    Nagle's algorithm is off: the handler sends the headers and the body in two writes, so
    the body waited for the client's delayed ACK, 40 ms on every answer (API Gateway has
    no such delay); and the access log (one line per request, with its path) leaves out the
    private links' tokens (``redact``), which must never reach a log."""
    from chalice.cli import factory, main
    from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

    ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    ChaliceRequestHandler.disable_nagle_algorithm = True
    log_message = ChaliceRequestHandler.log_message

    def log_redacted(self: Any, format: str, *args: Any) -> None:
        log_message(self, "%s", redact(format % args))

    ChaliceRequestHandler.log_message = log_redacted
    load = factory.CLIFactory.load_chalice_app

    def load_keeping_env(self: Any, environment_variables: Any = None, **kwargs: Any) -> Any:
        stage_env = environment_variables or {}
        kept = {k: v for k, v in stage_env.items() if k not in os.environ}
        return load(self, kept, **kwargs)

    factory.CLIFactory.load_chalice_app = load_keeping_env  # type: ignore[method-assign,assignment]
    sys.argv = [str(Path(__file__).resolve()), *argv]  # what the reloader re-runs
    return main()


def start_api(
    port: int,
    env: dict[str, str],
    timeout: float = 60.0,
    autoreload: bool = False,
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Start ``chalice local`` on 127.0.0.1:``port`` and wait until /v1/health answers.

    Its output (the API's JSON log lines) goes to ``log_path`` if given, else is discarded.
    """
    full_env = {**os.environ, **DEV_ENV, **env}
    out: IO[bytes] | int = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = lifelines.popen(  # its own session (the reloader's worker too); dies with this process
        chalice_command(port, autoreload),
        cwd=LAMBDAS,
        env=full_env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    if not isinstance(out, int):
        out.close()  # the child keeps its own descriptor
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/v1/health", timeout)
    except ApiStartError:
        stop_api(proc)
        raise
    return proc


def _wait_healthy(proc: subprocess.Popen, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ApiStartError(f"chalice local exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise ApiStartError(f"{url} did not answer within {timeout} s")


def stop_api(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop the chalice local process group (the reloader's worker too)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
