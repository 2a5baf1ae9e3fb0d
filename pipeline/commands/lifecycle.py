"""install, start, stop, status, uninstall, and `daemon` (a daemon in the foreground, as start runs it)."""
from __future__ import annotations

import argparse
import json
import shutil
import sys

from pipeline import daemon
from pipeline.commands.run_tasks import run_tick
from pipeline.context import Context, load_context
from pipeline.errors import FatalError
from pipeline.fleet.github import github_repo
from pipeline.mirror import ensure_mirror
from pipeline.remote import check_remote, remote_main
from pipeline.status import PUSHER, SYNC_DAEMON, gather, hook_line, render
from pipeline.steps.fetch import seed
from pipeline.tools import gh, gitfoam


def _runs_sync_daemon(ctx: Context) -> bool:
    return any(step in ctx.role.steps for step in ("fetch", "snapshot"))


def _runs_pusher(ctx: Context) -> bool:
    return "push" in ctx.role.steps


def _daemon_argv(which: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "daemon", which]


def start_sync_daemon(ctx: Context) -> str:
    return f"sync daemon: running (PID {daemon.start(ctx.settings.home, SYNC_DAEMON, _daemon_argv('sync'))})"


def start_pusher(ctx: Context) -> str:
    binary = ctx.state.read("pusher", {}).get("path")
    if binary:
        pid = daemon.start(ctx.settings.home, PUSHER, gitfoam.daemon_argv(binary), cwd=ctx.settings.mirror_dir)
        return f"pusher: gitfoam daemon running (PID {pid})"
    return f"pusher: built-in, running (PID {daemon.start(ctx.settings.home, PUSHER, _daemon_argv('pusher'))})"


def _start(ctx: Context) -> list[str]:
    return ([start_sync_daemon(ctx)] if _runs_sync_daemon(ctx) else []) + \
        ([start_pusher(ctx)] if _runs_pusher(ctx) else [])


def install(args: argparse.Namespace) -> int:
    ctx = load_context()
    if not ctx.role.steps:
        print(f"role {ctx.role.name}: memory sync is off on this machine; nothing installed. "
              "Set MEMORY_MIRROR_ROLE (e.g. contributor) in ~/.agentihooks/.env and run install again.")
        return 0
    remote = ctx.require_remote()
    if github_repo(remote) and ctx.role.can("propose"):
        gh.require(ctx.runner)
    check_remote(ctx)
    ensure_mirror(ctx)
    if run_tick("wait=600") not in (0, 3):
        raise FatalError("install: the first tick failed (see above); fix that and run install again.")
    if ctx.role.can("seed") and "commit" in ctx.role.steps and remote_main(ctx) is None:
        check_remote(ctx)
        seed(ctx)  # a role that publishes but never fetches (offline) seeds here
    if _runs_pusher(ctx):
        binary = gitfoam.locate(ctx.settings, ctx.runner)
        if binary:
            gitfoam.init(ctx.runner, binary, ctx.settings.mirror_dir)
            ctx.state.write("pusher", {"kind": "gitfoam", "path": str(binary)})
            print(f"gitfoam: {binary} (registered the mirror with `gitfoam init`)")
        else:
            ctx.state.write("pusher", {"kind": "built-in"})
            print("gitfoam: not found (no GITFOAM_BINARY, none on PATH, no GITFOAM_LOCAL_SOURCE to build); "
                  "using the built-in pusher")
    if args.systemd:
        from pipeline.commands.systemd import install_units
        for line in install_units(ctx, args.no_start):
            print(line)
    elif not args.no_start:
        for line in _start(ctx):
            print(line)
    print(f"installed: role {ctx.role.name}, mirror {ctx.settings.mirror_dir}")
    return 0


def start(args: argparse.Namespace) -> int:
    ctx = load_context()
    if not ctx.role.steps:
        print(f"role {ctx.role.name}: nothing to run")
        return 0
    if not ctx.git.exists():
        raise FatalError("the mirror is not set up yet: run `memory-sync install` first.")
    for line in _start(ctx):
        print(line)
    return 0


def stop(args: argparse.Namespace) -> int:
    ctx = load_context()
    for name, label in ((SYNC_DAEMON, "sync daemon"), (PUSHER, "pusher")):
        print(f"{label}: {'stopped' if daemon.stop(ctx.settings.home, name) else 'was not running'}")
    return 0


def status(args: argparse.Namespace) -> int:
    ctx = load_context()
    info = gather(ctx)
    if args.hook:
        if line := hook_line(info):
            print(line)
    elif args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print("\n".join(render(info, ctx.settings.hostname)))
    return 0


def uninstall(args: argparse.Namespace) -> int:
    ctx = load_context()
    stop(args)
    if args.purge:
        # the mirror and what the steps remember about it; never ~/.claude, never .env, logs or the trash
        for path in (ctx.settings.mirror_dir, ctx.settings.state_dir):
            if path.exists():
                shutil.rmtree(path)
                print(f"removed {path}")
    return 0


def run_daemon(args: argparse.Namespace) -> int:
    if args.which == "sync":
        from pipeline.services.sync_daemon import serve
        ctx = load_context()
        serve(ctx.settings, ctx.role)
    else:
        from pipeline.services.pusher import serve
        serve(load_context(log_name="gitfoam.log"))
    return 0
