"""At most one live holder of an exclusive role: a lease ref on the remote whose tip names host and heartbeat.

The lease is a parentless commit on `mirror/<role>-lease` (never a commit on main), renewed with
--force-with-lease at most once per interval. A lease from another host younger than three intervals makes
this machine stand down; an older one is taken over, and the takeover is logged. "Three intervals" are the
holder's own (its lease records its interval): a reader ticking every 10 s must not take over from a holder that
ticks every 5 minutes.
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.mirror.remote import lease_ref, push_refs, remote_refs
from pipeline.tools.git_formats import EMPTY_TREE

STALE_AFTER_INTERVALS = 3


class StandDown(FatalError):
    """Another machine holds the exclusive role; this one did its tick but not the exclusive part."""

    exit_code = 3


@dataclass(frozen=True)
class Lease:
    host: str
    heartbeat: int
    interval: int | None = None  # the holder's tick interval; None in a lease written before it was recorded


class Verdict(enum.Enum):
    HOLD = "hold"  # ours and fresh
    RENEW = "renew"  # ours, due for a heartbeat
    TAKE = "take"  # nobody holds it
    TAKE_OVER = "take over"  # another host's, but stale
    STAND_DOWN = "stand down"  # another host's, and live


def judge(lease: Lease | None, me: str, now: int, interval: int) -> Verdict:
    if lease is None:
        return Verdict.TAKE
    age = now - lease.heartbeat
    if lease.host == me:
        return Verdict.RENEW if age >= interval else Verdict.HOLD
    return Verdict.STAND_DOWN if age < STALE_AFTER_INTERVALS * (lease.interval or interval) else Verdict.TAKE_OVER


def parse(message: str) -> Lease | None:
    fields = dict(line.split(": ", 1) for line in message.splitlines() if ": " in line)
    try:
        interval = int(fields["interval"]) if "interval" in fields else None
        return Lease(fields["host"], int(fields["heartbeat"]), interval if interval and interval > 0 else None)
    except (KeyError, ValueError):
        return None


def _read(ctx: Context, ref: str, sha: str) -> Lease | None:
    known = ctx.state.read("lease", {})
    if known.get("sha") == sha:
        return Lease(known["host"], known["heartbeat"], known.get("interval"))
    ctx.git.fetch(f"+{ref}:refs/mirror/lease")
    return parse(ctx.git.commit_message(sha))


def _current(ctx: Context) -> tuple[str, str | None, Lease | None, Verdict, int]:
    ref = lease_ref(ctx.role.name)
    sha = remote_refs(ctx).get(ref)
    now = int(time.time())
    lease = _read(ctx, ref, sha) if sha else None
    return ref, sha, lease, judge(lease, ctx.settings.hostname, now, ctx.settings.interval), now


def held_elsewhere(ctx: Context) -> bool:
    """Another machine holds this exclusive role's lease now: this one will not publish main this tick."""
    return _current(ctx)[3] is Verdict.STAND_DOWN


def holds(ctx: Context) -> bool:
    """This machine holds the lease and need not renew it now."""
    return _current(ctx)[3] is Verdict.HOLD


def secure(ctx: Context) -> None:
    """Hold the lease of this exclusive role, or raise StandDown naming the holder."""
    role = ctx.role.name
    ref, sha, lease, verdict, now = _current(ctx)
    if verdict is Verdict.HOLD:
        return
    if verdict is Verdict.STAND_DOWN:
        holder = f"{lease.host} holds the {role} lease (heartbeat {now - lease.heartbeat}s ago)"
        ctx.state.write("lease", {"sha": sha, "host": lease.host, "heartbeat": lease.heartbeat,
                                  "interval": lease.interval})
        raise StandDown(f"standing down: {holder}; main was not pushed. Only one {role} per fleet: "
                        f"set MEMORY_MIRROR_ROLE on this machine to another role, or stop {lease.host}.")
    if ctx.dry_run:
        ctx.say(f"lease: would {verdict.value} the {role} lease")
        return
    interval = ctx.settings.interval
    message = f"{role} lease\n\nhost: {ctx.settings.hostname}\nheartbeat: {now}\ninterval: {interval}\n"
    commit = ctx.git.commit_tree(EMPTY_TREE, message, [])
    outcome = push_refs(ctx, [f"{commit}:{ref}"], lease=f"{ref}:{sha or ''}")
    if not outcome.ok(ref):
        raise StandDown(f"standing down: another machine took the {role} lease just now; main was not pushed.")
    if verdict is Verdict.TAKE_OVER:
        ctx.say(f"lease: took over the {role} lease from {lease.host} "
                f"(last heartbeat {now - lease.heartbeat}s ago, over {STALE_AFTER_INTERVALS} intervals)")
    ctx.state.write("lease", {"sha": commit, "host": ctx.settings.hostname, "heartbeat": now, "interval": interval})
