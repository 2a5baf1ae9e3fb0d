"""The doit actions behind the tasks: build the context, hold the lock, run a step (or a fleet command).

A FatalError becomes a doit TaskFailed carrying its one-line message, and so does a bug (with a crash log); a
tick's outcome, whichever step failed, is recorded for status.
"""
from __future__ import annotations

import contextlib
import importlib
import time
from pathlib import Path
from typing import Callable

from doit import get_var
from doit.exceptions import TaskFailed

from pipeline.crash import EXIT_CRASH, crash_message
from pipeline.errors import FatalError, disk_full_in, from_os_error
from pipeline.faults import crash_point
from pipeline.log import LOG_NAME
from pipeline.masking import mask
from pipeline.mirror.context import Context, run_context
from pipeline.mirror.remote import check_remote
from pipeline.mirror.state import run_id
from pipeline.tasks.lock import TICK_LOCK, hold_tick_lock
from pipeline.tools.run import CalledProcessError

TOUCHES_REMOTE = ("fetch", "push")


def flag(name: str) -> bool:
    return str(get_var(name, "") or "").lower() in ("1", "true", "yes", "on")


# the exit code of a run's failure (3: stood down, 70: a bug), for run_tasks: doit itself only says 1
_exit_codes: dict[str, int] = {}


def exit_code_of_run() -> int | None:
    return _exit_codes.get(run_id())


def _record(ctx: Context, step: str, ok: bool, message: str, exit_code: int) -> None:
    """The outcome status reports: which step failed, why, when, and how many runs in a row have failed."""
    if ctx.dry_run:
        return
    previous = ctx.state.read("last_tick", {}) or {}
    if ok:
        failures = 0
    elif previous.get("ok", True):
        failures = 1
    else:
        failures = previous.get("failures", 1) + (previous.get("run") != run_id())
    ctx.state.write("last_tick", {"time": int(time.time()), "ok": ok, "role": ctx.role.name,
                                  "step": None if ok else step, "message": message,
                                  "exit": exit_code, "failures": failures, "run": run_id()})


def _one_line_reason(message: str) -> str:
    """A failed command's message spans lines (command, code, stderr): status shows the command and the last."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if len(lines) <= 1 else f"{lines[0]} ({lines[-1]})"


def _guarded(label: str, body: Callable[[Context], None], checks_remote: Callable[[Context], bool],
             tick_step: bool, last: bool = False, dry_run: bool = False) -> TaskFailed | None:
    """Run `body` with a context; a tick step records its failure for status, the last one also success."""
    ctx = None
    try:
        hint = get_var("changed")
        ctx = run_context(dry_run=dry_run or flag("dry_run"), role_name=get_var("role"),
                           changed_dirs=frozenset(filter(None, hint.split(","))) if hint is not None else None)
        if checks_remote(ctx) and not ctx.dry_run:
            check_remote(ctx)  # configuration and the remote are checked before anything is written
        if not ctx.dry_run:
            hold_tick_lock(ctx.settings.home / TICK_LOCK, float(get_var("wait", "600")), echo=ctx.say)
        if ctx.dry_run:
            ctx.say(f"[{label}]")
        body(ctx)
        if last:
            _record(ctx, label, True, "ok", 0)
        return None
    except (FatalError, OSError) as exc:
        exc = _one_line(exc, label)
        message, code = mask(str(exc)), getattr(exc, "exit_code", 1)
        if ctx is not None:
            ctx.log.error("%s failed: %s", label, message)
            if "\n" in message:  # a failed command's whole output (command, code, stderr) stays in the log
                message = f"{_one_line_reason(message)}; the whole output is in {ctx.settings.logs_dir / LOG_NAME}"
    except Exception as exc:  # a bug: reported with a crash log, never as doit's bare "PythonAction Error"
        message, code = crash_message(exc, label), EXIT_CRASH
        if ctx is not None:
            ctx.log.error("%s crashed: %s", label, message)
    _exit_codes[run_id()] = code
    if ctx is not None and tick_step:
        with contextlib.suppress(OSError):  # the state dir may sit on the very disk that is full
            _record(ctx, label, False, message, code)
    return TaskFailed(message)


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
        importlib.import_module(f"pipeline.steps.{step.replace('-', '_')}").run(ctx)
        crash_point(f"after:{step}")

    return _guarded(
        step,
        body,
        lambda ctx: first and any(s in ctx.role.steps for s in TOUCHES_REMOTE) and not ctx.git.exists(),
        tick_step=True,
        last=last,
    )


def run_fleet(command: str, dry_run: bool = False, **options) -> TaskFailed | None:
    """`propose`, `sweep` and the like: pipeline.fleet.<command>.<command>(ctx, **options). `dry_run`: a command
    that only shows what it would do writes nothing at all (no state, no log)."""
    function = getattr(importlib.import_module(f"pipeline.fleet.{command}"), command)
    return _guarded(command, lambda ctx: function(ctx, **options), lambda ctx: True, tick_step=False, dry_run=dry_run)


def run_check(ref: str, main: str | None, repo: str | None) -> TaskFailed | None:
    """`check ref=<ref>`: in a clone of the mirror repo, no mirror or lock of this machine's is needed."""
    from pipeline.mirror.context import read_config
    from pipeline.trust.check import check_ref
    from pipeline.tools.git import Git
    from pipeline.tools.run import Runner

    try:
        settings, table = read_config()
        git = Git(Runner(), Path(repo or "."), settings.hostname)
        problems = check_ref(git, settings, table, ref, main)
    except FatalError as exc:
        return TaskFailed(mask(str(exc)))
    except Exception as exc:  # a bug: a crash log, as for every step
        _exit_codes[run_id()] = EXIT_CRASH
        return TaskFailed(crash_message(exc, "check"))
    for problem in problems:
        print(mask(str(problem)))
    if problems:
        return TaskFailed(f"check: {ref} has {len(problems)} problem(s); it must not be merged as it is")
    print(f"check: {ref}: nothing but memory, nothing secret, nothing unsigned")
    return None
