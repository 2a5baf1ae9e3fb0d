"""`memory-sync propose`, `sweep-branches`, `migrate-layout` and `check`: the doit tasks `propose`, `sweep`,
`migrate` and `check`."""
from __future__ import annotations

import argparse

from pipeline.commands.lifecycle import start_pusher
from pipeline.commands.status import PUSHER
from pipeline.mirror.context import load_context
from pipeline.services import supervise
from pipeline.tasks.run import run_tasks


def propose(args: argparse.Namespace) -> int:
    return run_tasks("propose", f"auto_merge={int(args.auto_merge)}", "wait=600")


def sweep_branches(args: argparse.Namespace) -> int:
    argv = ["sweep", f"dry_run={int(args.dry_run)}"]
    if args.idle_days is not None:
        argv.append(f"idle_days={args.idle_days}")
    return run_tasks(*argv)


def migrate_layout(args: argparse.Namespace) -> int:
    if not args.confirm:
        return run_tasks("migrate", "confirm=0", "wait=600")
    # a pusher would publish this machine's branch in the old layout again while main moves to the new one: it
    # waits out the migration, and starts again after it
    ctx = load_context()
    was_running, _ = supervise.status(ctx.settings.home, PUSHER)
    supervise.stop(ctx.settings.home, PUSHER)
    try:
        return run_tasks("migrate", "confirm=1", "wait=600")
    finally:
        if was_running:
            print(start_pusher(ctx))


def check(args: argparse.Namespace) -> int:
    argv = ["check", f"ref={args.ref}", f"repo={args.repo}"]
    if args.main:
        argv.append(f"main={args.main}")
    return run_tasks(*argv)
