"""The base: the main last merged into this machine's memory, which every three-way decision is made against."""
from __future__ import annotations

import time

from pipeline.mirror.context import Context
from pipeline.mirror.refs import BASE_REF


def read_base(ctx: Context) -> tuple[str | None, frozenset[str]]:
    """The last main merged into this machine's memory, and the keys that merge covered."""
    base = ctx.state.read("base", {})
    return base.get("commit"), frozenset(base.get("keys", ()))


def write_base(ctx: Context, commit: str, keys: set[str] | frozenset[str], published: str | None = None,
               also: dict[str, str] | None = None) -> None:
    """`published`: the origin main that `commit` (a merge made here, not pushed yet) was made on. `also`: other
    refs to move in the same git call."""
    # the ref keeps the commit reachable (safe from gc); the state file is what steps read
    ctx.git.update_refs({BASE_REF: commit, **(also or {})})
    record = {"commit": commit, "keys": sorted(keys), "time": int(time.time())}
    ctx.state.write("base", {**record, "published": published} if published else record)


def settle_base(ctx: Context, origin_main: str, main: str) -> None:
    """A base that is a merge made here (trusted proposals) which never reached origin: when `main` (what this tick
    merges: origin's main, and the proposals merged into it again) lacks one of its proposals, the base goes back to
    the main it was made on. Local memory holds everything of both, so against that main the proposal's files
    count as this machine's own changes, and nothing of them is taken for a peer's deletion."""
    record = ctx.state.read("base", {})
    published = record.get("published")
    if not published or ctx.git.is_ancestor(record["commit"], origin_main):
        return
    if all(ctx.git.is_ancestor(proposal, main) for proposal in ctx.git.merged_in(record["commit"], published)):
        return  # every proposal of that merge is merged again: its files stand on main as they did
    write_base(ctx, published, frozenset(record.get("keys", ())))
    ctx.say(f"fetch: the merge of {record['commit'][:12]} was never published; merging again from {published[:12]}")
