"""Our background processes (sync-daemon, gitfoam): started detached, told apart from a reused PID, stopped safely.

`$AGENTIHOOKS_HOME/<name>.pid` names the process by pid, start time and boot, so a PID the kernel handed to
another program after ours died reads as stale instead of being signalled. On the daemon side SIGTERM only
sets a flag, which the loop reads between units of work: a stop never lands mid-write.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import subprocess
import time
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from pipeline.errors import FatalError
from pipeline.fsops import atomic_write
from pipeline.tools.run import format_cmd

_POLL_SECONDS = 0.05
_KILL_WAIT_SECONDS = 5.0  # a SIGKILLed process is gone by then unless it is stuck in the kernel
# the daemons this process started: polling one reaps its zombie, and holding the Popen keeps subprocess
# from reaping (and so freeing) the pid behind our back
_children: dict[int, subprocess.Popen] = {}


def pid_file(home: Path, name: str) -> Path:
    return home / f"{name}.pid"


def log_file(home: Path, name: str) -> Path:
    return home / "logs" / f"{name}.log"


@dataclass(frozen=True)
class _Identity:
    pid: int
    start_time: int  # /proc/<pid>/stat field 22, clock ticks after boot: a reused pid has another one
    boot_id: str  # start times begin again at each boot, and the PID file outlives a reboot


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def _probe(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of process `pid`, None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # field 2, the command name, may hold spaces and parentheses: count the fields after its last ")"
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], int(fields[19])


def _running(ident: _Identity) -> bool:
    """True while the process `ident` names exists, is not a zombie, and is the one that was recorded."""
    probe = _probe(ident.pid)
    return (
        probe is not None
        and probe[0] not in ("Z", "X")
        and probe[1] == ident.start_time
        and ident.boot_id == _boot_id()
    )


def _read(path: Path) -> _Identity | None:
    try:
        data = json.loads(path.read_text())
        ident = _Identity(int(data["pid"]), int(data["start_time"]), str(data["boot_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        # missing, or not ours to interpret: nothing we could safely signal
        return None
    return ident if ident.pid > 0 else None


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]


@contextmanager
def _locked(home: Path, name: str) -> Iterator[None]:
    """start, stop and status of one name never interleave: two sessions may start the daemon at once, and a
    stale-file removal must not delete the PID file a concurrent start just wrote."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _current(home: Path, name: str) -> _Identity | None:
    """The running process of `name`; a stale PID file is removed. Call with the lock held."""
    path = pid_file(home, name)
    ident = _read(path)
    if ident is not None and _running(ident):
        return ident
    if ident is not None:
        _reap(ident.pid)
    path.unlink(missing_ok=True)
    return None


def status(home: Path, name: str) -> tuple[bool, int | None]:
    """(running, pid) of `name`; a PID file of a dead, zombie or different process is removed."""
    if not pid_file(home, name).exists():
        return False, None  # and no reason to create $AGENTIHOOKS_HOME for the lock
    with _locked(home, name):
        ident = _current(home, name)
    return (True, ident.pid) if ident else (False, None)


def start(home: Path, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    """Start argv detached, output appended to the log; when `name` already runs, return its pid instead.

    `env` is the whole environment of the process (None: ours). It runs in `cwd` (default `home`), never in
    the caller's directory.
    """
    with _locked(home, name):
        ident = _current(home, name)
        if ident is not None:
            return ident.pid
        log = log_file(home, name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            try:
                # a session of its own: the terminal closing or ^C in the caller's shell does not reach it
                child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         env=env, cwd=cwd or home, start_new_session=True)
            except OSError as exc:
                raise FatalError(f"cannot start {name} ({format_cmd(argv)}): {exc.strerror}.") from None
        _children[child.pid] = child
        # an unreaped child keeps its /proc entry even if it has already exited
        _state, start_time = _probe(child.pid)
        atomic_write(pid_file(home, name), json.dumps(asdict(_Identity(child.pid, start_time, _boot_id()))).encode())
        return child.pid


def _wait_gone(ident: _Identity, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _running(ident):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def stop(home: Path, name: str, timeout: float = 10) -> bool:
    """SIGTERM, then SIGKILL after `timeout` seconds; True when something was running. The PID file goes."""
    with _locked(home, name):
        ident = _current(home, name)
        if ident is None:
            return False
        # the leader alone: it finishes its unit of work, including the commands it runs, then exits
        with suppress(ProcessLookupError):
            os.kill(ident.pid, signal.SIGTERM)
        if not _wait_gone(ident, timeout):
            # the whole session (its pgid is its pid): nothing it started may keep writing after it is gone
            with suppress(ProcessLookupError):
                os.killpg(ident.pid, signal.SIGKILL)
            if not _wait_gone(ident, _KILL_WAIT_SECONDS):
                raise FatalError(f"{name} (pid {ident.pid}) did not exit after SIGKILL; see `ps -p {ident.pid}`.")
        _reap(ident.pid)
        pid_file(home, name).unlink(missing_ok=True)
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
        if select.select([flag._wakeup_fd], [], [], left)[0]:
            # other signals wake it too: drain, and sleep on unless the flag is now set
            with suppress(BlockingIOError):
                os.read(flag._wakeup_fd, 512)
    return True
