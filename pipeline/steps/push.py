"""push: publish the host branch <prefix>/<host>/main; a role that may push-main also pushes main with a lease."""
from __future__ import annotations

from pipeline.context import MAIN, ORIGIN_MAIN, Context
from pipeline.errors import FatalError
from pipeline.mirror import load_identities, local_keys, read_base, write_base
from pipeline.remote import host_ref, push_refs, remote_refs


def run(ctx: Context) -> None:
    snapshot = ctx.state.read("snapshot", {})
    commit = snapshot.get("commit")
    if not commit:
        raise FatalError("push: there is no snapshot commit to push yet; run the whole tick (memory-sync sync-now).")
    branch = host_ref(ctx)
    on_remote = remote_refs(ctx)
    if not ctx.role.pushes_main:
        if on_remote.get(branch) == commit:
            ctx.say(f"push: {ctx.settings.host_branch} already up to date")
            return
        outcome = push_refs(ctx, [f"+{commit}:{branch}"])
        if not outcome.ok(branch):
            raise FatalError(f"push of {ctx.settings.host_branch} was refused: {outcome.summary(branch)}")
        ctx.say(f"push: {ctx.settings.host_branch} -> {commit[:12]}")
        return
    fetched = ctx.state.read("fetch", {}).get("main")
    base, _ = read_base(ctx)
    if snapshot.get("base") != fetched or base != fetched:
        raise FatalError("push: the snapshot is not built on the fetched main; not pushing main. "
                         "The next tick rebuilds it.")
    if on_remote.get(branch) == commit and on_remote.get(MAIN) == commit:
        ctx.say("push: main and host branch already up to date")
        return
    outcome = push_refs(ctx, [f"{commit}:{MAIN}", f"+{commit}:{branch}"], lease=f"{MAIN}:{fetched or ''}")
    if outcome.ok(MAIN):
        if not ctx.dry_run and commit != fetched:
            ctx.git.update_ref(ORIGIN_MAIN, commit)
            write_base(ctx, commit, set(local_keys(ctx, load_identities(ctx))))
            ctx.state.write("fetch", {"main": commit})
            # main now is this snapshot: the next tick starts from it instead of rebuilding it
            ctx.state.write("snapshot", {**snapshot, "base": commit})
        ctx.say(f"push: main -> {commit[:12]}" + (" (unchanged)" if commit == fetched else ""))
    elif "stale info" in outcome.summary(MAIN):
        ctx.say("push: authority push lease invalidated (main moved since it was fetched); "
                "nothing is lost, the next tick merges and retries")
        ctx.log.warning("authority push lease invalidated: %s", outcome.summary(MAIN))
    else:
        raise FatalError(f"push of main was refused: {outcome.summary(MAIN)}")
    if not outcome.ok(branch):
        raise FatalError(f"push of {ctx.settings.host_branch} was refused: {outcome.summary(branch)}")
