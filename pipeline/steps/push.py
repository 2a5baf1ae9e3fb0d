"""push: publish the host branch <prefix>/<host>/main; a role that may push-main also pushes main with a lease.

An exclusive role (the authority) first secures its lease on the remote; when another machine holds it, only
the host branch is pushed and the step stands down (exit status 3), naming the holder.
"""
from __future__ import annotations

import time

from pipeline.context import MAIN, ORIGIN_MAIN, Context
from pipeline.errors import FatalError
from pipeline.fleet import lease
from pipeline.mirror import local_keys, read_base, write_base
from pipeline.remote import host_ref, push_refs, remote_refs

HOST_PUSH_ATTEMPTS = 5


def _push_host_branch(ctx: Context, commit: str) -> None:
    branch = host_ref(ctx)
    if remote_refs(ctx).get(branch) == commit:
        ctx.say(f"push: {ctx.settings.host_branch} already up to date")
        return
    for attempt in range(1, HOST_PUSH_ATTEMPTS + 1):
        outcome = push_refs(ctx, [f"+{commit}:{branch}"])
        # the pusher publishes the same branch: a push that ran at the same moment is no refusal
        if outcome.ok(branch) or not outcome.collided(branch) or attempt == HOST_PUSH_ATTEMPTS:
            break
        if ctx.git.ls_remote("origin", branch).get(branch) == commit:
            ctx.say(f"push: {ctx.settings.host_branch} already up to date (the pusher published it)")
            return
        time.sleep(0.1 * attempt)
    if not outcome.ok(branch):
        raise FatalError(f"push of {ctx.settings.host_branch} was refused: {outcome.summary(branch)}")
    ctx.say(f"push: {ctx.settings.host_branch} -> {commit[:12]}")


def _push_main(ctx: Context, snapshot: dict) -> None:
    commit = snapshot["commit"]
    fetched = ctx.state.read("fetch", {})
    base, _ = read_base(ctx)
    if snapshot.get("base") != fetched.get("main") or base != fetched.get("main"):
        raise FatalError("push: the snapshot is not built on the fetched main; not pushing main. "
                         "The next tick rebuilds it.")
    remote = fetched.get("remote")
    if remote_refs(ctx).get(MAIN) == commit:
        ctx.say("push: main already up to date")
        return
    outcome = push_refs(ctx, [f"{commit}:{MAIN}"], lease=f"{MAIN}:{remote or ''}")
    if outcome.ok(MAIN):
        if not ctx.dry_run:
            ctx.git.update_ref(ORIGIN_MAIN, commit)
            write_base(ctx, commit, set(local_keys(ctx)))
            ctx.state.write("fetch", {"main": commit, "remote": commit})
            # main now is this snapshot: the next tick starts from it instead of rebuilding it
            ctx.state.write("snapshot", {**snapshot, "base": commit})
        ctx.say(f"push: main -> {commit[:12]}")
    elif "stale info" in outcome.summary(MAIN) or outcome.collided(MAIN):
        # another push of main at the same moment (a merged PR) refuses this one as a failed ref update, not
        # as stale info: main moved all the same
        ctx.say("push: authority push lease invalidated (main moved since it was fetched); "
                "nothing is lost, the next tick merges and retries")
        ctx.log.warning("authority push lease invalidated: %s", outcome.summary(MAIN))
    else:
        raise FatalError(f"push of main was refused: {outcome.summary(MAIN)}")


def run(ctx: Context) -> None:
    snapshot = ctx.state.read("snapshot", {})
    if not snapshot.get("commit"):
        raise FatalError("push: there is no snapshot commit to push yet; run the whole tick (memory-sync sync-now).")
    _push_host_branch(ctx, snapshot["commit"])
    if not ctx.role.pushes_main:
        return
    if ctx.role.exclusive:
        lease.secure(ctx)
    _push_main(ctx, snapshot)
