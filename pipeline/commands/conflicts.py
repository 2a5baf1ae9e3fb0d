"""`memory-sync conflicts` and `memory-sync resolve <file> --keep local|main|both` (or `--merged`)."""
from __future__ import annotations

import argparse
import time

from pipeline.errors import FatalError
from pipeline.mirror.conflicts import Pending, diff, pending, settle
from pipeline.mirror.context import Context, load_context
from pipeline.mirror.memref import locate
from pipeline.tasks.lock import TICK_LOCK, hold_tick_lock


def hold_memory(ctx: Context) -> None:
    """Commands that write into memory dirs wait for a running tick, as a second tick would."""
    hold_tick_lock(ctx.settings.home / TICK_LOCK, 600)


def conflicts(args: argparse.Namespace) -> int:
    ctx = load_context()
    items = pending(ctx)
    if not items:
        print("no conflicts pending")
        return 0
    for item in items:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.epoch))
        print(f"{item.name}: main's version of {item.file.name}, from {item.host} at {when}")
        path = item.file.paths(ctx)[0]
        local = path.read_bytes() if path.is_file() else None
        if local is None:
            print(f"  ({item.file.name} itself is gone on this machine)")
        for line in diff(local, (path.parent / item.sibling.rsplit("/", 1)[-1]).read_bytes(), item.file.name):
            print(f"  {line}")
    print(f"{len(items)} pending; settle one with `memory-sync resolve <file> --keep local|main|both` "
          "(or --merged after editing the file yourself)")
    return 0


def _one(ctx: Context, spec: str) -> Pending:
    named = locate(ctx, spec)
    matches = [item for item in pending(ctx) if item.file == named or
               (item.file.local == named.local and item.sibling == named.rel)]
    if not matches:
        raise FatalError(f"{spec}: no conflict is pending for it. `memory-sync conflicts` lists the pending ones.")
    if len(matches) > 1:
        raise FatalError(f"{spec}: {len(matches)} conflict siblings are pending for it "
                         f"({', '.join(item.name for item in matches)}); resolve them one at a time by naming the sibling.")
    return matches[0]


def resolve(args: argparse.Namespace) -> int:
    ctx = load_context()
    hold_memory(ctx)
    item = _one(ctx, args.file)
    settle(ctx, item, args.keep)
    kept = {"local": "your version kept", "main": "main's version taken", "both": "both kept (yours, then main's "
            "other lines)", None: "your edited file kept"}[args.keep]
    print(f"resolved {item.file.name}: {kept}; {item.name} moved to the trash. The next tick publishes it.")
    return 0
