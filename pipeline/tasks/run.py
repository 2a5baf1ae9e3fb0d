"""Run doit tasks in process, exactly as `doit <task>` from the repo root would."""
from __future__ import annotations

from importlib.metadata import EntryPoint

from doit import plugin
from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from pipeline.mirror.context import end_run
from pipeline.mirror.state import new_run
from pipeline.tasks.graph import namespace
from pipeline.tasks.lock import release_tick_locks
from pipeline.tasks.runstep import exit_code_of_run


# doit looks up its plugins in the metadata of every installed package, on each run (some 12 ms a command). A
# tick's only plugin is our in-memory database, and a doit plugin another package installs must not change what
# a tick runs: doit is told of ours alone. (pyproject.toml still declares it, for `doit` run by hand on dodo.py.)
_OUR_PLUGINS = {"doit.BACKEND": (EntryPoint("memory", "pipeline.tasks.backend:MemoryDB", "doit.BACKEND"),)}
plugin.entry_points_impl = lambda: lambda group: _OUR_PLUGINS.get(group, ())


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
