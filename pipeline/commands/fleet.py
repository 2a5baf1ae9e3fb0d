"""`memory-sync propose`, `sweep-branches`, `migrate-layout` and `check`: the doit tasks `propose`, `sweep`,
`migrate` and `check`."""
from __future__ import annotations

import argparse

from pipeline.tasks.run import run_tasks


def propose(args: argparse.Namespace) -> int:
    return run_tasks("propose", f"auto_merge={int(args.auto_merge)}", "wait=600")


def sweep_branches(args: argparse.Namespace) -> int:
    argv = ["sweep", f"dry_run={int(args.dry_run)}"]
    if args.idle_days is not None:
        argv.append(f"idle_days={args.idle_days}")
    return run_tasks(*argv)


def migrate_layout(args: argparse.Namespace) -> int:
    return run_tasks("migrate", f"confirm={int(args.confirm)}", "wait=600")


def check(args: argparse.Namespace) -> int:
    argv = ["check", f"ref={args.ref}", f"repo={args.repo}"]
    if args.main:
        argv.append(f"main={args.main}")
    return run_tasks(*argv)
