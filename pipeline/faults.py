"""Crash points, for proving crash consistency: MEMORY_MIRROR_CRASH=<point> kills this process at that point
with SIGKILL, as a power cut would. Points: before:<step>, after:<step>, snapshot:mid, merge:mid, commit:mid."""
from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    if os.environ.get("MEMORY_MIRROR_CRASH") == name:
        os.kill(os.getpid(), signal.SIGKILL)
