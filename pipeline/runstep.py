"""The doit actions behind the tasks: build the context, hold the lock, run a step (or a fleet command).

A FatalError becomes a doit TaskFailed carrying its one-line message; a tick's outcome is recorded for status.
"""
from __future__ import annotations

import contextlib
import importlib
import time
from typing import Callable

from doit import get_var
from doit.exceptions import TaskFailed

from pipeline.context import Context, load_context
from pipeline.errors import FatalError, disk_full_in, from_os_error
from pipeline.faults import crash_point
from pipeline.lock import TICK_LOCK, hold_tick_lock
from pipeline.masking import mask
from pipeline.remote import check_remote
from pipeline.tools.run import CalledProcessError

TOUCHES_REMOTE = ("fetch", "push")


def flag(name: str) -> bool:
    return str(get_var(name, "") or "").lower() in ("1", "true", "yes", "on")


def _record(ctx: Context, ok: bool, message: str, exit_code: int) -> None:
    if not ctx.dry_run:
        ctx.state.write("last_tick", {"time": int(time.time()), "ok": ok, "role": ctx.role.name,
                                      "message": message, "exit": exit_code})


def _guarded(label: str, body: Callable[[Context], None], checks_remote: Callable[[Context], bool],
             record: bool) -> TaskFailed | None:
    ctx = None
    try:
        hint = get_var("changed")
        ctx = load_context(dry_run=flag("dry_run"), role_name=get_var("role"),
                           changed_dirs=frozenset(filter(None, hint.split(","))) if hint is not None else None)
        if checks_remote(ctx) and not ctx.dry_run:
            check_remote(ctx)  # configuration and the remote are checked before anything is written
        if not ctx.dry_run:
            hold_tick_lock(ctx.settings.home / TICK_LOCK, float(get_var("wait", "600")), echo=ctx.say)
        if ctx.dry_run:
            ctx.say(f"[{label}]")
        body(ctx)
        if record:
            _record(ctx, True, "ok", 0)
    except (FatalError, OSError) as exc:
        exc = _one_line(exc, label)
        message = mask(str(exc))
        if ctx is not None:
            ctx.log.error("%s failed: %s", label, message)
            if record:
                with contextlib.suppress(OSError):  # the state dir may sit on the very disk that is full
                    _record(ctx, False, f"{label}: {message}", getattr(exc, "exit_code", 1))
        return TaskFailed(message)
    return None


def _one_line(exc: Exception, label: str) -> FatalError:
    """A full disk or an unwritable file is something the user fixes: say so in one line, not a traceback."""
    if isinstance(exc, CalledProcessError):
        return disk_full_in(exc.stderr, label) or exc
    if isinstance(exc, OSError):
        return from_os_error(exc, label)
    return exc


def run_step(step: str, first: bool, last: bool) -> TaskFailed | None:
    """One tick step; the first one checks the remote (when the role uses it), the last records the outcome."""
    # before the mirror exists, an unreachable remote must stop the tick before anything is written; after
    # that, the fetch or push step reaches the remote itself (a snapshot-only run needs no network at all)
    def body(ctx: Context) -> None:
        crash_point(f"before:{step}")
        importlib.import_module(f"pipeline.steps.{step}").run(ctx)
        crash_point(f"after:{step}")

    return _guarded(
        step,
        body,
        lambda ctx: first and any(s in ctx.role.steps for s in TOUCHES_REMOTE) and not ctx.git.exists(),
        record=last,
    )


def run_fleet(command: str, **options) -> TaskFailed | None:
    """`propose`, `sweep` and the like: pipeline.fleet.<command>.<command>(ctx, **options)."""
    function = getattr(importlib.import_module(f"pipeline.fleet.{command}"), command)
    return _guarded(command, lambda ctx: function(ctx, **options), lambda ctx: True, record=False)
