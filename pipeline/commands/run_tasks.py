"""Run doit tasks in process, exactly as `doit <task>` from the repo root would."""
from __future__ import annotations

from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from pipeline.graph import namespace


def run_tasks(*argv: str) -> int:
    return DoitMain(ModuleTaskLoader(namespace())).run(list(argv))
