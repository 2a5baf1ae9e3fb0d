"""Run doit tasks in process, exactly as `doit <task>` from the repo root would."""
from __future__ import annotations

import functools
from importlib.metadata import entry_points

from doit import plugin
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from pipeline.context import end_run
from pipeline.graph import namespace
from pipeline.lock import release_tick_locks
from pipeline.runstep import exit_code_of_run
from pipeline.state import new_run


# doit looks up its plugins in every installed package's metadata on each run; a daemon ticking every minute
# asks the same question each time, so the answer is kept for the life of the process
_entry_points = functools.cache(entry_points)
plugin.entry_points_impl = lambda: _entry_points


def run_tasks(*argv: str) -> int:
    """One run (a tick, a fleet command); a step that failed with its own exit code (3: stood down, 70: a bug)
    keeps it, where doit says 1."""
    new_run()
    try:
        code = DoitMain(ModuleTaskLoader(namespace())).run(list(argv))
    finally:
        end_run()
        release_tick_locks()
    return (exit_code_of_run() or code) if code else 0


def run_tick(*argv: str) -> int:
    return run_tasks("tick", *argv)
