"""The doit action behind every `tick:<step>` task: build the context, hold the lock, run the step.

A FatalError becomes a doit TaskFailed carrying its one-line message; the outcome is recorded for status.
"""
from __future__ import annotations

import importlib
import time

from doit import get_var
from doit.exceptions import TaskFailed

from pipeline.context import Context, load_context
from pipeline.errors import FatalError
from pipeline.lock import hold_tick_lock
from pipeline.masking import mask
from pipeline.remote import check_remote

TOUCHES_REMOTE = ("fetch", "push")


def flag(name: str) -> bool:
    return str(get_var(name, "") or "").lower() in ("1", "true", "yes", "on")


def _record(ctx: Context, ok: bool, message: str) -> None:
    if not ctx.dry_run:
        ctx.state.write("last_tick", {"time": int(time.time()), "ok": ok, "role": ctx.role.name,
                                      "message": message})


def run_step(step: str, first: bool, last: bool) -> TaskFailed | None:
    ctx = None
    try:
        ctx = load_context(dry_run=flag("dry_run"), role_name=get_var("role"))
        if first and not ctx.dry_run and any(s in ctx.role.steps for s in TOUCHES_REMOTE):
            check_remote(ctx)  # configuration and the remote are checked before anything is written
        if not ctx.dry_run:
            hold_tick_lock(ctx.settings.home / "tick.lock", float(get_var("wait", "600")), echo=ctx.say)
        if ctx.dry_run:
            ctx.say(f"[{step}]")
        importlib.import_module(f"pipeline.steps.{step}").run(ctx)
        if last:
            _record(ctx, True, "ok")
    except FatalError as exc:
        message = mask(str(exc))
        if ctx is not None:
            ctx.log.error("tick:%s failed: %s", step, message)
            _record(ctx, False, f"{step}: {message}")
        return TaskFailed(message)
    return None
