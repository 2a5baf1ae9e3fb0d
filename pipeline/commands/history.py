"""`memory-sync log`, `restore`, `undo` and `trash`: main's history and the trash, brought back as local edits."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.commands.conflicts import hold_memory
from pipeline.disk.fsops import atomic_write, file_id, move_to_trash, restore_from_trash
from pipeline.errors import FatalError
from pipeline.mirror import journal
from pipeline.mirror.context import Context, load_context
from pipeline.mirror.history import mirror_path, parse_log
from pipeline.mirror.keys import local_keys, memory_dir
from pipeline.mirror.memref import locate, short_key, split_spec
from pipeline.mirror.refs import ORIGIN_MAIN
from pipeline.rules.memory_only import KEY_ROOTS

NO_MAIN = "no main fetched yet on this machine: run `memory-sync sync-now` first."


def _main(ctx: Context) -> str:
    main = ctx.git.rev_parse(ORIGIN_MAIN) if ctx.git.exists() else None
    if main is None:
        raise FatalError(NO_MAIN)
    return main


def log(args: argparse.Namespace) -> int:
    ctx = load_context()
    main = _main(ctx)
    paths = [mirror_path(*split_spec(args.path))] if args.path else [f"{root}/" for root in KEY_ROOTS]
    changes = parse_log(ctx.git.log(main, *paths, limit=args.limit), short_key)
    if not changes:
        print(f"no changes on main{' to ' + args.path if args.path else ''}")
    for change in changes:
        print(f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(change.time))}  {change.host}  {change.commit[:12]}")
        for status, name in change.files:
            print(f"  {status} {name}")
    return 0


def restore(args: argparse.Namespace) -> int:
    ctx = load_context()
    hold_memory(ctx)
    named = locate(ctx, args.file)
    main = _main(ctx)
    commit = ctx.git.rev_parse(args.at) or ctx.git.last_before(main, args.at)
    if commit is None:
        raise FatalError(f"--at {args.at}: neither a commit nor a date with history on main before it. "
                         "`memory-sync log` lists the changes with their commits and times.")
    data = ctx.git.file_at(commit, named.mirror_path)
    if data is None:
        raise FatalError(f"{named.name} did not exist on main at {commit[:12]}. "
                         f"`memory-sync log {named.name}` lists its changes.")
    for path in named.paths(ctx):
        atomic_write(path, data)
    print(f"restored {named.name} as of {commit[:12]}; the next tick publishes it.")
    return 0


def _put_back(ctx: Context, record: journal.Written, blobs: dict[str, bytes]) -> bool:
    """One file as it was before the merge; False when it changed since, and is left alone."""
    path = Path(record.path)
    if record.after is None:  # the merge moved it to the trash
        if path.exists() or not (record.trash and Path(record.trash).is_file()):
            return False
        restore_from_trash(Path(record.trash), path)
        return True
    if file_id(path) != record.after:
        return False
    if record.before is None:
        move_to_trash(path, ctx.settings.trash_dir, "undo")
    else:
        atomic_write(path, blobs[record.before])
    return True


def undo(args: argparse.Namespace) -> int:
    ctx = load_context()
    hold_memory(ctx)
    last, records = journal.load(ctx.state)
    if not records:
        print("nothing to undo: no merge has written into this machine's memory since the last undo")
        return 0
    blobs = ctx.git.read_blobs([record.before for record in records if record.before and record.after])
    undone = 0
    for record in reversed(records):
        if _put_back(ctx, record, blobs):
            undone += 1
        else:
            print(f"left as it is (changed since that merge): {record.path}")
    ctx.state.forget(journal.JOURNAL)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last["time"]))
    print(f"undid the merge of main {last['main'][:12]} ({when}): {undone} of {len(records)} files put back; "
          "the next tick publishes it.")
    return 0


def _trash_entries(ctx: Context) -> list[Path]:
    trash = ctx.settings.trash_dir
    return sorted((p for p in trash.rglob("*") if p.is_file()), key=lambda p: p.relative_to(trash).as_posix()) \
        if trash.is_dir() else []


def restored_name(parts: tuple[str, ...]) -> str:
    """Where a trash entry (<key root>/<key>/<time>/<path inside the memory dir>) goes back to; a path trashed
    twice in one second has a counter after its second copy's name."""
    stem, _, counter = parts[-1].rpartition(".")
    return "/".join([*parts[3:-1], stem if stem and counter.isdigit() else parts[-1]])


def trash(args: argparse.Namespace) -> int:
    ctx = load_context()
    root = ctx.settings.trash_dir
    if args.action == "list":
        entries = _trash_entries(ctx)
        for entry in entries:
            print(entry.relative_to(root).as_posix())
        if not entries:
            print(f"the trash ({root}) is empty")
        return 0
    if not args.entry:
        raise FatalError("trash restore needs an entry, as `memory-sync trash list` prints it.")
    hold_memory(ctx)
    source = root / args.entry
    parts = Path(args.entry).parts
    keys = local_keys(ctx)
    key = "/".join(parts[:2])
    if len(parts) < 4 or ".." in parts or key not in keys or not source.is_file():
        raise FatalError(f"{args.entry}: not a trash entry of a project on this machine. "
                         "`memory-sync trash list` prints the entries.")
    name = restored_name(parts)
    target = memory_dir(ctx, keys[key].primary) / name
    if target.exists():
        raise FatalError(f"{target} exists: move it away first, then restore {args.entry} again.")
    restore_from_trash(source, target)
    print(f"restored {short_key(key)}/{name} from the trash; the next tick publishes it.")
    return 0
