"""merge: bring origin/main into local memory, three-way against the base (DESIGN §3).

What comes from main is untrusted: symlinks, submodules, paths outside a memory/ dir, oversized files and
anything that would land outside ~/.claude/projects/*/memory/ are skipped and logged by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.disk.fsops import atomic_write, blob_id, is_inside, move_to_trash
from pipeline.faults import crash_point
from pipeline.mirror import journal
from pipeline.mirror.base import read_base, write_base
from pipeline.mirror.context import Context
from pipeline.mirror.journal import Written
from pipeline.mirror.keys import local_keys, local_writes, memory_dir
from pipeline.rules.memory_only import MEMORY, NAME_MAX, split_mirror_path
from pipeline.rules.merge_decision import Action, decide
from pipeline.rules.tree import REGULAR_MODES, is_repo_file
from pipeline.steps.join import join_new_dirs
from pipeline.steps.merge_both import merge_both

REPLACE_ATTEMPTS = 3  # a file edited again at each attempt is left as it is until the next tick


@dataclass(frozen=True)
class Incoming:
    """One file main changed (or holds, for a key merged for the first time)."""

    key: str
    rel: str
    base: str | None
    main: str | None


def _incoming(ctx: Context, base: str | None, main: str, present: set[str], first_time: set[str]) -> list[Incoming]:
    git = ctx.git
    raw: list[tuple[bytes, str | None, str | None, str, bool]] = []  # path, base, main, mode, listed
    if base and base != main:
        raw += [(c.path, c.old_sha, c.new_sha, c.new_mode, False) for c in git.diff_tree(base, main)]
    if first_time:
        # a key merged for the first time takes all of main's files, with no base to count deletions by
        prefixes = [f"{key}/{MEMORY}/" for key in sorted(first_time)]
        raw += [(e.path, None, e.sha, e.mode, True) for e in git.ls_tree(main, *prefixes, recursive=True)]
    sizes = git.blob_sizes([sha for _, _, sha, mode, _ in raw if sha and mode in REGULAR_MODES])
    incoming = []
    for path, old, new, mode, listed in raw:
        split = split_mirror_path(path)
        shown = path.decode("utf-8", "backslashreplace")
        if split is None and is_repo_file(path):
            continue  # the repository's own README or .github/: not memory, and not hostile either
        if split is None:
            ctx.log.warning("merge: skipped %s from main: %s", shown,
                            "not a memory file" if shown.encode() == path else "its name is not valid UTF-8")
            continue
        key, rel = split
        if key not in present or (key in first_time) != listed or ctx.ignore.ignores(key, rel):
            continue
        if any(len(part.encode()) > NAME_MAX for part in rel.split("/")):
            ctx.say(f"merge: skipped {shown} from main: a name longer than {NAME_MAX} bytes cannot be created here")
            continue
        if new is not None and mode not in REGULAR_MODES:
            ctx.say(f"merge: skipped {shown} from main: not a regular file (mode {mode})")
            continue
        if new is not None and sizes.get(new, 0) > ctx.settings.max_file_bytes:
            ctx.say(f"merge: skipped {shown} from main: {sizes[new]} bytes is over MEMORY_MIRROR_MAX_FILE_BYTES")
            continue
        incoming.append(Incoming(key, rel, old, new))
    return incoming


def run(ctx: Context) -> None:
    fetched = ctx.state.read("fetch", {})
    main = fetched.get("main")
    if main is None:
        ctx.say("merge: nothing on main yet")
        ctx.state.write("merge", {"wrote": 0})
        return
    keys = local_keys(ctx)
    if "snapshot" not in ctx.role.steps and not ctx.dry_run:
        # a role that never snapshots (a consumer) joins its new dirs here: a moved project gets its memory back
        join_new_dirs(ctx, keys)
    base, merged = read_base(ctx)
    if ctx.dry_run and not ctx.git.rev_parse(main):
        ctx.say(f"merge: would merge origin/main {main[:12]} into local memory (not fetched in a dry run)")
        return
    if base and base != main and not ctx.git.rev_parse(base):
        base = None  # the mirror was recreated: merge as if for the first time (nothing counts as deleted)
    first_time = set(keys) - merged if base else set(keys)
    if base == main and not first_time:
        ctx.say("merge: up to date")
        ctx.state.write("merge", {"wrote": 0})
        return
    incoming = _incoming(ctx, base, main, set(keys), first_time)
    blobs = ctx.git.read_blobs([item.main for item in incoming if item.main])
    counts = {action: 0 for action in Action}
    if ctx.dry_run:
        ctx.say(f"merge: would merge {len(incoming)} changed files of main into local memory")
        return
    proposed = _proposed_here(ctx, base, main)
    written: list[Written] = []
    with local_writes(ctx, keys):
        for item in incoming:
            for identity in keys[item.key].dirs:
                action = _apply(ctx, memory_dir(ctx, identity), item, blobs, proposed, written)
                counts[action] += 1
                if action is not Action.NOTHING:
                    crash_point("merge:mid")
    journal.save(ctx.state, main, written)
    write_base(ctx, main, set(keys), published=fetched.get("remote") if fetched.get("remote") != main else None)
    ctx.state.write("merge", {"wrote": len(written)})
    ctx.say(f"merge: {main[:12]}: {counts[Action.WRITE_MAIN]} written, {counts[Action.MERGED]} merged, "
            f"{counts[Action.TRASH_LOCAL]} to trash, {counts[Action.CONFLICT]} conflicts, "
            f"{counts[Action.KEEP_LOCAL]} local changes kept")


@dataclass(frozen=True)
class Proposed:
    """What this machine proposed: every version (path, blob) it put in a proposal, and the newest version of
    each path whose proposal reached main after this machine's base (main has seen those versions and moved on
    from them: they, not the older base, are what both sides started from)."""

    versions: frozenset[tuple[str, str]]
    seen_by_main: dict[str, str]

    def base_for(self, path: str, base: str | None, main: str | None, local: str | None) -> str | None:
        """The base to measure this file from: main coming back with a version this machine proposed is no change
        on main's side; otherwise the version main has seen from here, when there is one, is the common ground."""
        if main is not None and (path, main) in self.versions:
            return main
        return self.seen_by_main.get(path, base)


def proposed_from(files: list, reached: set[str]) -> Proposed:
    """`files` as propose records them ([path, [blob ids], proposal]); `reached`: the commits main gained since this
    machine's base. A version whose proposal was in main before the base is no common ground: the base is newer,
    and main may have moved on from both."""
    return Proposed(frozenset((path, sha) for path, versions, *_ in files for sha in versions),
                    {path: versions[-1] for path, versions, *carried in files if carried and carried[0] in reached})


def _proposed_here(ctx: Context, base: str | None, main: str) -> Proposed:
    files = ctx.state.read("propose", {}).get("files", [])
    return proposed_from(files, ctx.git.commits_since(main, base) if files else set())


def _in_the_way(target: Path, directory: Path) -> Path | None:
    """A local directory where main has a file, or a local file where main has a directory: either would stop
    every tick's write, so it is named instead."""
    if target.is_dir():
        return target
    for parent in target.relative_to(directory).parents:
        if parent.parts and (directory / parent).is_file():
            return directory / parent
    return None


def _apply(ctx: Context, directory: Path, item: Incoming, blobs: dict[str, bytes], proposed: Proposed,
           written: list[Written]) -> Action:
    target = directory / item.rel
    if not is_inside(target, directory):
        ctx.say(f"merge: skipped {item.key}/{MEMORY}/{item.rel}: it would be written outside {directory}")
        return Action.NOTHING
    blocker = _in_the_way(target, directory)
    if blocker is not None:
        kind = "directory" if blocker.is_dir() else "file"
        ctx.say(f"merge: skipped {item.key}/{MEMORY}/{item.rel} from main: the {kind} {blocker} is in its way; "
                "rename one of the two")
        return Action.NOTHING
    # each replacement re-checks the file at the last moment; one edited meanwhile is read again and decided
    # anew, which makes it changed on both sides
    for _ in range(REPLACE_ATTEMPTS):
        local_bytes = _read(target)
        local = None if local_bytes is None else blob_id(local_bytes)
        base = proposed.base_for(f"{item.key}/{MEMORY}/{item.rel}", item.base, item.main, local)
        action = decide(base, item.main, local)
        if action is Action.WRITE_MAIN:
            if not atomic_write(target, blobs[item.main], expected=local):
                continue
            written.append(Written(str(target), local, item.main))
        elif action is Action.TRASH_LOCAL:
            moved = move_to_trash(target, ctx.settings.trash_dir, item.key, expected=local, rel=item.rel)
            if moved is None:
                continue
            written.append(Written(str(target), base, None, str(moved)))
            ctx.log.info("merge: %s deleted on main; local copy moved to %s", target, moved)
        elif action is Action.CONFLICT:
            base_text = ctx.git.read_blobs([base])[base] if base else None
            outcome = merge_both(ctx, target, item.rel, base_text, blobs[item.main], local_bytes)
            if outcome is None:
                continue
            action, merged = outcome
            written += merged
        return action
    ctx.say(f"merge: {target} kept changing while it was merged; yours kept, main's version is merged next tick")
    return Action.KEEP_LOCAL


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
