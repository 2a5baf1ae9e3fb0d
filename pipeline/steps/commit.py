"""commit: build this machine's snapshot commit S on the base and point the host branch at it.

S's tree is the base's tree with the keys present here replaced by their local memory, so keys this machine
does not have are carried over untouched, and S against the base is exactly this machine's own changes.
"""
from __future__ import annotations

from pipeline.errors import GuardError
from pipeline.faults import crash_point
from pipeline.mirror import blocked, live_tree
from pipeline.mirror.base import read_base
from pipeline.mirror.blocked import BLOCKED_LOG
from pipeline.mirror.context import Context
from pipeline.mirror.keys import JOINED, LocalKey, local_keys
from pipeline.mirror.repo import worktree
from pipeline.mirror.verdicts import judge
from pipeline.projects.identity import UNMAPPED
from pipeline.rules.memory_only import KEY_ROOTS, split_mirror_path
from pipeline.rules.tree import TREE_MODE, TreeEntry, compose_key_root, forbidden_entries, is_repo_file
from pipeline.tools.git_formats import EMPTY_TREE, Change, tree_id

NAME_HOLDS_SECRET = "its name looks like it holds a secret"
KEY_ROOT_NAMES = frozenset(root.encode() for root in KEY_ROOTS)


def _split_key(key: str) -> tuple[str, str]:
    root, name = key.split("/", 1)
    return root, name


def guard(changes: list[Change]) -> None:
    """Abort before anything non-memory is committed or pushed (rule 1)."""
    problems = forbidden_entries([TreeEntry(c.new_mode, "blob", c.new_sha, c.path) for c in changes if c.new_sha])
    if problems:
        raise GuardError(
            f"refusing to commit: {len(problems)} path(s) that must never leave this machine: "
            f"{', '.join(problems[:5])}{' ...' if len(problems) > 5 else ''}. Nothing was pushed."
        )


def keep_ignored(ctx: Context, tree: str, changes: list[Change]) -> tuple[str, list[Change]]:
    """`tree` with every path the user's mirrorignore names kept as the base has it (or absent): an ignored file
    is never published, and leaving it out of the work tree is not a deletion."""
    ignored = [c for c in changes if (split := split_mirror_path(c.path)) and ctx.ignore.ignores(*split)]
    if not ignored:
        return tree, changes
    return at_base(ctx, tree, ignored), [c for c in changes if c not in ignored]


def at_base(ctx: Context, tree: str, held: list[Change]) -> str:
    """`tree` with each of `held` as the base has it (or absent)."""
    return ctx.git.tree_with(tree, [(c.old_mode, c.old_sha, c.path) for c in held],
                             ctx.settings.state_dir / "hold.index")


def held_back_reasons(ctx: Context, added: list[Change]) -> dict[bytes, str]:
    """path -> why that added or changed file may not leave this machine as it is: a name no other machine
    can be sure to create, a size main refuses, or a credential in it (rule 2)."""
    reasons: dict[bytes, str] = {}
    for change in added:
        try:
            change.path.decode("utf-8")
        except UnicodeDecodeError:
            reasons[change.path] = "its name is not valid UTF-8; rename it"
    judged, named = judge(ctx, [c.new_sha for c in added if c.path not in reasons],
                          [c.path.decode("utf-8") for c in added if c.path not in reasons])
    limit = ctx.settings.max_file_bytes
    for change in added:
        if change.path in reasons:
            continue
        size, rules = judged[change.new_sha]
        if size > limit:
            reasons[change.path] = f"{size} bytes is over MEMORY_MIRROR_MAX_FILE_BYTES ({limit})"
        elif name_rules := named[change.path.decode("utf-8")]:
            reasons[change.path] = f"{NAME_HOLDS_SECRET} ({', '.join(name_rules)}); rename it"
        elif rules:
            reasons[change.path] = f"it looks like it holds a secret ({', '.join(rules)})"
    return reasons


def hold_back(ctx: Context, tree: str, changes: list[Change]) -> tuple[str, list[Change]]:
    """`tree` with every added or changed file that may not leave this machine kept at its base version, and the
    changes still in it.

    Holding a file back is never mistaken for deleting it: it stays on disk and syncs once fixed. Each held file
    is named in blocked.log with the reason, never its content, once per version.
    """
    added = [c for c in changes if c.new_sha]
    if not added:
        return tree, changes
    reasons = held_back_reasons(ctx, added)
    logged = ctx.state.read("blocked", {})
    now_blocked = {}
    held = [c for c in added if c.path in reasons]
    for change in held:
        path = change.path.decode("utf-8", "backslashreplace")
        if reasons[change.path].startswith(NAME_HOLDS_SECRET):
            from pipeline.rules import secrets

            path = secrets.shown_name(path)  # neither the log nor the output repeats the secret
        now_blocked[path] = change.new_sha
        if logged.get(path) != change.new_sha:
            record_blocked(ctx, path, reasons[change.path])
    if now_blocked != logged:
        ctx.state.write("blocked", now_blocked)
    if not held:
        return tree, changes
    return at_base(ctx, tree, held), [c for c in changes if c.path not in reasons]


def record_blocked(ctx: Context, path: str, reason: str) -> None:
    blocked.record(ctx.settings, path, reason)
    ctx.say(f"commit: held back {path}: {reason}; see {BLOCKED_LOG}")


def base_listing(ctx: Context, base: str | None) -> dict:
    """{"tree": the base's tree, "keys": key -> its subtree, "repo_files": [mode, type, sha, name] of what the
    repository keeps beside the key roots}: remembered per base, which changes only on merge."""
    # a dry run's base may be a commit it only pretended to make (a seed of main): it has nothing to list
    if base is None or (ctx.dry_run and not ctx.git.rev_parse(base)):
        return {"tree": None, "keys": {}, "repo_files": []}
    known = ctx.state.read("base_listing", {})
    if known.get("commit") != base or "repo_files" not in known:
        tree, roots = ctx.git.children(base)
        keys = {f"{root.path.decode()}/{entry.path.decode('utf-8', 'surrogateescape')}": entry.sha
                for root in roots if root.mode == TREE_MODE and root.path in KEY_ROOT_NAMES
                for entry in ctx.git.children(root.sha)[1] if entry.mode == TREE_MODE}
        repo_files = [[e.mode, e.kind, e.sha, e.path.decode("utf-8", "surrogateescape")]
                      for e in roots if is_repo_file(e.path)]
        known = {"commit": base, "tree": tree, "keys": keys, "repo_files": repo_files}
        ctx.state.write("base_listing", known)
    return known


def compose(ctx: Context, keys: dict[str, LocalKey], base: str | None, merged: frozenset[str],
            subtrees: dict[str, str]) -> str:
    """The snapshot tree: the base's with this machine's keys replaced (see the module docstring)."""
    git = ctx.git
    by_root: dict[str, dict[str, str | None]] = {root: {} for root in KEY_ROOTS}
    for key, local in keys.items():
        root, name = _split_key(key)
        by_root[root][name] = subtrees.get(local.primary.encoded)
    base_by_root: dict[str, dict[str, TreeEntry]] = {root: {} for root in KEY_ROOTS}
    for key, sha in base_listing(ctx, base)["keys"].items():
        root, name = _split_key(key)
        base_by_root[root][name] = TreeEntry(TREE_MODE, "tree", sha, name.encode())
    merged_names: dict[str, set[str]] = {root: set() for root in KEY_ROOTS}
    for key in _folded(ctx, keys, base):
        by_root[UNMAPPED][key.split("/", 1)[1]] = None
        merged_names[UNMAPPED].add(key.split("/", 1)[1])
    for key in merged:
        root, name = _split_key(key)
        merged_names.setdefault(root, set()).add(name)
    # a README or .github/ a user keeps in the mirror repo goes on as it is: only memory is this machine's to change
    subtrees = []
    root_entries = [TreeEntry(mode, kind, sha, name.encode("utf-8", "surrogateescape"))
                    for mode, kind, sha, name in base_listing(ctx, base)["repo_files"]]
    for root in KEY_ROOTS:
        # with no base nothing counts as deleted: local content is all there is
        replace = merged_names[root] if base else set(by_root[root])
        entries = compose_key_root(base_by_root[root], by_root[root], replace)
        if entries:
            subtrees.append(entries)
            root_entries.append(TreeEntry(TREE_MODE, "tree", tree_id(entries), root.encode()))
    return git.mktrees([*subtrees, root_entries])[-1]  # one git call for the whole snapshot tree


def _folded(ctx: Context, keys: dict[str, LocalKey], base: str | None) -> list[str]:
    """The _unmapped/<encoded> copies on the base of dirs that now map to a key and whose files joined it: the
    snapshot leaves them out, so main keeps no orphan. A copy a peer changed since is folded again first."""
    joined = ctx.state.read(JOINED, {}) if base else {}
    listing = base_listing(ctx, base)["keys"] if joined else {}
    folded = []
    for local in keys.values():
        for identity in local.dirs:
            copy = f"{UNMAPPED}/{identity.encoded}"
            if copy != local.key and listing.get(copy) is not None and listing.get(copy) == joined.get(identity.encoded):
                folded.append(copy)
    return folded


def local_subtrees(ctx: Context, previous: dict, copied: dict) -> tuple[dict[str, str], dict[str, int]]:
    """project dir -> the tree of its memory in the work tree: the last snapshot's, with each dir the snapshot step
    copied since (`copied`: its record) written again; every dir, when the last snapshot's are not known. And when
    each dir's tree was read: its files unchanged since are not read again the next time."""
    target = worktree(ctx)
    subtrees, read_at = previous.get("subtrees"), previous.get("read_at") or {}
    if subtrees is None or (copied.get("dirty") and copied.get("dirs") is None):
        subtrees, dirs = {}, sorted(p.name for p in target.iterdir()) if target.is_dir() else []
    else:
        subtrees, dirs = dict(subtrees), copied.get("dirs") or []
    read_at = {name: when for name, when in read_at.items() if name in subtrees}
    present = [name for name in dirs if (target / name).is_dir()]
    earlier = {target / name: (subtrees[name], read_at[name]) for name in present if name in read_at}
    trees, now = ctx.git.write_dirs([target / name for name in present], earlier)
    for name in dirs:
        subtrees.pop(name, None)
        read_at.pop(name, None)
    for name, tree in zip(present, trees):
        if tree is not None:
            subtrees[name], read_at[name] = tree, now
    return subtrees, read_at


def run(ctx: Context) -> None:
    git = ctx.git
    keys = local_keys(ctx)
    base, merged = read_base(ctx)
    fingerprint = {key: local.primary.encoded for key, local in keys.items()}
    previous = ctx.state.read("snapshot", {})
    copied = ctx.state.read("worktree", {"dirty": True})
    unchanged = (previous.get("base") == base and previous.get("keys") == fingerprint
                 and previous.get("merged") == sorted(merged))
    if not copied.get("dirty") and unchanged and previous.get("commit"):
        ctx.say("commit: nothing changed")
        return
    subtrees, read_at = local_subtrees(ctx, previous, copied)
    if ctx.dry_run:
        git.mktrees([[]])
        git.commit_tree("<tree>", f"memory snapshot of {ctx.settings.hostname}", [base] if base else [])
        git.update_refs({f"refs/heads/{ctx.settings.host_branch}": "<S>"})
        ctx.state.write("snapshot", {"commit": "<S>", "base": base})
        return
    tree = compose(ctx, keys, base, merged, subtrees)
    base_tree = base_listing(ctx, base)["tree"]
    changes = git.diff_tree(base_tree or EMPTY_TREE, tree)  # exactly what this snapshot adds to the base
    tree, changes = keep_ignored(ctx, tree, changes)
    tree, changes = hold_back(ctx, tree, changes)
    guard(changes)
    if tree == base_tree:
        snapshot = base
    elif previous.get("tree") == tree and previous.get("base") == base and previous.get("commit"):
        snapshot = previous["commit"]
    else:
        snapshot = git.commit_tree(tree, f"memory snapshot of {ctx.settings.hostname}", [base] if base else [])
    crash_point("commit:mid")
    git.update_refs({f"refs/heads/{ctx.settings.host_branch}": snapshot})
    if tree != previous.get("tree") and ctx.state.read("pusher", {}).get("kind") == "gitfoam":
        live_tree.show(ctx, tree)  # gitfoam publishes it within its next poll
    ctx.state.write("snapshot", {"commit": snapshot, "tree": tree, "base": base, "keys": fingerprint,
                                 "merged": sorted(merged), "subtrees": subtrees, "read_at": read_at})
    ctx.state.write("worktree", {"dirty": False})
    ctx.say(f"commit: {snapshot[:12]} on {ctx.settings.host_branch}" + (" (same as main)" if snapshot == base else ""))
