"""gitfoam as the pusher: our process holds the pusher's PID file and runs `gitfoam daemon` as its child, under our
config and a HOME of our own (see pipeline/tools/gitfoam.py), so it mirrors our live tree and nothing else.

gitfoam writes no PID file and has no readiness signal of its own; running it under our supervision gives it
both, so `status`, `stop` and `kill $(cat ~/.agentihooks/gitfoam.pid)` work alike for either pusher. Its output
goes to logs/gitfoam.log; the files it holds back as secrets are copied into our blocked.log. A gitfoam that
exits on its own is logged and started again, and so is one that holds back a file which has changed since (it
would never look at that file again).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path

from pipeline.config.settings import Settings
from pipeline.mirror import blocked
from pipeline.services.supervise import StopFlag, install_sigterm_handler, interruptible_sleep
from pipeline.tools import gitfoam

RESTART_SECONDS = 5.0
STOP_SECONDS = 5.0
POLL_SECONDS = 0.5


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} gitfoam-supervisor[{os.getpid()}] {message}", flush=True)


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class BlockedRelay:
    """Copies each new line of gitfoam's blocked.log (`epoch<TAB>reason<TAB>path`) into ours, and remembers each
    file it names as it was then: gitfoam never looks at a file it blocked again for the life of its process."""

    def __init__(self, settings: Settings, live: Path):
        self.settings = settings
        self.source = gitfoam.blocked_log(settings)
        self.live = str(live) + os.sep
        self.offset = self.source.stat().st_size if self.source.exists() else 0
        self.held: dict[str, tuple[int, int] | None] = {}

    def changed(self) -> bool:
        """True when a file gitfoam blocked has changed since (fixed, perhaps): a new gitfoam must look again."""
        return any(_stamp(path) != stamp for path, stamp in self.held.items())

    def forget(self) -> None:
        self.held.clear()

    def relay(self) -> None:
        try:
            with open(self.source, "rb") as log_file:
                log_file.seek(self.offset)
                data = log_file.read()
        except FileNotFoundError:
            return
        whole = data[:data.rfind(b"\n") + 1]
        self.offset += len(whole)
        for line in whole.decode("utf-8", "replace").splitlines():
            _epoch, _tab, rest = line.partition("\t")
            reason, _tab, path = rest.partition("\t")
            shown = path[len(self.live):] if path.startswith(self.live) else path
            blocked.record(self.settings, shown, f"gitfoam held it back ({reason})")
            self.held[path if os.path.isabs(path) else self.live + path] = _stamp(path)


def serve(binary: Path, settings: Settings, live: Path) -> None:
    stop: StopFlag = install_sigterm_handler()
    relay = BlockedRelay(settings, live)
    log(f"started: running {binary} daemon for {live} -> {settings.live_branch}")
    while not stop():
        child = subprocess.Popen(gitfoam.daemon_argv(binary), stdin=subprocess.DEVNULL, cwd=live,
                                 env=gitfoam.env(settings))
        while child.poll() is None and not stop() and not relay.changed():
            interruptible_sleep(POLL_SECONDS, stop)
            relay.relay()
        if child.poll() is None:
            _end(child)
            if stop():
                break
            log("a file gitfoam held back has changed; starting it again so it looks at the file anew")
            relay.forget()
            continue
        log(f"gitfoam exited with status {child.returncode}; starting it again in {RESTART_SECONDS:.0f}s")
        relay.forget()
        interruptible_sleep(RESTART_SECONDS, stop)
    relay.relay()
    log("stopped")


def _end(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            child.kill()
        child.wait()
