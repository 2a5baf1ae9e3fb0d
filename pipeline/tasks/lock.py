"""One tick at a time per machine: an advisory file lock held until the process ends."""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from pipeline.errors import FatalError

TICK_LOCK = "tick.lock"  # under $AGENTIHOOKS_HOME; also held by the commands that write into memory dirs

# the lock belongs to the process: every step of one tick run shares it, and the OS drops it at exit
_held: dict[str, int] = {}


def hold_tick_lock(path: Path, wait_seconds: float, echo=print) -> None:
    key = str(path)
    if key in _held:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if time.monotonic() >= deadline:
                os.close(fd)
                raise FatalError(
                    f"another tick is running (pid {holder}); skipped this one. It runs again next interval."
                ) from None
            if not said:
                echo(f"another tick is running (pid {holder}); waiting for it to finish")
                said = True
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _held[key] = fd


def release_tick_locks() -> None:
    """Let go of the locks this process holds, so a long-lived process (the daemon) does not keep them."""
    for fd in _held.values():
        os.close(fd)
    _held.clear()
