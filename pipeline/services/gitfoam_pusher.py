"""gitfoam as the pusher: our process holds the pusher's PID file and runs `gitfoam daemon` as its child.

gitfoam writes no PID file and has no readiness signal of its own; running it under our supervision gives it
both, so `status`, `stop` and `kill $(cat ~/.agentihooks/gitfoam.pid)` work alike for either pusher. A gitfoam
that exits on its own is logged and started again.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

from pipeline.daemon import StopFlag, install_sigterm_handler, interruptible_sleep
from pipeline.tools.gitfoam import daemon_argv

RESTART_SECONDS = 5.0
STOP_SECONDS = 5.0


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} gitfoam-supervisor[{os.getpid()}] {message}", flush=True)


def serve(binary: Path, mirror: Path) -> None:
    stop: StopFlag = install_sigterm_handler()
    log(f"started: running {binary} daemon for {mirror}")
    while not stop():
        child = subprocess.Popen(daemon_argv(binary), stdin=subprocess.DEVNULL, cwd=mirror)
        while child.poll() is None and not stop():
            interruptible_sleep(0.5, stop)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    child.kill()
                child.wait()
            break
        log(f"gitfoam exited with status {child.returncode}; starting it again in {RESTART_SECONDS:.0f}s")
        interruptible_sleep(RESTART_SECONDS, stop)
    log("stopped")
