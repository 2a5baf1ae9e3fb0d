"""sweep-branches: delete remote host and proposal branches that are merged into main AND idle too long.

Never an unmerged branch, never main or a lease. What is deleted and what is kept is printed with why.
"""
from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.mirror.refs import MAIN, ORIGIN_MAIN, PROPOSAL_PREFIX
from pipeline.mirror.remote import push_refs, remote_main
from pipeline.tools.git import Git

DAY = 86400
SCRATCH = "refs/sweep/"


@dataclass(frozen=True)
class Branch:
    name: str
    merged: bool
    idle_seconds: int


def verdict(branch: Branch, idle_days: int) -> tuple[bool, str]:
    """(delete?, why): only a branch that is both merged into main and idle strictly longer than idle_days."""
    idle = f"idle {branch.idle_seconds // DAY}d"
    if not branch.merged:
        return False, "not merged into main"
    if branch.idle_seconds <= idle_days * DAY:
        return False, f"merged, but {idle} (not over {idle_days}d)"
    return True, f"merged and {idle} (over {idle_days}d)"


def _idle_days(ctx: Context, given: str | None) -> int:
    if given in (None, ""):
        return ctx.settings.sweep_idle_days
    try:
        days = int(given)
    except ValueError:
        days = -1
    if days < 0:
        raise FatalError(f"--idle-days {given!r} is not valid: give a whole number of days >= 0.")
    return days


@contextmanager
def working_repo(ctx: Context, scratch: bool = False) -> Iterator[Context]:
    """The mirror when this machine has one; else (a cron job on an ops box), or when asked (a plan that may not
    write), a scratch repo, gone afterwards."""
    if ctx.git.exists() and not scratch:
        yield ctx
        return
    with tempfile.TemporaryDirectory(prefix="memory-mirror-sweep-") as scratch:
        git = Git(ctx.runner, Path(scratch), ctx.settings.hostname)
        git.init_scratch(ctx.require_remote())
        yield replace(ctx, git=git)


def merged_into(git: Git, commit: str, main: str) -> bool:
    """main holds what `commit` brings: it is an ancestor, or (a squash merge, which keeps no parent; gitfoam's
    parentless live branch) merging it into main would change nothing."""
    return git.is_ancestor(commit, main) or git.merge_trees(main, commit, unrelated=True) == git.tree_of(main)


def sweep(ctx: Context, idle_days: str | None = None) -> None:
    if not ctx.role.can("sweep"):
        raise FatalError(
            f"role {ctx.role.name} may not sweep branches ({ctx.roles.source} does not list sweep under its 'may'). "
            "Run it on a contributor or the authority."
        )
    days = _idle_days(ctx, idle_days)
    with working_repo(ctx) as repo:
        _sweep(repo, days)


def _sweep(ctx: Context, days: int) -> None:
    if remote_main(ctx) is None:
        ctx.say("origin has no main yet: nothing can be merged, nothing to sweep")
        return
    families = [ctx.settings.prefix, PROPOSAL_PREFIX]
    ctx.git.fetch(f"+{MAIN}:{ORIGIN_MAIN}", *(f"+refs/heads/{f}/*:{SCRATCH}{f}/*" for f in families),
                  prune=True, scratch=True)
    now = int(time.time())
    doomed = []
    for ref, sha, when in ctx.git.refs(*(f"{SCRATCH}{f}/" for f in families)):
        branch = Branch(ref[len(SCRATCH):], merged_into(ctx.git, sha, ORIGIN_MAIN), now - when)
        delete, why = verdict(branch, days)
        ctx.say(f"{'delete' if delete else 'keep  '} {branch.name}: {why}")
        if delete:
            doomed.append(branch.name)
    if not doomed:
        ctx.say("nothing to sweep")
        return
    outcome = push_refs(ctx, [f":refs/heads/{name}" for name in doomed])
    gone = [name for name in doomed if outcome.ok(f"refs/heads/{name}")]
    ctx.say(f"{'would delete' if ctx.dry_run else 'deleted'} {len(gone)} branch(es)")
    for name in sorted(set(doomed) - set(gone)):
        ctx.say(f"could not delete {name}: {outcome.summary(f'refs/heads/{name}')}")
