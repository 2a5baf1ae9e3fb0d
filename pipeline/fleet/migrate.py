"""migrate-layout: turn a v1/v2 mirror (raw encoded dirs at the root of main) into the by-project/<key>/ layout.

Dry run by default: prints the plan. With --confirm: stops the pusher, pushes a main built from this
machine's snapshot plus every old file (under its key when the encoded dir is a project here, else under
_unmapped/<encoded>/, and as a conflict sibling where it differs from this machine's copy: nothing is lost),
deletes the old host and proposal branches, and starts the pusher again. The next tick merges the new main.
"""
from __future__ import annotations

import time
from collections import Counter

from pipeline.errors import FatalError
from pipeline.fleet.sweep import working_repo
from pipeline.mirror.context import Context
from pipeline.mirror.refs import MAIN, PROPOSAL_PREFIX
from pipeline.mirror.remote import check_remote, push_refs
from pipeline.projects.identity import UNMAPPED
from pipeline.rules.memory_only import KEY_ROOTS, MEMORY, PROJECT_DIR_NAME, is_memory_relpath
from pipeline.rules.merge_decision import conflict_name
from pipeline.rules.tree import TreeEntry
from pipeline.steps.commit import guard
from pipeline.steps.resolve import fresh_identities
from pipeline.tools.git_formats import EMPTY_TREE

SCRATCH = "refs/migrate/main"


def old_layout_files(entries: list[TreeEntry]) -> dict[str, tuple[str, str, TreeEntry]]:
    """Old-layout memory files of a main listing: '<encoded>/memory/<rel>' -> (encoded, rel, entry)."""
    found = {}
    for entry in entries:
        path = entry.path.decode("utf-8", "surrogateescape")
        top, _, rest = path.partition("/")
        if top in KEY_ROOTS or not PROJECT_DIR_NAME.match(top) or not rest.startswith(f"{MEMORY}/"):
            continue
        rel = rest[len(MEMORY) + 1:]
        if is_memory_relpath(rel) and entry.mode in ("100644", "100755"):
            found[path] = (top, rel, entry)
    return found


def plan_tree(snapshot_entries: dict[bytes, tuple[str, str]], old: dict, keys: dict[str, str], host: str,
              epoch: int) -> tuple[dict[bytes, tuple[str, str]], Counter, list[str]]:
    """The new main's files (path -> (mode, sha)): this machine's snapshot, then every old file at its new place,
    beside this machine's copy as a conflict sibling where the two differ. Pure."""
    entries = dict(snapshot_entries)
    per_key: Counter = Counter()
    siblings = []
    for encoded, rel, entry in old.values():
        key = keys.get(encoded, f"{UNMAPPED}/{encoded}")
        target = f"{key}/{MEMORY}/{rel}".encode()
        per_key[key] += 1
        if target in entries and entries[target][1] != entry.sha:
            folder, _, name = rel.rpartition("/")
            sibling = f"{key}/{MEMORY}/{folder + '/' if folder else ''}{conflict_name(name, host, epoch)}"
            entries[sibling.encode()] = (entry.mode, entry.sha)
            siblings.append(sibling)
        elif target not in entries:
            entries[target] = (entry.mode, entry.sha)
    return entries, per_key, siblings


def migrate(ctx: Context, confirm: bool = False) -> None:
    if not ("seed" in ctx.role.steps or ctx.role.can("push-main")) or "commit" not in ctx.role.steps:
        raise FatalError(f"role {ctx.role.name} may not rewrite main; run migrate-layout on the authority "
                         "(or a contributor) whose memory should seed the new layout.")
    refs = check_remote(ctx)
    old_main = refs.get(MAIN)
    if old_main is None:
        raise FatalError("origin has no main: there is nothing to migrate. `memory-sync install` seeds a new one.")
    snapshot = ctx.state.read("snapshot", {}).get("commit")
    if not snapshot and confirm:
        raise FatalError("nothing snapshotted yet: run `memory-sync sync-now` first.")
    prefixes = [f"refs/heads/{ctx.settings.prefix}/*", f"refs/heads/{PROPOSAL_PREFIX}/*"]
    with working_repo(ctx, scratch=not confirm) as reader:  # a dry run reads origin without touching the mirror
        branches = sorted(reader.git.ls_remote("origin", *prefixes))
        reader.git.fetch(f"+{MAIN}:{SCRATCH}", scratch=True)
        old = old_layout_files(reader.git.ls_tree(SCRATCH, recursive=True))
    if not old:
        ctx.say(f"migrate-layout: main ({old_main[:12]}) is already in the by-project layout; nothing to do.")
        return
    identities = fresh_identities(ctx)
    keys = {identity.encoded: identity.key for identity in identities}
    # a dry run plans without a snapshot of its own when there is none: it may not write one
    mine = {e.path: (e.mode, e.sha) for e in ctx.git.ls_tree(snapshot, recursive=True)} if snapshot else {}
    entries, per_key, siblings = plan_tree(mine, old, keys, ctx.settings.hostname, int(time.time()))
    unmapped = sorted({encoded for encoded, _, _ in old.values() if encoded not in keys})
    ctx.say(f"migrate-layout: {len(old)} files in the old layout on main ({old_main[:12]})")
    for identity in identities:
        ctx.say(f"  identity: {identity.encoded} -> {identity.key}")
    for encoded in unmapped:
        ctx.say(f"  unmapped here (kept under {UNMAPPED}/): {encoded}")
    for key, count in sorted(per_key.items()):
        ctx.say(f"  {count} old file(s) -> {key}/{MEMORY}/")
    for sibling in siblings:
        ctx.say(f"  differs from this machine's copy, kept as {sibling}")
    for branch in branches:
        ctx.say(f"  delete branch: {branch[len('refs/heads/'):]}")
    if not confirm:
        ctx.say("dry run: nothing changed. Run `memory-sync migrate-layout --confirm` to do it.")
        return
    tree = ctx.git.tree_with(EMPTY_TREE, [(mode, sha, path) for path, (mode, sha) in sorted(entries.items())],
                             ctx.settings.state_dir / "migrate.index")
    guard(ctx.git.diff_tree(EMPTY_TREE, tree))
    commit = ctx.git.commit_tree(tree, f"migrate to the by-project layout (from {ctx.settings.hostname})",
                                 [old_main])
    outcome = push_refs(ctx, [f"{commit}:{MAIN}"], lease=f"{MAIN}:{old_main}")
    if not outcome.ok(MAIN):
        raise FatalError(f"main moved or was refused ({outcome.summary(MAIN)}); nothing was deleted. Run it again.")
    if branches:
        push_refs(ctx, [f":{branch}" for branch in branches])
    ctx.state.write("base", {})  # the next tick merges the new main as for the first time: nothing counts as deleted
    ctx.say(f"migrated: main is {commit[:12]}; deleted {len(branches)} old branch(es)")
