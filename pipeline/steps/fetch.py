"""fetch: read origin/main (the seed step before it creates main when origin has none; accept-trusted after it
merges trusted proposals into it).

Published first, recorded after: every record of what origin holds (the base, a proposal as merged, the
host branch as pushed, this machine's last proposal) is written only after the push that published it
succeeded. The one record written ahead is the base of a push-main role after it merged trusted proposals;
it says which main it was made on, and `settle_base` takes it back there when the merge never reached
origin and this tick could not merge its proposals again. tests/steps/test_published_first.py refuses every push
of main on origin and checks each of these.
"""
from __future__ import annotations

from pipeline.mirror.base import settle_base
from pipeline.mirror.context import Context
from pipeline.mirror.layout import refuse_old_layout
from pipeline.mirror.refs import MAIN, ORIGIN_MAIN
from pipeline.mirror.remote import remote_main
from pipeline.mirror.repo import ensure_mirror


def run(ctx: Context) -> None:
    ensure_mirror(ctx)
    sha = remote_main(ctx)
    if sha is None:
        ctx.say("fetch: origin has no main yet; nothing to merge until a contributor or the authority seeds it")
        ctx.state.write("fetch", {"main": None, "remote": None})
        return
    if ctx.state.read("fetch", {}).get("remote") != sha:
        ctx.git.fetch(f"+{MAIN}:{ORIGIN_MAIN}")
        ctx.say(f"fetch: origin/main is {sha[:12]}")
    else:
        ctx.say(f"fetch: origin/main unchanged ({sha[:12]})")
    if ctx.git.rev_parse(sha):  # a dry run does not fetch: what it has not seen it cannot judge
        refuse_old_layout(ctx, sha)
    if "accept-trusted" not in ctx.role.steps and not ctx.dry_run:
        settle_base(ctx, sha, sha)  # a role that merges proposals settles the base once it has merged them again
    ctx.state.write("fetch", {"main": sha, "remote": sha})
