"""accept-trusted: on the tick of the role that publishes main, clean proposals of hosts on its own roster join the
main just fetched, before it is merged into local memory.

Trust comes from the roster (a role with `auto_merge: true` in this machine's roles.yaml, listing each host's SSH
signing key) and a verified signature, never from the branch name a proposal was pushed to. A proposal is merged
only when every commit it brings is signed by its host's key, it passes the checks of `memory-sync check` (memory
files only, no symlink, no oversized file, no secret, no case collision), and it merges cleanly as a tick merges
main (text by line, MEMORY.md by entry: trusted_merge); anything else is left for a person, and the log says which
check failed.
"""
from __future__ import annotations

from pipeline.mirror import lease
from pipeline.mirror.base import settle_base
from pipeline.mirror.context import Context
from pipeline.mirror.refs import PROPOSAL_PREFIX
from pipeline.mirror.remote import remote_refs
from pipeline.trust.check import proposal_host, ref_problems
from pipeline.trust.merge import merge_proposal
from pipeline.trust.roster import roster_role

PROPOSAL_REFS = f"refs/heads/{PROPOSAL_PREFIX}/"
SCRATCH = "refs/proposals/"


def accept_trusted(ctx: Context, main: str) -> str:
    """Merge the clean proposals of rostered hosts into `main` locally; returns the new main (or `main`).

    Nothing here records a merge: a proposal counts as merged once origin's main holds it (the next tick sees
    it as an ancestor), so a push of main that is refused or never made loses nothing.
    """
    handled = ctx.state.read("proposals", {})
    candidates = []
    for ref, sha in sorted(remote_refs(ctx).items()):
        host = proposal_host(ref) if ref.startswith(PROPOSAL_REFS) else None
        role = roster_role(host, ctx.roles) if host else None
        if role and handled.get(sha) not in ("merged", f"left:{main}"):
            candidates.append((ref, sha, host, role.name))
    if not candidates:
        ctx.say("accept-trusted: no new proposals of trusted hosts")
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
        why = _refused(ctx, branch, sha, current)
        tree = None if why else merge_proposal(ctx, current, sha)
        if tree is None:
            ctx.say(f"accept-trusted: left {branch} for a person: {why or 'it does not merge cleanly'}")
            handled[sha] = f"left:{main}"
            continue
        current = ctx.git.commit_tree(tree, f"Merge {branch} (trusted host {host}, role {role})", [current, sha])
        ctx.say(f"accept-trusted: merged {branch} from trusted host {host} (role {role})")
    ctx.state.write("proposals", handled)
    return current


def _refused(ctx: Context, branch: str, sha: str, main: str) -> str | None:
    """Which check the proposal fails, in words; None when it passes them all."""
    problems = ref_problems(ctx.git, ctx.settings, ctx.roles, branch, sha, main, memory_only=True)
    if not problems:
        return None
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"the {problems[0].check} check failed ({problems[0]}{more})"


def run(ctx: Context) -> None:
    fetched = ctx.state.read("fetch", {})
    sha = fetched.get("remote")
    if sha is None:
        ctx.say("accept-trusted: origin has no main to merge proposals into")
        return
    # only the machine that publishes main merges into it: one standing down would merge proposals into a main it
    # never publishes, and then meet them again, changed, as if they were its own edits
    if ctx.role.exclusive and lease.held_elsewhere(ctx):
        ctx.say("accept-trusted: another machine holds the authority lease; its proposals are left to it")
        main = sha
    else:
        main = accept_trusted(ctx, sha)
    if not ctx.dry_run:
        settle_base(ctx, sha, main)
    ctx.state.write("fetch", {"main": main, "remote": sha})
