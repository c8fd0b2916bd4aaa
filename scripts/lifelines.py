"""Children that die with their parent: a SIGKILLed ``make dev`` (or test worker) must not leave
DynamoDB Local or ``chalice local`` behind holding their ports.

``popen`` starts the command in a session of its own (so ``os.killpg(proc.pid, ...)`` stops the
whole tree, as before) through a tiny wrapper, this file run as a script, which then ``exec``s
the command: ``proc.pid``, its signals and its exit status are the command's own. Two lifelines:

- Linux ``PR_SET_PDEATHSIG``: the kernel SIGKILLs the command when its parent dies. It is set in
  the wrapper, not in a ``preexec_fn`` (not safe with threads), and only when the caller is the
  main thread, since it fires when the *thread* that forked exits.
- Everywhere: a pipe whose write end only this process holds. The wrapper forks a watchdog into
  the command's process group that kills the group (grandchildren too, which PDEATHSIG misses)
  when the pipe reaches EOF, i.e. when this process is gone, however it died.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL = 1.0  # seconds between the watchdog's checks that the command still runs
_lock = threading.Lock()
_pipe: tuple[int, int] | None = None  # (read end, write end), both non-inheritable


def _lifeline() -> int:
    """The read end of this process's lifeline pipe, made once; the write end stays open here
    until the process ends."""
    global _pipe
    with _lock:
        if _pipe is None:
            _pipe = os.pipe()
        return _pipe[0]


def _forget_lifeline() -> None:
    """In a forked child: drop the inherited pipe, or it would keep the parent's children alive
    after the parent died."""
    global _lock, _pipe
    _lock = threading.Lock()  # another thread may have held it at the fork
    if _pipe is not None:
        for fd in _pipe:
            with contextlib.suppress(OSError):
                os.close(fd)
        _pipe = None


os.register_at_fork(after_in_child=_forget_lifeline)


def wrapper_command(
    cmd: Sequence[str], *, read_fd: int, parent_pid: int, pdeathsig: bool
) -> list[str]:
    """``cmd`` run through the wrapper, watching ``read_fd`` and expecting ``parent_pid``."""
    flags = ["--pdeathsig"] if pdeathsig else []
    return [
        sys.executable,
        "-I",
        "-S",
        str(Path(__file__).resolve()),
        str(read_fd),
        str(parent_pid),
        *flags,
        "--",
        *map(str, cmd),
    ]


def popen(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(cmd, **kwargs)`` in a new session, killed with its whole process group
    when this process dies. ``pass_fds`` and ``start_new_session`` are set here."""
    if kwargs.pop("start_new_session", True) is not True or "preexec_fn" in kwargs:
        raise ValueError("lifelines.popen always starts a new session, without preexec_fn")
    read_fd = _lifeline()
    main = threading.current_thread() is threading.main_thread()
    if not main:
        logger.debug("not the main thread: %s gets no PDEATHSIG, only the pipe", cmd[0])
    wrapped = wrapper_command(cmd, read_fd=read_fd, parent_pid=os.getpid(), pdeathsig=main)
    pass_fds = (*kwargs.pop("pass_fds", ()), read_fd)
    return subprocess.Popen(wrapped, start_new_session=True, pass_fds=pass_fds, **kwargs)


def _set_pdeathsig() -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux only; elsewhere the pipe alone)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _watch(fd: int, leader: int) -> None:
    """The watchdog: kill the process group when the pipe reaches EOF (the parent is gone);
    return when the command itself has exited (its children are then its own business)."""
    while os.getppid() == leader:
        ready, _, _ = select.select([fd], [], [], WATCH_INTERVAL)
        if ready and not os.read(fd, 1):
            os.killpg(0, signal.SIGKILL)  # this process too


def _run_wrapper(argv: list[str]) -> int:
    """``lifelines.py READ_FD PARENT_PID [--pdeathsig] -- CMD...``: set the lifelines, then
    become CMD."""
    split = argv.index("--")
    read_fd, parent_pid = int(argv[0]), int(argv[1])
    cmd = argv[split + 1 :]
    if "--pdeathsig" in argv[2:split]:
        _set_pdeathsig()
    if os.getppid() != parent_pid:  # the parent died before (or while) the lifelines were set
        return 1
    leader = os.getpid()
    if os.fork() == 0:
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            for std in (0, 1, 2):  # hold none of the command's pipes or log files open
                os.dup2(devnull, std)
            _watch(read_fd, leader)
        finally:
            os._exit(0)
    os.close(read_fd)
    try:
        os.execvp(cmd[0], cmd)
    except OSError as exc:
        print(f"lifelines: cannot run {cmd[0]}: {exc}", file=sys.stderr)
    return 127


if __name__ == "__main__":
    sys.exit(_run_wrapper(sys.argv[1:]))
