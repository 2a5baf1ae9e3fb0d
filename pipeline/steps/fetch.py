"""fetch: read origin/main; a role that may seed creates main from this machine when origin has none.

Published first, recorded after: every record of what origin holds (the base, a proposal as merged, the
host branch as pushed, this machine's last proposal) is written only after the push that published it
succeeded. The one record written ahead is the base of a push-main role after it merged trusted proposals;
it says which main it was made on, and `settle_base` takes it back there when the merge never reached
origin and this tick could not merge its proposals again. tests/test_published_first.py refuses every push of main on origin and checks each of these.
"""
from __future__ import annotations

from pipeline.mirror.context import MAIN, ORIGIN_MAIN, Context
from pipeline.mirror import lease
from pipeline.steps.accept_trusted import accept_trusted
from pipeline.mirror.layout import refuse_old_layout
from pipeline.mirror.repo import ensure_mirror, local_keys, settle_base, write_base
from pipeline.mirror.remote import push_refs, remote_main


def seed(ctx: Context) -> bool:
    """Publish this machine's snapshot as the first main (it is a commit-tree commit; the host branch stays)."""
    snapshot = ctx.state.read("snapshot", {}).get("commit")
    if not snapshot:
        ctx.say("fetch: origin has no main yet, and this role has no snapshot to seed it from")
        return False
    outcome = push_refs(ctx, [f"{snapshot}:{MAIN}"], lease=f"{MAIN}:")
    if not outcome.ok(MAIN):
        ctx.say("fetch: another machine seeded main first; it is merged next tick")
        return False
    write_base(ctx, snapshot, set(local_keys(ctx)), also={ORIGIN_MAIN: snapshot})
    ctx.state.write("fetch", {"main": snapshot, "remote": snapshot})
    ctx.say(f"fetch: origin had no main; seeded it from this machine ({snapshot[:12]})")
    return True


def run(ctx: Context) -> None:
    ensure_mirror(ctx)
    sha = remote_main(ctx)
    if sha is None:
        if not ctx.role.can("seed"):
            ctx.say("fetch: origin has no main yet; nothing to merge until a contributor or the authority seeds it")
        elif seed(ctx):
            return
        ctx.state.write("fetch", {"main": None, "remote": None})
        return
    if ctx.state.read("fetch", {}).get("remote") != sha:
        ctx.git.fetch(f"+{MAIN}:{ORIGIN_MAIN}")
        ctx.say(f"fetch: origin/main is {sha[:12]}")
    else:
        ctx.say(f"fetch: origin/main unchanged ({sha[:12]})")
    if ctx.git.rev_parse(sha):  # a dry run does not fetch: what it has not seen it cannot judge
        refuse_old_layout(ctx, sha)
    # a push-main role merges what it fetched plus the clean proposals of trusted hosts, when it is the one that
    # publishes main: one standing down would merge them into a main it never publishes, and then meet them
    # again, changed, as if they were its own edits
    publishes = ctx.role.pushes_main and not (ctx.role.exclusive and lease.held_elsewhere(ctx))
    main = accept_trusted(ctx, sha) if publishes else sha
    if not ctx.dry_run:
        settle_base(ctx, sha, main)
    ctx.state.write("fetch", {"main": main, "remote": sha})
