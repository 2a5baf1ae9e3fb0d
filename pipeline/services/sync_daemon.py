"""The sync daemon: a tick every MEMORY_MIRROR_INTERVAL_SEC, and between ticks a watch on the memory dirs so
that an edit is snapshotted and committed at once (the pusher then publishes it within a second).

A failing tick is logged and retried next interval; it never ends the daemon. SIGTERM ends it between
steps, never in the middle of a write.
"""
from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

from pipeline.commands.run_tasks import run_tasks, run_tick
from pipeline.config import Settings
from pipeline.crash import EXIT_CRASH, crash_message
from pipeline.daemon import StopFlag, install_sigterm_handler
from pipeline.paths import MEMORY, PROJECT_DIR_NAME, TEMP_MARKER
from pipeline.roles import Role
from pipeline.watch import Changes, watch

DEBOUNCE_SECONDS = 0.025  # an editor's write comes as several events: gather them into one snapshot
POLL_SECONDS = 0.2  # how often the loop looks at its stop flag while waiting
# between full walks of every memory dir, a tick trusts the watcher's word on which dirs changed; the walk
# every FULL_SCAN_EVERY ticks catches anything it missed (an overflowed inotify queue)
FULL_SCAN_EVERY = 10


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} sync-daemon[{os.getpid()}] {message}", flush=True)


def memory_dir_of(path: str, projects: str) -> str | None:
    """The encoded project dir whose memory/ holds `path`, or None for anything else (transcripts...)."""
    if not path.startswith(projects + os.sep):
        return None
    parts = path[len(projects) + 1:].split(os.sep)
    if len(parts) < 2 or parts[1] != MEMORY or not PROJECT_DIR_NAME.match(parts[0]) or TEMP_MARKER in parts[-1]:
        return None
    return parts[0]


def _dirs(paths: set[str], projects: str) -> set[str]:
    return {memory_dir_of(path, projects) for path in paths} - {None}


def _quietly(run, *argv: str) -> int:
    """Tick output goes to sync-daemon.log through the tick's own logger; stdout would repeat it. A bug in one
    run is logged with its crash log and the daemon goes on: the next tick may well work."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return run(*argv)
    except Exception as exc:
        log(crash_message(exc, f"sync daemon ({' '.join(argv)})"))
        return EXIT_CRASH


def serve(settings: Settings, role: Role) -> None:
    stop: StopFlag = install_sigterm_handler()
    projects = str(settings.claude_projects)
    watches_memory = "commit" in role.steps
    changes = Changes(lambda path: memory_dir_of(path, projects) is not None)
    observer = None
    log(f"started: role {role.name}, tick every {settings.interval}s"
        + (f", watching {projects}" if watches_memory else ""))
    next_tick = 0.0
    ticks = 0
    pending: set[str] = set()  # dirs whose change-triggered snapshot failed: the next tick looks at them again
    try:
        while not stop():
            if watches_memory and observer is None and Path(projects).is_dir():
                observer = watch(Path(projects), changes)
                ticks = 0  # what happened before the watch began is only known from a full walk
            if time.monotonic() >= next_tick:
                pending |= _dirs(changes.take(), projects)
                hint = [] if observer is None or ticks % FULL_SCAN_EVERY == 0 else [f"changed={','.join(sorted(pending))}"]
                code = _quietly(run_tick, "wait=0", *hint)
                if code == 0:
                    pending.clear()
                ticks += 1
                log("tick ok" if code == 0 else f"tick failed (exit {code}); see the lines above, retrying next interval")
                next_tick = time.monotonic() + settings.interval
                continue
            if changes.wait(min(POLL_SECONDS, max(0.0, next_tick - time.monotonic()))) and not stop():
                time.sleep(DEBOUNCE_SECONDS)
                dirs = _dirs(changes.take(), projects)
                code = _quietly(run_tasks, "tick:commit", f"changed={','.join(sorted(dirs))}", "wait=30")
                if code != 0:
                    pending |= dirs
                log(f"memory changed in {len(dirs)} project dir(s): snapshot "
                    + ("committed" if code == 0 else f"failed (exit {code})"))
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
        log("stopped")
