"""Our background processes (the sync daemon, the pusher): started detached, known alive by a lock, stopped safely.

`$AGENTIHOOKS_HOME/<name>.pid` holds the bare pid on its first line (`kill $(cat ~/.agentihooks/gitfoam.pid)`
works), and the daemon holds an exclusive flock on that file for as long as it lives. The kernel drops the lock
when the process ends, however it ends, so "is it running" is "is the file locked": no /proc, no guess about a
pid the kernel handed to another program, and the same on Linux and macOS.

`start` waits for the daemon to say it is ready (it has imported everything, taken its lock and written its
pid) before it reports it running; a daemon that dies first is reported with the last lines of its log.
On the daemon side SIGTERM only sets a flag, which the loop reads between units of work: a stop never lands
mid-write.
"""
from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

from pipeline.errors import FatalError
from pipeline.tools.run import format_cmd

READY_FD = "MEMORY_MIRROR_READY_FD"  # the pipe a starting daemon writes READY to
READY = b"ready\n"
READY_SECONDS = 60.0  # imports and the lock take well under a second; a loaded machine may take much longer
LOG_TAIL_LINES = 12
_POLL_SECONDS = 0.05
_KILL_WAIT_SECONDS = 5.0  # a SIGKILLed process is gone by then unless it is stuck in the kernel
# the daemons this process started: polling one reaps its zombie
_children: dict[int, subprocess.Popen] = {}


def daemon_argv(which: str) -> list[str]:
    """How our own daemons run: this interpreter, so a daemon sees exactly the packages this install has."""
    return [sys.executable, "-m", "pipeline", "daemon", which]


def pid_file(home: Path, name: str) -> Path:
    return home / f"{name}.pid"


def log_file(home: Path, name: str) -> Path:
    return home / "logs" / f"{name}.log"


def _holder(path: Path) -> int | None:
    """The pid written in `path` while a live process holds its lock; None when nobody does."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            # held: a daemon lives; between taking the lock and writing its pid the file may still be empty
            deadline = time.monotonic() + 1.0
            while True:
                first = os.pread(fd, 32, 0).split(b"\n", 1)[0].strip()
                if first.isdigit() or time.monotonic() >= deadline:
                    return int(first) if first.isdigit() else 0
                time.sleep(0.01)
        return None
    finally:
        os.close(fd)


def _reap(pid: int | None) -> None:
    """A child of ours that let go of its PID file is exiting: wait for it, so no zombie outlives `stop`.

    The kernel closes a dying process's files (releasing the lock) a moment before it becomes a zombie.
    """
    child = _children.pop(pid, None)
    if child is not None:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=_KILL_WAIT_SECONDS)


@contextmanager
def _locked(home: Path, name: str) -> Iterator[None]:
    """start and stop of one name never interleave: two sessions may start the daemon at once."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def status(home: Path, name: str) -> tuple[bool, int | None]:
    """(running, pid) of `name`. A PID file nobody holds is left alone here; start and stop replace it."""
    pid = _holder(pid_file(home, name))
    return (True, pid) if pid is not None else (False, None)


@contextmanager
def serving(home: Path, name: str) -> Iterator[None]:
    """The daemon side: hold `name`'s PID file for the life of the block, and tell whoever started us we are up.

    A second copy (a foreground `memory-sync daemon` beside a started one) finds the lock taken and refuses.
    """
    path = pid_file(home, name)
    home.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FatalError(f"{name} is already running (PID {_holder(path) or '?'}); "
                             "`memory-sync stop` stops it.") from None
        # a stop that found the file stale may have removed it between our open and our lock: lock the one there
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _announce_ready()
    try:
        yield
    finally:
        with suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                path.unlink()
        os.close(fd)


def _announce_ready() -> None:
    ready_fd = os.environ.pop(READY_FD, None)
    if ready_fd is None:
        return  # run in the foreground, by hand or by systemd: nobody is waiting
    with suppress(OSError, ValueError):
        os.write(int(ready_fd), READY)
        os.close(int(ready_fd))


def _log_tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
    except FileNotFoundError:
        return "    (its log is empty)"
    return "\n".join("    " + line for line in lines) or "    (its log is empty)"


def _wait_ready(read_fd: int, child: subprocess.Popen, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    received = b""
    while time.monotonic() < deadline:
        if select.select([read_fd], [], [], max(0.0, min(0.2, deadline - time.monotonic())))[0]:
            chunk = os.read(read_fd, 64)
            received += chunk
            if READY in received:
                return True
            if not chunk:
                return False  # every copy of the write end is closed: it died, or exec'd without the handshake
        elif child.poll() is not None:
            return False
    return False


def start(home: Path, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
          ready_seconds: float = READY_SECONDS) -> int:
    """Start argv detached, output appended to its log, and wait until it says it is ready (see `serving`).

    When `name` already runs, returns its pid instead. `env` is the whole environment of the process (None: ours).
    It runs in `cwd` (default `home`), never in the caller's directory.
    """
    with _locked(home, name):
        running, pid = status(home, name)
        if running:
            return pid
        log = log_file(home, name)
        log.parent.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        try:
            with open(log, "ab") as out:
                try:
                    # a session of its own: the terminal closing or ^C in the caller's shell does not reach it
                    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                             env={**(env or os.environ), READY_FD: str(write_fd)},
                                             cwd=cwd or home, start_new_session=True, pass_fds=(write_fd,))
                except OSError as exc:
                    raise FatalError(f"cannot start {name} ({format_cmd(argv)}): {exc.strerror}.") from None
            os.close(write_fd)
            write_fd = -1
            _children[child.pid] = child
            if _wait_ready(read_fd, child, ready_seconds):
                return child.pid
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        _reap(child.pid)
        raise FatalError(f"{name} did not start ({format_cmd(argv)} "
                         + (f"exited with status {child.returncode}" if child.returncode >= 0 else
                            f"was killed by signal {-child.returncode}")
                         + f"); the last lines of {log}:\n{_log_tail(log)}")


def _wait_gone(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _holder(path) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def stop(home: Path, name: str, timeout: float = 10) -> bool:
    """SIGTERM, then SIGKILL after `timeout` seconds; True when something was running. The PID file goes."""
    path = pid_file(home, name)
    with _locked(home, name):
        pid = _holder(path)
        if pid is None:
            path.unlink(missing_ok=True)
            return False
        if pid <= 0:
            raise FatalError(f"{name} holds {path} but wrote no pid in it; stop it by hand (`fuser {path}`).")
        # the leader alone: it finishes its unit of work, including the commands it runs, then exits
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_gone(path, timeout):
            # the whole session (its pgid is its pid): nothing it started may keep writing after it is gone
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if not _wait_gone(path, _KILL_WAIT_SECONDS):
                raise FatalError(f"{name} (pid {pid}) did not exit after SIGKILL; see `ps -p {pid}`.")
        _reap(pid)
        path.unlink(missing_ok=True)
        return True


class StopFlag:
    """Set by SIGTERM or SIGINT; a daemon loop calls it between units of work and ends when it is true."""

    def __init__(self, wakeup_fd: int) -> None:
        self.requested = False
        self._wakeup_fd = wakeup_fd

    def __call__(self) -> bool:
        return self.requested


def install_sigterm_handler() -> StopFlag:
    """Route SIGTERM and SIGINT to a StopFlag. Call once, from the main thread, before the loop."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    flag = StopFlag(read_end)

    def handler(signum: int, frame: object) -> None:
        flag.requested = True

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    # Python runs `handler` only between bytecodes, so a signal landing just before select() blocks would
    # wait out the whole sleep; the C-level handler writes to this pipe at once, waking the select.
    # (threading.Event.set from a handler can deadlock on the Event's own lock.)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    return flag


def interruptible_sleep(seconds: float, flag: StopFlag) -> bool:
    """Sleep up to `seconds`, returning early once a stop is requested; returns whether one was."""
    deadline = time.monotonic() + seconds
    while not flag():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            woke = select.select([flag._wakeup_fd], [], [], left)[0]
        except InterruptedError:
            continue
        if woke:
            # other signals wake it too: drain, and sleep on unless the flag is now set
            with suppress(BlockingIOError):
                os.read(flag._wakeup_fd, 512)
    return True
