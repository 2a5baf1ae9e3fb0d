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
# two machines with one name take turns on the branch: status keeps saying so for a day after the last sighting
DUPLICATE_SHOWN_SECONDS = 86400


def _someone_else_publishes(ctx: Context, on_origin: str | None, commit: str) -> bool:
    """Every commit this mirror ever pushed to its host branch was made here; one it has never seen came from
    another machine publishing the same branch (the same MEMORY_MIRROR_HOSTNAME). A new mirror has pushed
    nothing yet, so what its earlier life left on origin is not taken for another machine."""
    # (the commit about to be pushed was made here: no need to ask git)
    if on_origin in (None, commit) or not ctx.state.read("host_branch", {}).get("pushed") or \
            ctx.git.has_commit(on_origin):
        return False
    message = (f"push: another machine publishes {ctx.settings.host_branch} too (origin has {on_origin[:12]}, a "
               f"commit this machine never made): give each machine its own MEMORY_MIRROR_HOSTNAME in "
               f"{ctx.settings.env_file}")
    ctx.say(message)
    ctx.log.warning(message)
    ctx.state.write("duplicate_host", {"branch": ctx.settings.host_branch, "seen": on_origin, "time": int(time.time())})
    return True


def _push_host_branch(ctx: Context, commit: str) -> None:
    branch = host_ref(ctx)
    on_origin = remote_refs(ctx).get(branch)
    seen = ctx.state.read("duplicate_host")
    if not _someone_else_publishes(ctx, on_origin, commit) and seen and time.time() - seen["time"] > DUPLICATE_SHOWN_SECONDS:
        ctx.state.forget("duplicate_host")
    if on_origin == commit:
        _published(ctx)
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
    _published(ctx)
    ctx.say(f"push: {ctx.settings.host_branch} -> {commit[:12]}")


def _published(ctx: Context) -> None:
    if not ctx.dry_run and not ctx.state.read("host_branch", {}).get("pushed"):
        ctx.state.write("host_branch", {"pushed": True})


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
            write_base(ctx, commit, set(local_keys(ctx)), also={ORIGIN_MAIN: commit})
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
