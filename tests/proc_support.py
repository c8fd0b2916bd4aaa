"""Processes as /proc shows them, for the tests that check nothing outlives the dev stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def start_dev(root: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``scripts/dev.py`` as ``make dev`` runs it, in a session of its own, its output to
    ``log_path``."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, str(root / "scripts" / "dev.py")],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, whatever session it started."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie (the container's init may never reap the killed)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def listeners(port: int) -> set[int]:
    """The processes listening on TCP ``port`` (IPv4 or IPv6), from /proc/net and their fds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        if inodes & {_link(fd) for fd in fds}:
            found.add(int(entry.name))
    return found


def _link(fd: Path) -> str:
    try:
        return str(fd.readlink())
    except OSError:  # closed meanwhile
        return ""
