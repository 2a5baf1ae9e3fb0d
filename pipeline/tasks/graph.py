"""roles.yaml -> doit task dicts: one `tick:<step>` task per step of the role, chained with task_dep."""
from __future__ import annotations

from typing import Iterator

from doit import get_var
from doit.exceptions import TaskFailed

from pipeline.config.roles import Role, resolve_role
from pipeline.errors import FatalError
from pipeline.masking import mask
from pipeline.mirror.context import run_config
from pipeline.tasks.reporter import MirrorReporter
from pipeline.tasks.runstep import flag, run_check, run_fleet, run_step

STEP_DOCS = {
    "resolve": "map ~/.claude/projects/<encoded>/ dirs to identity keys",
    "snapshot": "copy memory/ subtrees into the mirror work tree",
    "commit": "build the snapshot commit on the base, on the host branch",
    "seed": "publish this machine's snapshot as main when origin has none",
    "fetch": "read origin/main",
    "accept-trusted": "merge clean, signed proposals of rostered hosts into the fetched main",
    "merge": "merge origin/main into local memory (three-way)",
    "resnapshot": "snapshot again to include what merge wrote",
    "push": "publish the host branch (and main, for push-main roles)",
}


def doit_config() -> dict:
    return {"default_tasks": ["tick"], "reporter": MirrorReporter, "verbosity": 2, "backend": "memory"}


def current_role() -> Role:
    settings, table = run_config()
    override = get_var("role")
    return table.get(override) if override else resolve_role(settings, table)


def _fail(message: str):
    def action():
        return TaskFailed(message)

    return action


def _say(message: str):
    def action():
        print(message)

    return action


def task_tick() -> Iterator[dict]:
    """One tick of the memory mirror: the steps of this machine's role (roles.yaml), in order."""
    try:
        role = current_role()
    except FatalError as exc:  # bad configuration: the tick fails with the message, `doit list` still works
        yield {"basename": "tick", "doc": "one tick of the memory mirror", "actions": [_fail(mask(str(exc)))]}
        return
    if not role.steps:
        yield {"basename": "tick", "doc": "one tick of the memory mirror", "verbosity": 2,
               "actions": [_say(f"role {role.name}: nothing to do (set MEMORY_MIRROR_ROLE to sync)")]}
        return
    yield {"name": None, "doc": f"one tick of the memory mirror (role {role.name}: {' -> '.join(role.steps)})"}
    for index, step in enumerate(role.steps):
        yield {
            "name": step,
            "doc": STEP_DOCS[step],
            "actions": [(run_step, [step], {"first": index == 0, "last": index == len(role.steps) - 1})],
            "task_dep": [f"tick:{role.steps[index - 1]}"] if index else [],
            "uptodate": [False],
            "verbosity": 2,
        }


def _chain_up_to(step: str) -> list[str]:
    """task_dep that refreshes the snapshot first, when this machine's role takes snapshots at all."""
    try:
        steps = current_role().steps
    except FatalError:
        return []
    return [f"tick:{step}"] if step in steps else []


def _fleet_task(action, after_snapshot: bool) -> dict:
    """A fleet command as a task; `after_snapshot` refreshes this machine's snapshot first (the chain to commit)."""
    return {
        "actions": [action],
        "task_dep": _chain_up_to("commit") if after_snapshot else [],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_propose() -> dict:
    """Propose this machine's memory changes to main (a proposal branch, and a PR on GitHub); auto_merge=1 arms it."""
    return _fleet_task(lambda: run_fleet("propose", auto_merge=flag("auto_merge")), after_snapshot=True)


def task_sweep() -> dict:
    """Delete remote host and proposal branches merged into main and idle over idle_days; dry_run=1 only shows."""
    return _fleet_task(lambda: run_fleet("sweep", idle_days=get_var("idle_days")), after_snapshot=False)


def task_migrate() -> dict:
    """Move a v1/v2 mirror (raw encoded dirs on main) to the by-project layout; confirm=1 does it."""
    # only a confirmed run snapshots first: the dry run writes nothing, not even a local commit
    return _fleet_task(lambda: run_fleet("migrate", dry_run=not flag("confirm"), confirm=flag("confirm")),
                       after_snapshot=flag("confirm"))


def task_check() -> dict:
    """Check what ref=<branch|commit> brings to main (main=<ref>, else origin/main) in the clone repo=<dir> (else
    the current dir): memory files only, no symlink, oversized file, secret or case collision, signed when a
    trust tier's roster lists its host; fails naming each problem."""
    return {"actions": [lambda: run_check(get_var("ref", ""), get_var("main"), get_var("repo"))],
            "uptodate": [False], "verbosity": 2}


def namespace() -> dict:
    """What doit loads tasks from, for `memory-sync` (the repo's dodo.py exposes the same)."""
    return {"DOIT_CONFIG": doit_config(), "task_tick": task_tick, "task_propose": task_propose,
            "task_sweep": task_sweep, "task_migrate": task_migrate, "task_check": task_check}
