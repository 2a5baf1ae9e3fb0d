"""resnapshot: snapshot and commit again, so what merge wrote (conflict siblings) is included and the
snapshot is rebuilt on the base merge just moved to."""
from __future__ import annotations

from pipeline.mirror.context import Context
from pipeline.steps import commit, snapshot


def run(ctx: Context) -> None:
    if ctx.state.read("merge", {}).get("wrote", 1):
        snapshot.run(ctx)
    commit.run(ctx)
