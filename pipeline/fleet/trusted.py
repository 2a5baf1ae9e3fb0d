"""Trusted auto-merge: on a push-main tick, clean proposals of hosts on the authority's own roster join main.

Trust comes from the roster (the `hosts` of roles with `auto_merge: true` in this machine's roles.yaml) and the
branch it was pushed to, never from what a proposal says about itself. Merging is git's own three-way merge;
a proposal that does not merge cleanly, or that touches anything but memory files, is left for a person.
"""
from __future__ import annotations

from fnmatch import fnmatchcase

from pipeline.context import Context
from pipeline.fleet.propose import PROPOSAL_PREFIX
from pipeline.fleet.trusted_merge import merge_proposal
from pipeline.paths import is_mirror_path
from pipeline.remote import remote_refs
from pipeline.roles import RoleTable
from pipeline.steps.merge import REGULAR_MODES

PROPOSAL_REFS = f"refs/heads/{PROPOSAL_PREFIX}/"
SCRATCH = "refs/proposals/"


def roster_role(host: str, table: RoleTable) -> str | None:
    """The auto-merge role whose roster lists this host, if any."""
    for role in table.roles.values():
        if role.auto_merge and any(fnmatchcase(host, pattern) for pattern in role.hosts):
            return role.name
    return None


def proposal_host(ref: str) -> str | None:
    parts = ref[len(PROPOSAL_REFS):].split("/") if ref.startswith(PROPOSAL_REFS) else []
    return parts[0] if len(parts) == 2 and parts[0] else None


def accept_trusted(ctx: Context, main: str) -> str:
    """Merge the clean proposals of rostered hosts into `main` locally; returns the new main (or `main`).

    Nothing here records a merge: a proposal counts as merged once origin's main holds it (the next tick sees
    it as an ancestor), so a push of main that is refused or never made loses nothing.
    """
    handled = ctx.state.read("proposals", {})
    candidates = []
    for ref, sha in sorted(remote_refs(ctx).items()):
        host = proposal_host(ref)
        role = roster_role(host, ctx.roles) if host else None
        if role and handled.get(sha) not in ("merged", f"left:{main}"):
            candidates.append((ref, sha, host, role))
    if not candidates:
        return main
    ctx.git.fetch(*(f"+{ref}:{SCRATCH}{ref[len(PROPOSAL_REFS):]}" for ref, *_ in candidates))
    current = main
    for ref, sha, host, role in candidates:
        branch = ref[len("refs/heads/"):]
        if ctx.git.is_ancestor(sha, current):
            # recorded only against what origin holds: a merge made on this tick is not published yet, and
            # when its push is refused the next tick merges the proposal again
            if ctx.git.is_ancestor(sha, main):
                handled[sha] = "merged"
            continue
        tree = merge_proposal(ctx, current, sha)
        foreign = _foreign_paths(ctx, current, tree) if tree else []
        if tree is None or foreign:
            why = "it does not merge cleanly" if tree is None else f"it touches {', '.join(foreign[:3])}"
            ctx.say(f"fetch: left {branch} for a person: {why}")
            handled[sha] = f"left:{main}"
            continue
        current = ctx.git.commit_tree(tree, f"Merge {branch} (trusted host {host}, role {role})", [current, sha])
        ctx.say(f"fetch: merged {branch} from trusted host {host} (role {role})")
    ctx.state.write("proposals", handled)
    return current


def _foreign_paths(ctx: Context, main: str, tree: str) -> list[str]:
    return [
        change.path.decode("utf-8", "backslashreplace")
        for change in ctx.git.diff_tree(main, tree)
        if not is_mirror_path(change.path) or (change.new_sha and change.new_mode not in REGULAR_MODES)
    ]
