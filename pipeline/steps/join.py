"""A Claude project dir new to this machine's mirror joins its key as a new machine joins the fleet (DESIGN §3).

Whatever made the dir new (a moved, re-cloned or recreated project, a second worktree, a mapping just added),
the base's files for its key are written into it first, so only what changes after that is this machine's edit:
a new, near-empty dir never deletes anything on main. The copy main still keeps under _unmapped/<encoded> of a
dir that now maps to a key is folded into the dir the same way, and the snapshot then leaves it out of main.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.disk.fsops import atomic_write, blob_id, is_inside
from pipeline.mirror.base import read_base
from pipeline.mirror.context import Context
from pipeline.mirror.keys import JOINED, LocalKey, memory_dir
from pipeline.projects.identity import UNMAPPED
from pipeline.rules.memory_only import MEMORY
from pipeline.rules.merge_decision import Action, join_decision
from pipeline.rules.tree import REGULAR_MODES
from pipeline.steps.commit import base_listing
from pipeline.steps.merge_both import merge_both


def join_new_dirs(ctx: Context, keys: dict[str, LocalKey]) -> None:
    """Bring each new dir of a key merged before up to the base; remember every dir present now as joined."""
    base, merged = read_base(ctx)
    stored = record = ctx.state.read(JOINED)
    if record is None:  # a mirror from before dirs were tracked: the dirs it has were merged as they are
        record = {identity.encoded: None for local in keys.values() for identity in local.dirs}
    listing = base_listing(ctx, base)["keys"] if base else {}
    joined = {}
    for key, local in keys.items():
        for identity in local.dirs:
            name = identity.encoded
            unmapped = f"{UNMAPPED}/{name}"
            fold = listing.get(unmapped) if unmapped != key else None
            joined[name] = record.get(name)
            if ctx.dry_run:
                continue
            directory = memory_dir(ctx, identity)
            # (the merge step writes all of main into every dir of a key it merges the first time)
            if key in merged and name not in record:
                _bring(ctx, base, key, directory, key)
            # a copy under _unmapped/ folds in even into a key new to main: it may hold another machine's files
            if fold and record.get(name) != fold:
                _bring(ctx, base, unmapped, directory, key)
                joined[name] = fold
    if joined != stored and not ctx.dry_run:
        ctx.state.write(JOINED, joined)


def _bring(ctx: Context, base: str, source: str, directory: Path, key: str) -> None:
    prefix = f"{source}/{MEMORY}/"
    entries = [e for e in ctx.git.ls_tree(base, prefix, recursive=True) if e.mode in REGULAR_MODES]
    sizes = ctx.git.blob_sizes([e.sha for e in entries])
    entries = [e for e in entries if sizes.get(e.sha, 0) <= ctx.settings.max_file_bytes]
    if not entries:
        return
    earlier = ctx.git.versions(base, prefix)
    blobs = ctx.git.read_blobs([e.sha for e in entries])
    counts = {action: 0 for action in Action}
    for entry in entries:
        path = entry.path.decode("utf-8", "surrogateescape")
        rel = path[len(prefix):]
        target = directory / rel
        if ctx.ignore.ignores(key, rel) or not is_inside(target, directory) or target.is_dir():
            continue
        local = target.read_bytes() if target.is_file() else None
        local_id = None if local is None else blob_id(local)
        action = join_decision(entry.sha, local_id, (path, local_id) in earlier)
        if action is Action.WRITE_MAIN and not atomic_write(target, blobs[entry.sha], expected=local_id):
            action = Action.KEEP_LOCAL  # edited at this moment: the next tick's merge sees it as an edit
        elif action is Action.CONFLICT:
            outcome = merge_both(ctx, target, rel, None, blobs[entry.sha], local)
            action = outcome[0] if outcome else Action.KEEP_LOCAL
        counts[action] += 1
    ctx.say(f"snapshot: {directory.parent.name} joins {key}: {counts[Action.WRITE_MAIN]} files of "
            f"{'main' if source == key else source} written, {counts[Action.MERGED]} merged, "
            f"{counts[Action.CONFLICT]} conflicts")
