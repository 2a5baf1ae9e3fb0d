"""Run doit tasks in process, exactly as `doit <task>` from the repo root would."""
from __future__ import annotations

import time

import functools
from importlib.metadata import entry_points

from doit import plugin
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from pipeline.config import load_settings
from pipeline.errors import FatalError
from pipeline.graph import namespace
from pipeline.lock import release_tick_locks
from pipeline.state import State


# doit looks up its plugins in every installed package's metadata on each run; a daemon ticking every minute
# asks the same question each time, so the answer is kept for the life of the process
_entry_points = functools.cache(entry_points)
plugin.entry_points_impl = lambda: _entry_points


def run_tasks(*argv: str) -> int:
    try:
        return DoitMain(ModuleTaskLoader(namespace())).run(list(argv))
    finally:
        release_tick_locks()


def run_tick(*argv: str) -> int:
    """Run the tick; a step that failed with its own exit code (3: stood down) keeps it, where doit says 1."""
    started = int(time.time())
    code = run_tasks("tick", *argv)
    if code == 0:
        return 0
    try:
        last = State(load_settings().state_dir).read("last_tick", {})
    except FatalError:  # the configuration itself was the problem, and the tick said so
        return code
    return last.get("exit") or code if last.get("time", 0) >= started else code
