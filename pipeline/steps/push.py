"""push: publish the host branch <prefix>/<host>/main; a role that may push-main also pushes main with a lease.

An exclusive role (the authority) first secures its lease on the remote; when another machine holds it, only
the host branch is pushed and the step stands down (exit status 3), naming the holder.
"""
from __future__ import annotations

import time

from pipeline.errors import FatalError
from pipeline.mirror import lease
from pipeline.mirror.base import read_base, write_base
from pipeline.mirror.context import Context
from pipeline.mirror.keys import local_keys
from pipeline.mirror.refs import MAIN, ORIGIN_MAIN
from pipeline.mirror.remote import PushOutcome, host_ref, push_refs, remote_refs

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


def _push_host_branch(ctx: Context, commit: str, main: tuple[str, str] | None = None) -> PushOutcome | None:
    """`main`: main's refspec and lease, pushed in the same call (one round trip to origin); returns its
    outcome, or None when main was not pushed here."""
    branch = host_ref(ctx)
    on_origin = remote_refs(ctx).get(branch)
    seen = ctx.state.read("duplicate_host")
    if not _someone_else_publishes(ctx, on_origin, commit) and seen and time.time() - seen["time"] > DUPLICATE_SHOWN_SECONDS:
        ctx.state.forget("duplicate_host")
    if on_origin == commit:
        _published(ctx)
        ctx.say(f"push: {ctx.settings.host_branch} already up to date")
        return None
    along = push_refs(ctx, [f"+{commit}:{branch}", main[0]], lease=main[1]) if main is not None else None
    # the host branch goes alone when it did not go with main: a hook that refuses main refuses the whole push
    for attempt in range(1, HOST_PUSH_ATTEMPTS + 1):
        outcome = along if along is not None and along.ok(branch) else push_refs(ctx, [f"+{commit}:{branch}"])
        # the pusher publishes the same branch: a push that ran at the same moment is no refusal
        if outcome.ok(branch) or not outcome.collided(branch) or attempt == HOST_PUSH_ATTEMPTS:
            break
        if ctx.git.ls_remote("origin", branch).get(branch) == commit:
            ctx.say(f"push: {ctx.settings.host_branch} already up to date (the pusher published it)")
            return along
        time.sleep(0.1 * attempt)
    if not outcome.ok(branch):
        # main may have gone: the next tick's fetch finds it there, as after a crash right after the push
        raise FatalError(f"push of {ctx.settings.host_branch} was refused: {outcome.summary(branch)}")
    _published(ctx)
    ctx.say(f"push: {ctx.settings.host_branch} -> {commit[:12]}")
    return along


def _published(ctx: Context) -> None:
    if not ctx.dry_run and not ctx.state.read("host_branch", {}).get("pushed"):
        ctx.state.write("host_branch", {"pushed": True})


def _main_push(ctx: Context, snapshot: dict) -> tuple[str, str] | None:
    """main's refspec and lease, or None when main is up to date; raises when the snapshot is not built on the
    fetched main."""
    fetched = ctx.state.read("fetch", {})
    base, _ = read_base(ctx)
    if snapshot.get("base") != fetched.get("main") or base != fetched.get("main"):
        raise FatalError("push: the snapshot is not built on the fetched main; not pushing main. "
                         "The next tick rebuilds it.")
    if remote_refs(ctx).get(MAIN) == snapshot["commit"]:
        return None
    return f"{snapshot['commit']}:{MAIN}", f"{MAIN}:{fetched.get('remote') or ''}"


def _main_along(ctx: Context, snapshot: dict) -> tuple[str, str] | None:
    """main's push when it can go with the host branch's: this machine may push main now (a lease it holds and
    need not renew) and main needs it. Anything else (a lease to renew or take, a refusal to explain) takes the
    separate path below, after the host branch is safe on origin."""
    if not ctx.role.pushes_main or (ctx.role.exclusive and not lease.holds(ctx)):
        return None
    try:
        return _main_push(ctx, snapshot)
    except FatalError:
        return None


def _push_main(ctx: Context, snapshot: dict) -> None:
    main = _main_push(ctx, snapshot)
    if main is None:
        ctx.say("push: main already up to date")
        return
    _main_pushed(ctx, push_refs(ctx, [main[0]], lease=main[1]), snapshot)


def _main_pushed(ctx: Context, outcome: PushOutcome, snapshot: dict) -> None:
    """What a push of main did: on success the snapshot is the new base."""
    commit = snapshot["commit"]
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
    along = _main_along(ctx, snapshot)
    outcome = _push_host_branch(ctx, snapshot["commit"], along)
    if not ctx.role.pushes_main:
        return
    if outcome is not None:
        _main_pushed(ctx, outcome, snapshot)
        return
    if ctx.role.exclusive:
        lease.secure(ctx)
    _push_main(ctx, snapshot)
