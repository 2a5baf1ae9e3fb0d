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

from pipeline.config.roles import Role, load_roles, resolve_role
from pipeline.config.settings import Settings, load_settings
from pipeline.crash import EXIT_CRASH, crash_message
from pipeline.errors import FatalError
from pipeline.rules.memory_only import MEMORY, PROJECT_DIR_NAME, TEMP_MARKER
from pipeline.services.supervise import StopFlag, install_sigterm_handler
from pipeline.services.watch import Changes, watch
from pipeline.tasks.run import run_tasks, run_tick

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


class _Watch:
    """The watch on the Claude projects dir, following the configuration: started once the dir exists, moved when
    MEMORY_MIRROR_CLAUDE_PROJECTS changes, dropped when the role stops taking snapshots."""

    def __init__(self) -> None:
        self.projects = ""
        self.changes = Changes(lambda path: memory_dir_of(path, self.projects) is not None)
        self.observer = None

    def follow(self, projects: Path | None) -> bool:
        """Watch `projects` (None: nothing); True when a watch began, so earlier changes are unknown."""
        if projects is not None and str(projects) == self.projects and self.observer is not None:
            return False
        self.close()
        if projects is None or not projects.is_dir():
            return False
        self.projects = str(projects)
        self.observer = watch(projects, self.changes)
        return True

    def dirs(self) -> set[str]:
        return _dirs(self.changes.take(), self.projects)

    def close(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None


def _reload(settings: Settings, role: Role) -> tuple[Settings, Role]:
    """.env and roles.yaml as they are now: a daemon follows an edit of either at its next tick. A bad edit keeps
    the last good values here; the tick itself reports what is wrong."""
    try:
        fresh = load_settings()
        return fresh, resolve_role(fresh, load_roles(fresh.roles_file))
    except FatalError:
        return settings, role


def serve(settings: Settings, role: Role) -> None:
    stop: StopFlag = install_sigterm_handler()
    memory = _Watch()
    log(f"started: role {role.name}, tick every {settings.interval}s")
    next_tick = 0.0
    ticks = 0
    pending: set[str] = set()  # dirs whose change-triggered snapshot failed: the next tick looks at them again
    try:
        while not stop():
            if time.monotonic() >= next_tick:
                fresh, role = _reload(settings, role)
                if (fresh.interval, fresh.claude_projects) != (settings.interval, settings.claude_projects):
                    log(f"configuration changed: role {role.name}, tick every {fresh.interval}s")
                settings = fresh
                if memory.follow(settings.claude_projects if "commit" in role.steps else None):
                    ticks = 0  # what happened before the watch began is only known from a full walk
                pending |= memory.dirs()
                full = memory.observer is None or ticks % FULL_SCAN_EVERY == 0
                code = _quietly(run_tick, "wait=0", *([] if full else [f"changed={','.join(sorted(pending))}"]))
                if code == 0:
                    pending.clear()
                ticks += 1
                log("tick ok" if code == 0 else f"tick failed (exit {code}); see the lines above, retrying next interval")
                next_tick = time.monotonic() + settings.interval
                continue
            if memory.changes.wait(min(POLL_SECONDS, max(0.0, next_tick - time.monotonic()))) and not stop():
                time.sleep(DEBOUNCE_SECONDS)
                dirs = memory.dirs()
                code = _quietly(run_tasks, "tick:commit", f"changed={','.join(sorted(dirs))}", "wait=30")
                if code != 0:
                    pending |= dirs
                log(f"memory changed in {len(dirs)} project dir(s): snapshot "
                    + ("committed" if code == 0 else f"failed (exit {code})"))
    finally:
        memory.close()
        log("stopped")
