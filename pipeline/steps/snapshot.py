"""snapshot: copy ONLY memory/ subtrees into the mirror work tree (rsync; pure Python when rsync is absent).

A key with several local dirs (the same project checked out twice) is first made whole: every dir gets the
changed version of each file, and a second changed version is kept as a conflict sibling, so nothing is lost.
"""
from __future__ import annotations

from pathlib import Path

from pipeline import localcopy
from pipeline.context import Context
from pipeline.fsops import atomic_write, file_id, move_to_trash, write_conflict_sibling
from pipeline.mirror import (LocalKey, ensure_mirror, load_identities, local_keys, local_writes, memory_dir,
                             read_base, worktree)
from pipeline.paths import is_memory_relpath, rsync_filter_rules
from pipeline.sync_rules import reconcile_copies
from pipeline.tools import rsync


def _memory_files(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and not path.is_symlink() and is_memory_relpath(path.relative_to(directory).as_posix())
    }


def _base_ids(ctx: Context, key: str) -> dict[str, str]:
    base, keys = read_base(ctx)
    if base is None or key not in keys:
        return {}
    prefix = f"{key}/memory/"
    return {
        entry.path.decode("utf-8", "surrogateescape")[len(prefix):]: entry.sha
        for entry in ctx.git.ls_tree(base, prefix, recursive=True)
    }


def reconcile_fan_out(ctx: Context, local: LocalKey) -> int:
    """Make every dir of one key hold the same memory; returns how many files were written."""
    dirs = [memory_dir(ctx, identity) for identity in local.dirs]
    base_ids = _base_ids(ctx, local.key)
    writes = 0
    for rel in sorted(set().union(*(_memory_files(d) for d in dirs))):
        copies = [file_id(d / rel) for d in dirs]
        winner, others = reconcile_copies(base_ids.get(rel), copies)
        if all(copy == winner for copy in copies) and not others:
            continue
        source = {copy: d / rel for copy, d in zip(copies, dirs) if copy is not None}
        data = source[winner].read_bytes() if winner else None
        extra = [source[other].read_bytes() for other in others]
        for directory, copy in zip(dirs, copies):
            target = directory / rel
            if copy != winner:
                if data is None:
                    move_to_trash(target, ctx.settings.trash_dir, local.key)
                else:
                    atomic_write(target, data)
                writes += 1
            for version in extra:
                writes += write_conflict_sibling(target, version, ctx.settings.hostname) is not None
    if writes:
        ctx.say(f"snapshot: {local.key}: made {len(dirs)} local dirs agree ({writes} files written)")
    return writes


def run(ctx: Context) -> None:
    ensure_mirror(ctx)
    keys = local_keys(ctx, load_identities(ctx))
    skipped = sorted({identity.encoded for local in keys.values() for identity in local.dirs[1:]})
    projects = ctx.settings.claude_projects
    target = worktree(ctx)
    if ctx.dry_run:
        changed = rsync.mirror_tree(ctx.runner, projects, target, rsync_filter_rules(skipped)) if target.is_dir() else []
        ctx.state.write("worktree", {"dirty": True})
        ctx.say(f"snapshot: would copy memory of {len(keys)} keys into {target} ({len(changed)} files changed)")
        return
    fan_out = [local for local in keys.values() if len(local.dirs) > 1]
    if fan_out:
        with local_writes(ctx, keys):
            for local in fan_out:
                reconcile_fan_out(ctx, local)
    target.mkdir(parents=True, exist_ok=True)
    if projects.is_dir() and ctx.runner.has("rsync"):
        changed = rsync.mirror_tree(ctx.runner, projects, target, rsync_filter_rules(skipped))
    else:
        changed = localcopy.mirror_tree(projects, target, set(skipped))
    if changed:
        ctx.state.write("worktree", {"dirty": True})
    ctx.say(f"snapshot: {len(keys)} keys, {len(changed)} files changed")
