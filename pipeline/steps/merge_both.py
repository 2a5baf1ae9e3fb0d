"""Part of the merge step: a file changed both here and on main, merged against the base (DESIGN §3).

Text merges line by line with git's own `git merge-file`, MEMORY.md by entry (index_merge); a clean merge
replaces the local file and, differing from main, is this machine's change to publish. Only overlapping edits
(or binary content) put main's version beside it as a conflict sibling, once; where they overlap the local file
keeps its own lines, and takes main's edits everywhere else.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.disk.fsops import atomic_write, blob_id, write_conflict_sibling
from pipeline.mirror.context import Context
from pipeline.mirror.journal import Written
from pipeline.rules.index_merge import load_limit_note, merge_index
from pipeline.rules.merge_decision import Action, Method, how_to_merge

SCRATCH = "merge-scratch"


def _lines(ctx: Context, base: bytes | None, main: bytes, local: bytes, ours: bool = False) -> tuple[bytes, bool]:
    scratch = ctx.settings.state_dir / SCRATCH
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        paths = {}
        for name, data in (("local", local), ("base", base or b""), ("main", main)):
            paths[name] = scratch / name
            paths[name].write_bytes(data)
        return ctx.git.merge_file(paths["local"], paths["base"], paths["main"], ours=ours)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "surrogateescape")


def merge_both(ctx: Context, target: Path, rel: str, base: bytes | None, main: bytes,
               local: bytes) -> tuple[Action, list[Written]] | None:
    """Merge main into the local `target` (which held `local`); returns CONFLICT (a sibling was needed) or MERGED,
    and what was written; None, with nothing written, when the file changed again before it could be replaced."""
    method = how_to_merge(rel, base, main, local)
    merged: bytes | None = None
    clean = False
    if method is Method.ENTRIES:
        result = merge_index(_text(base), _text(main), _text(local))
        merged, clean = result.text.encode("utf-8", "surrogateescape"), result.clean
        for target_name in result.conflicts:
            ctx.say(f"merge: {target}: the entry for {target_name} was edited here and on main; yours kept")
        if note := load_limit_note(result.text):
            ctx.say(f"merge: {target}: {note}")
    elif method is Method.LINES:
        merged, clean = _lines(ctx, base, main, local)
        if not clean:
            # where the edits overlap the local file keeps its own lines (main's are in the sibling); main's other
            # edits still come in, so publishing this file later does not take them back out of main
            merged, _ = _lines(ctx, base, main, local, ours=True)
    written = []
    if merged is not None and merged != local:
        if not atomic_write(target, merged, expected=blob_id(local)):
            return None
        before = ctx.git.store_blob(local)  # so `undo` can bring back what this merge replaced
        written.append(Written(str(target), before, blob_id(merged)))
    if clean:
        return Action.MERGED, written
    sibling = write_conflict_sibling(target, main, ctx.settings.hostname)
    if sibling:
        written.append(Written(str(sibling), None, blob_id(main)))
        ctx.say(f"merge: conflict in {target}: yours kept, main's version written to {sibling.name}")
    return Action.CONFLICT, written
