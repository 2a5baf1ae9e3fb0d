from __future__ import annotations

import argparse

from pipeline.mirror.context import load_context
from pipeline.tasks.run import run_tasks


def plan(args: argparse.Namespace) -> int:
    ctx = load_context(dry_run=True, role_name=args.role)
    print(f"role: {ctx.role.name} ({ctx.roles.source})")
    print(f"steps: {' -> '.join(ctx.role.steps) or '(none)'}")
    print(f"may: {', '.join(sorted(ctx.role.may)) or '(nothing else)'}")
    if not ctx.role.steps:
        return 0
    print("commands each step would run:")
    return run_tasks("tick", "dry_run=1", f"role={ctx.role.name}")
