"""seed: when origin has no main, publish this machine's snapshot as the first main.

The snapshot is a commit-tree commit on the base, so the host branch (and gitfoam's live branch) stay as they are;
main is pushed with a lease that it does not exist, so of two machines seeding at once one wins and the other
merges it on its next tick.
"""
from __future__ import annotations

from pipeline.mirror.base import write_base
from pipeline.mirror.context import Context
from pipeline.mirror.keys import local_keys
from pipeline.mirror.refs import MAIN, ORIGIN_MAIN
from pipeline.mirror.remote import push_refs, remote_main
from pipeline.mirror.repo import ensure_mirror


def seed(ctx: Context) -> bool:
    """Publish this machine's snapshot as the first main; False when there is none, or another machine was first."""
    snapshot = ctx.state.read("snapshot", {}).get("commit")
    if not snapshot:
        ctx.say("seed: origin has no main yet, and this role has no snapshot to seed it from")
        return False
    outcome = push_refs(ctx, [f"{snapshot}:{MAIN}"], lease=f"{MAIN}:")
    if not outcome.ok(MAIN):
        ctx.say("seed: another machine seeded main first; it is merged next tick")
        return False
    write_base(ctx, snapshot, set(local_keys(ctx)), also={ORIGIN_MAIN: snapshot})
    ctx.state.write("fetch", {"main": snapshot, "remote": snapshot})
    ctx.say(f"seed: origin had no main; seeded it from this machine ({snapshot[:12]})")
    return True


def run(ctx: Context) -> None:
    ensure_mirror(ctx)
    if remote_main(ctx) is None:
        seed(ctx)
    else:
        ctx.say("seed: origin has a main; nothing to seed")
