"""What `memory-sync status` reports, gathered from settings, state and the daemons' PID files."""
from __future__ import annotations

import time
from pathlib import Path

from pipeline.mirror.base import read_base
from pipeline.mirror.conflicts import pending
from pipeline.mirror.context import Context
from pipeline.mirror.keys import local_keys, memory_dir
from pipeline.mirror.memref import short_key
from pipeline.rules.index_merge import INDEX_NAME, load_limit_note, topic_targets
from pipeline.services import supervise
from pipeline.tools import gitfoam

SYNC_DAEMON = "sync-daemon"
PUSHER = "gitfoam"  # the pusher's PID file and log keep gitfoam's names, whichever pusher runs


def index_notes(ctx: Context) -> list[str]:
    """What is wrong with each key's MEMORY.md as Claude would load it: entries naming a missing topic file,
    and an index longer than Claude loads."""
    notes = []
    for local in local_keys(ctx).values():
        directory = memory_dir(ctx, local.primary)
        name = f"{short_key(local.key)}/{INDEX_NAME}"
        try:
            text = (directory / INDEX_NAME).read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        notes += [f"{name} names {target}, which is missing" for target in topic_targets(text)
                  if not (directory / target).is_file()]
        if note := load_limit_note(text):
            notes.append(f"{name}: {note}")
    return notes


def gather(ctx: Context) -> dict:
    settings = ctx.settings
    home = settings.home
    sync_running, sync_pid = supervise.status(home, SYNC_DAEMON)
    push_running, push_pid = supervise.status(home, PUSHER)
    pusher = ctx.state.read("pusher", {})
    base, _ = read_base(ctx)
    base_time = ctx.state.read("base", {}).get("time")
    last = ctx.state.read("last_tick")
    reached = ctx.state.read("origin", {}).get("reached")
    lease = ctx.state.read("lease") if ctx.role.exclusive else None
    now = int(time.time())
    return {
        "role": ctx.role.name,
        "mode": settings.mode or ctx.role.name,
        "remote": settings.masked_remote,
        "mirror": str(settings.mirror_dir),
        "prefix": settings.prefix,
        "interval": settings.interval,
        "sweep_idle_days": settings.sweep_idle_days,
        "pusher": pusher.get("path") or ("built-in" if "push" in ctx.role.steps else None),
        "daemons": {
            "sync": {"running": sync_running, "pid": sync_pid},
            "pusher": {"running": push_running, "pid": push_pid},
        },
        "base": {"commit": base, "age_seconds": now - base_time if base_time else None} if base else None,
        "last_tick": last,
        "origin": {"reached": reached, "age_seconds": now - reached if reached else None},
        "healthy": healthy(ctx.role.daemons, sync_running, push_running, last),
        "conflicts": [item.name for item in pending(ctx)],
        "index": index_notes(ctx),
        "blocked": sorted(ctx.state.read("blocked", {})),
        "lease": lease,
        "duplicate_host": ctx.state.read("duplicate_host"),
        "gitfoam": gitfoam.status_lines(ctx.runner, Path(pusher["path"]), settings) if pusher.get("path") else None,
    }


def healthy(daemons: tuple[str, ...], sync_running: bool, push_running: bool, last: dict | None) -> bool:
    """Healthy: every daemon the role needs runs, and the last tick (if any) worked."""
    running = {"sync": sync_running, "pusher": push_running}
    return all(running[which] for which in daemons) and (last is None or last.get("ok", False))


def _last_tick(last: dict | None) -> str:
    if not last:
        return "never"
    when = _age(int(time.time()) - last["time"])
    if last["ok"]:
        return f"ok ({when})"
    failures = last.get("failures", 1)
    return (f"FAILED at {last.get('step') or '?'} ({when}): {last['message']}"
            + (f" [{failures} failures in a row]" if failures > 1 else ""))


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def render(info: dict, hostname: str) -> list[str]:
    def running(entry: dict) -> str:
        return f"running (PID {entry['pid']})" if entry["running"] else "stopped"

    last = info["last_tick"]
    lines = [
        f"mode: {info['mode']}",
        f"role: {info['role']}",
        f"host: {hostname}",
        f"remote: {info['remote']}",
        f"mirror: {info['mirror']}",
        f"prefix: {info['prefix']}",
        f"interval: {info['interval']}s",
        f"sweep idle: {info['sweep_idle_days']}d",
        f"gitfoam: {info['pusher'] or '(not used by this role)'}",
        f"daemon: {running(info['daemons']['sync'])}",
        f"pusher: {running(info['daemons']['pusher'])}",
        "base: " + (f"{info['base']['commit'][:12]} (merged {_age(info['base']['age_seconds'])})" if info["base"]
                    else "none yet (no main merged)"),
        f"healthy: {'yes' if info['healthy'] else 'NO'}",
        f"last tick: {_last_tick(last)}",
        "origin: " + (f"last reached {_age(info['origin']['age_seconds'])}" if info["origin"]["reached"]
                      else "never reached from this machine"),
        f"conflicts pending: {len(info['conflicts'])}",
        f"blocked files: {len(info['blocked'])}",
    ]
    lines += [f"  conflict: {name}" for name in info["conflicts"]]
    lines += [f"  blocked: {name} (see logs/blocked.log)" for name in info["blocked"]]
    lines += [f"index: {note}" for note in info["index"]]
    if info["gitfoam"] is not None:
        lines.append("gitfoam says (our config only):")
        lines += [f"  {line}" for line in info["gitfoam"]]
    if info["duplicate_host"]:
        lines.append(f"WARNING: another machine publishes {info['duplicate_host']['branch']} too: give each machine "
                     "its own MEMORY_MIRROR_HOSTNAME")
    if info["lease"]:
        lease = info["lease"]
        lines.append(f"lease: held by {lease['host']} (heartbeat {_age(int(time.time()) - lease['heartbeat'])})")
    return lines


def hook_line(info: dict) -> str | None:
    """One short line for a Claude Code SessionStart hook, or None when nothing waits for the user."""
    parts = []
    if info["conflicts"]:
        parts.append(f"{len(info['conflicts'])} memory conflict(s) to resolve (memory-sync conflicts)")
    if info["blocked"]:
        parts.append(f"{len(info['blocked'])} memory file(s) held back (memory-sync status)")
    return "memory mirror: " + "; ".join(parts) if parts else None
