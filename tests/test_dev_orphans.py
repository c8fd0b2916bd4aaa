"""A SIGKILLed ``make dev`` leaves nothing behind: DynamoDB Local and ``chalice local`` (in
sessions of their own) die with it and free their ports, so the next ``make dev`` starts. The
lifelines (scripts/lifelines.py) are tested alone first, each on a small parent process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_support import alive, descendants, listeners, start_dev

from scripts import lifelines
from scripts.dynamodb_local import free_port

GRACE = 15.0  # seconds the children get to die after their parent did

# A parent that ties a shell with a background grandchild to itself, from the main thread or
# from a short-lived thread, prints the shell's pid, then waits to be killed.
PARENT = """
import sys, threading, time
from scripts import lifelines

def start():
    proc = lifelines.popen(["sh", "-c", "sleep 60 & sleep 60; wait"])
    print(proc.pid, flush=True)

if sys.argv[1] == "thread":
    worker = threading.Thread(target=start)
    worker.start()
    worker.join()
else:
    start()
time.sleep(120)
"""


def can_listen(port: int) -> bool:
    """A server could listen on ``port`` (SO_REUSEADDR, as every server of the stack binds)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_dead(pids: set[int], timeout: float = GRACE) -> list[int]:
    """The pids still alive after ``timeout`` (none, as soon as they are all gone)."""
    deadline = time.monotonic() + timeout
    while (survivors := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return survivors


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def start_parent(root: Path, mode: str) -> tuple[subprocess.Popen, int, set[int]]:
    """The parent, the tied shell's pid, and the shell's tree (watchdog and sleeps)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, mode], cwd=root, stdout=subprocess.PIPE, text=True
    )
    leader = int(parent.stdout.readline())
    tree = {leader}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the shell's two sleeps and the watchdog
        tree = {leader} | descendants(leader)
        if sum(cmdline(pid).strip() == "sleep 60" for pid in tree) == 2:
            break
        time.sleep(0.1)
    return parent, leader, tree


def test_popen_child_is_the_command():
    """``proc`` is the command itself: its pid, its exit status, its process group."""
    assert lifelines.popen(["sh", "-c", "exit 3"]).wait(timeout=10) == 3
    proc = lifelines.popen(["sleep", "60"])
    try:
        deadline = time.monotonic() + 10
        while cmdline(proc.pid).strip() != "sleep 60" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cmdline(proc.pid).strip() == "sleep 60"
        assert os.getpgid(proc.pid) == proc.pid == os.getsid(proc.pid)
        os.killpg(proc.pid, signal.SIGTERM)  # the clean stop of dynamodb_local and api_local
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        kill_all({proc.pid})


@pytest.mark.parametrize("mode", ["main", "thread"])
def test_tree_dies_with_a_killed_parent(root, mode):
    """Main thread: PDEATHSIG and the pipe. From a thread that has ended: the pipe alone (a
    PDEATHSIG would already have killed the child when that thread exited)."""
    parent, _, tree = start_parent(root, mode)
    try:
        assert len(tree) >= 4, [cmdline(pid) for pid in tree]  # shell, watchdog, two sleeps
        time.sleep(0.5)
        assert set(wait_dead(tree, 0)) == tree  # all alive while the parent lives
        parent.kill()
        parent.wait(timeout=10)
        assert wait_dead(tree) == [], [cmdline(pid) for pid in tree if alive(pid)]
    finally:
        parent.kill()
        kill_all(tree)


def test_pdeathsig_alone_kills_the_child(root):
    """With the watchdog gone, the kernel's PDEATHSIG still kills the command (not its own
    children: the watchdog is what covers those)."""
    parent, leader, tree = start_parent(root, "main")
    try:
        watchdogs = [pid for pid in tree if "lifelines.py" in cmdline(pid)]
        assert len(watchdogs) == 1
        os.kill(watchdogs[0], signal.SIGKILL)
        assert wait_dead(set(watchdogs)) == []
        assert alive(leader)
        parent.kill()
        parent.wait(timeout=10)
        assert wait_dead({leader}) == []
    finally:
        parent.kill()
        kill_all(tree)


def test_wrapper_gives_up_when_the_parent_is_already_gone():
    """The parent died between the fork and the lifelines being set: the child must not run
    (told to expect another parent pid, the wrapper sees the same thing as an orphan)."""
    read_fd, write_fd = os.pipe()
    try:
        cmd = lifelines.wrapper_command(
            ["sleep", "60"], read_fd=read_fd, parent_pid=os.getpid() + 1, pdeathsig=True
        )
        started = time.monotonic()
        done = subprocess.run(cmd, pass_fds=(read_fd,), timeout=20, capture_output=True)
        assert done.returncode == 1, done.stderr
        assert time.monotonic() - started < 10
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_ensure_free_sees_a_listener_not_time_wait():
    """dev.py's port check fails on a listener, not on the TIME_WAIT connections a stopped or
    killed stack leaves behind (which would block the next ``make dev`` for a minute)."""
    from scripts.dev import DevError, ensure_free

    port = free_port()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        with pytest.raises(DevError):
            ensure_free(port, "test")
        with socket.create_connection(("127.0.0.1", port)) as client:
            served, _ = listener.accept()
            served.close()  # the server closes first, as HTTP/1.0 servers do: TIME_WAIT
            client.recv(1)
    ensure_free(port, "test")


@pytest.mark.slow
@pytest.mark.xdist_group("dev_stack")
def test_killed_dev_leaves_no_orphans(root, tmp_path):
    """SIGKILL scripts/dev.py once it is up: DynamoDB Local and chalice local go within
    seconds and the next ``make dev`` finds its three ports free."""
    local = tmp_path / "local"
    ports = {
        "DIAVOULEFSI_SITE_PORT": free_port(),
        "DIAVOULEFSI_API_PORT": free_port(),
        "DIAVOULEFSI_DYNAMODB_PORT": free_port(),
        "DIAVOULEFSI_SMTP_PORT": free_port(),
    }
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "DIAVOULEFSI_LOCAL_DIR": str(local),
        "DIAVOULEFSI_PUBLISH_INTERVAL": "3600",
    }
    log_path = tmp_path / "dev.log"
    proc = start_dev(root, env, log_path)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        while not (local / "dev.json").exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "dev.json was not written within 240 s"
            time.sleep(0.5)
        assert proc.poll() is None, log_path.read_text()[-3000:]
        info = json.loads((local / "dev.json").read_text())
        assert info["dynamodb_endpoint"].endswith(f":{ports['DIAVOULEFSI_DYNAMODB_PORT']}")
        children = descendants(proc.pid)
        commands = [cmdline(pid) for pid in children]
        assert any("DynamoDBLocal.jar" in command for command in commands), commands
        assert any("api_local.py local" in command for command in commands), commands

        proc.kill()
        proc.wait(timeout=10)
        survivors = wait_dead(children)
        assert survivors == [], [cmdline(pid) for pid in survivors]
        # A port may be free, or already reused by another test's server (the ports come from
        # the shared ephemeral range): never by a process of the killed stack.
        held = {name: listeners(port) for name, port in ports.items() if not can_listen(port)}
        assert not any(pids & (children | {proc.pid}) for pids in held.values()), held
    finally:
        proc.kill()
        kill_all(children)
