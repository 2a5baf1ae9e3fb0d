"""A trusted proposal merged into main as the merge step would merge it (DESIGN §3), not file by whole file.

git's own `merge-tree` merges first: it has already merged every text file line by line, so a text file it names
as conflicting has edits that overlap. What it cannot know is that MEMORY.md is a set of entries: two machines
that each add an entry at the end edit "the same place" to git. Those files are merged by entry
(index_merge); the proposal joins main only when every file merges cleanly, else it waits for a person.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.mirror.context import Context
from pipeline.rules.index_merge import merge_index
from pipeline.rules.memory_only import split_mirror_path
from pipeline.rules.merge_decision import Method, how_to_merge
from pipeline.tools.git_formats import Stage

BASE, MAIN, PROPOSAL = 1, 2, 3  # git's stages of a path in `merge-tree <main> <proposal>`
SCRATCH_INDEX = "trusted-merge.index"


@dataclass(frozen=True)
class Settled:
    """One conflicting path: its merged text, or why it needs a person (`text` None)."""

    text: bytes | None
    why: str = ""


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "surrogateescape")


def settle(path: bytes, stages: dict[int, Stage], blobs: dict[str, bytes]) -> Settled:
    """The merge of one path git could not merge, from its stages and their contents."""
    split = split_mirror_path(path)
    if split is None:
        return Settled(None, "not a memory file")
    if MAIN not in stages or PROPOSAL not in stages:
        return Settled(None, "deleted on one side and changed on the other")
    if stages[MAIN].mode != stages[PROPOSAL].mode:
        return Settled(None, "its file mode changed")
    base = blobs[stages[BASE].sha] if BASE in stages else None
    main, proposal = blobs[stages[MAIN].sha], blobs[stages[PROPOSAL].sha]
    method = how_to_merge(split[1], base, main, proposal)
    if method is Method.WHOLE_FILE:
        return Settled(None, "binary content changed on both sides")
    if method is Method.LINES:
        return Settled(None, "edits on both sides overlap")
    merged = merge_index(_text(base), _text(main), _text(proposal))
    if merged.conflicts:
        return Settled(None, f"the entry for {', '.join(merged.conflicts)} was edited on both sides")
    if not merged.clean:
        return Settled(None, "lines that are not entries were edited at one place on both sides")
    return Settled(merged.text.encode("utf-8", "surrogateescape"))


def by_path(conflicts: tuple[Stage, ...]) -> dict[bytes, dict[int, Stage]]:
    paths: dict[bytes, dict[int, Stage]] = {}
    for stage in conflicts:
        paths.setdefault(stage.path, {})[stage.stage] = stage
    return paths


def merge_proposal(ctx: Context, current: str, proposal: str) -> str | None:
    """The tree of `proposal` merged into the commit `current`, or None when a person has to merge it (the log
    says which file and why)."""
    merged = ctx.git.merge_tree(current, proposal)
    if merged.clean:
        return merged.tree
    paths = by_path(merged.conflicts)
    if not paths:
        return None  # git named no file: nothing of it can be merged here
    blobs = ctx.git.read_blobs([stage.sha for stages in paths.values() for stage in stages.values()])
    changes = []
    for path, stages in paths.items():
        settled = settle(path, stages, blobs)
        if settled.text is None:
            ctx.say(f"fetch: {path.decode('utf-8', 'backslashreplace')} does not merge with proposal "
                    f"{proposal[:12]}: {settled.why}")
            return None
        changes.append((stages[MAIN].mode, ctx.git.store_blob(settled.text), path))
    return ctx.git.tree_with(merged.tree, changes, ctx.settings.state_dir / SCRATCH_INDEX)
