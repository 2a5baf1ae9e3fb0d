"""snapshot: copy ONLY memory/ subtrees into the mirror work tree (rsync for many dirs; pure Python for a few,
or when rsync is absent or too old).

Each project dir's memory is fingerprinted by a stat walk; only dirs whose fingerprint changed are copied,
so an unchanged tick costs one walk. A key with several local dirs (the same project opened from two
places) is first made whole: every dir gets the changed version of each file, and a second changed version
is kept as a conflict sibling, so nothing is lost.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.disk.fsops import atomic_write, file_id, move_to_trash, write_conflict_sibling
from pipeline.disk.scan import fingerprint, listing, memory_files
from pipeline.faults import crash_point
from pipeline.mirror.base import read_base
from pipeline.mirror.context import Context
from pipeline.mirror.keys import LocalKey, local_keys, local_writes, memory_dir
from pipeline.mirror.repo import ensure_mirror, worktree
from pipeline.rules.merge_decision import reconcile_copies
from pipeline.steps.join import join_new_dirs
from pipeline.tools import localcopy, rsync

COPY_ATTEMPTS = 3  # copies of a project dir whose memory is being rewritten, before it waits for the next tick
# A dir the work tree holds already is brought up to date here: a stat per file, and a copy of the few that
# changed (93 dirs with an edit each: 30 ms, against 80 for rsync). When more than this many dirs are new to the
# work tree (a first tick), they all go in one rsync, which copies whole trees faster (10,000 files: 0.4 s against
# 1 s). Both give the same result; a dry run shows the rsync it would run.
COPY_HERE_DIRS = 8


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
    for rel in sorted(set().union(*({rel for rel, _ in memory_files(d)} for d in dirs))):
        if ctx.ignore.ignores(local.key, rel):
            continue  # stays as it is in each dir: the mirror has no say over an ignored file
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
                # a copy edited since it was read stays as it is: the next tick reconciles it again
                if data is None:
                    writes += move_to_trash(target, ctx.settings.trash_dir, local.key, expected=copy,
                                            rel=rel) is not None
                else:
                    writes += atomic_write(target, data, expected=copy)
            for version in extra:
                writes += write_conflict_sibling(target, version, ctx.settings.hostname) is not None
    if writes:
        ctx.say(f"snapshot: {local.key}: made {len(dirs)} local dirs agree ({writes} files written)")
    return writes


def _ignored(ctx: Context, sources: dict[str, LocalKey], listings: dict[str, dict],
             dirs: list[str]) -> dict[str, list[str]]:
    """Per project dir, the files of its memory that the user's mirrorignore keeps off the mirror."""
    if not ctx.ignore:
        return {}
    return {name: [rel for rel in listings.get(name) or listing(_memory(ctx, sources, name))
                   if ctx.ignore.ignores(sources[name].key, rel)] for name in dirs}


def _memory(ctx: Context, sources: dict[str, LocalKey], name: str) -> Path:
    return memory_dir(ctx, sources[name].primary)


def _copy(ctx: Context, sources: dict[str, LocalKey], target: Path, dirs: list[str],
          listings: dict[str, dict]) -> list[str]:
    """Copy the memory of `dirs` (`listings`: each one's listing, taken just before); a dir whose memory is gone
    loses its copy in the work tree."""
    present = [name for name in dirs if _memory(ctx, sources, name).is_dir()]
    gone = [name for name in dirs if name not in present and (target / name).exists()]
    if not ctx.dry_run:
        for name in gone:
            shutil.rmtree(target / name)
    excluded = _ignored(ctx, sources, listings, present)
    # Claude's project dirs share one parent and go in one rsync; a subagent's memory lives elsewhere
    projects = [name for name in present if sources[name].primary.memory is None]
    others = {name: _memory(ctx, sources, name) for name in present if name not in projects}
    copied = gone
    new = [name for name in projects if not (target / name).exists()]
    if projects and (ctx.dry_run or len(new) > COPY_HERE_DIRS) and rsync.usable(ctx.runner):
        copied += rsync.mirror_tree(ctx.runner, ctx.settings.claude_projects, target, projects, excluded)
    elif projects:
        others.update({name: _memory(ctx, sources, name) for name in projects})
    if others and not ctx.dry_run:
        copied += localcopy.mirror_tree(others, target, excluded, listings)
    return copied


def _copy_whole(ctx: Context, sources: dict[str, LocalKey], target: Path, dirs: list[str],
                fingerprints: dict[str, str], listings: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Copy `dirs`, and again each one whose memory changed while it was copied: such a copy may hold a file
    cut off or mixed from two versions. Returns what was copied and the dirs still changing after the last try,
    which are put back as last committed and left to the next tick."""
    copied: list[str] = []
    todo = dirs
    for _ in range(COPY_ATTEMPTS):
        try:
            copied += _copy(ctx, sources, target, todo, listings)
            failed = None
        except rsync.PartialCopy as exc:
            failed = exc
        listings.update((name, listing(_memory(ctx, sources, name))) for name in todo)
        after = {name: fingerprint(listings[name]) for name in todo}
        moving = [name for name in todo if after[name] != fingerprints[name]]
        fingerprints.update(after)
        if failed is None:
            todo = moving  # a failed copy is tried again whole: which of its dirs it failed on is not known
        if not todo:
            break
    if failed is not None and not moving:
        raise failed  # nothing was changing under it: a lasting error, such as a file it may not read
    committed = ctx.state.read("snapshot", {}).get("subtrees", {})
    for name in todo:
        if name in committed:
            ctx.git.export_tree(committed[name], target / name)
        else:
            shutil.rmtree(target / name, ignore_errors=True)
        ctx.say(f"snapshot: {name}: memory kept changing while it was copied; left for the next tick")
    return copied, todo


def run(ctx: Context) -> None:
    ensure_mirror(ctx)
    keys = local_keys(ctx)
    target = worktree(ctx)
    join_new_dirs(ctx, keys)
    fan_out = [local for local in keys.values() if len(local.dirs) > 1]
    if fan_out and not ctx.dry_run:
        with local_writes(ctx, keys):
            for local in fan_out:
                reconcile_fan_out(ctx, local)
    # the first dir of each key stands for it; the others were just made to agree with it
    previous = ctx.state.read("scan", {})
    fingerprints, listings = {}, {}
    sources = {local.primary.encoded: local for local in keys.values()}
    for local in keys.values():
        name = local.primary.encoded
        # a watcher that saw which dirs changed spares the walk of all the others
        known = ctx.changed_dirs is not None and name not in ctx.changed_dirs and name in previous
        if known:
            fingerprints[name] = previous[name]
        else:
            listings[name] = listing(memory_dir(ctx, local.primary))
            fingerprints[name] = fingerprint(listings[name])
    changed = sorted(name for name, print_ in fingerprints.items() if previous.get(name) != print_)
    listings = {name: listings[name] for name in changed if name in listings}
    stale = sorted(p.name for p in target.iterdir() if p.name not in fingerprints) if target.is_dir() else []
    if ctx.dry_run:
        if changed:
            _copy(ctx, sources, target, changed, listings)
            ctx.state.write("worktree", {"dirty": True, "dirs": changed + stale})
        ctx.say(f"snapshot: would copy {len(changed)} changed project dirs into {target}")
        return
    copied = []
    if changed:
        target.mkdir(parents=True, exist_ok=True)
        copied, unsettled = _copy_whole(ctx, sources, target, changed, fingerprints, listings)
        crash_point("snapshot:mid")
        for name in unsettled:
            # not remembered at all, so the next run walks it and copies it again even if no watcher names it
            del fingerprints[name]
        changed = [name for name in changed if name not in unsettled]
    for name in stale:
        shutil.rmtree(target / name)  # our own copy of a project dir that is gone or no longer first for its key
    if changed or stale:
        dirty = ctx.state.read("worktree", {})
        dirs = sorted(set(dirty.get("dirs", [])) | set(changed) | set(stale)) if dirty.get("dirty") else changed + stale
        ctx.state.write("worktree", {"dirty": True, "dirs": dirs})
        ctx.state.write("scan", fingerprints)
    ctx.say(f"snapshot: {len(keys)} keys, {len(copied) + len(stale)} changes copied")
