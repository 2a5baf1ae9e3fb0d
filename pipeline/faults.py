"""Crash points, for proving crash consistency: MEMORY_MIRROR_CRASH=<point> kills this process at that point
with SIGKILL, as a power cut would. Points: before:<step>, after:<step>, snapshot:mid, merge:mid, commit:mid.
MEMORY_MIRROR_CRASH=raise:<point> raises an unexpected exception there instead, as a bug would.

A full disk, for machines where a small filesystem cannot be mounted: MEMORY_MIRROR_DISK_FULL=<dir> makes every
atomic write of a file under <dir> fail with ENOSPC once its temp file exists, as a write to a full disk does."""
from __future__ import annotations

import errno
import os
import signal


class InjectedFault(RuntimeError):
    pass


def crash_point(name: str) -> None:
    wanted = os.environ.get("MEMORY_MIRROR_CRASH")
    if wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if wanted == f"raise:{name}":
        raise InjectedFault(f"injected fault at {name}")


def disk_full_point(path: str | os.PathLike) -> None:
    full = os.environ.get("MEMORY_MIRROR_DISK_FULL")
    if full and os.path.abspath(path).startswith(os.path.join(os.path.abspath(full), "")):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


EDITED_LINE = b"edited while the merge ran\n"
_edited: set[str] = set()


def edit_point(path: str | os.PathLike) -> None:
    name = os.environ.get("MEMORY_MIRROR_EDIT_DURING")
    if name and os.path.basename(path) == name and name not in _edited and os.path.isfile(path):
        _edited.add(name)
        with open(path, "ab") as handle:
            handle.write(EDITED_LINE)
