"""install, start, stop, status, uninstall, and `daemon` (a daemon in the foreground, as start runs it)."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from pipeline.commands.status import PUSHER, SYNC_DAEMON, gather, hook_line, render
from pipeline.errors import FatalError
from pipeline.faults import crash_point
from pipeline.fleet.github import github_repo
from pipeline.mirror import live_tree
from pipeline.mirror.context import Context, load_context
from pipeline.mirror.remote import check_remote
from pipeline.mirror.repo import ensure_mirror
from pipeline.services import supervise
from pipeline.services.supervise import daemon_argv
from pipeline.tasks.run import run_tick
from pipeline.tools import gh, gitfoam


def start_pusher(ctx: Context) -> str:
    pid = supervise.start(ctx.settings.home, PUSHER, daemon_argv("pusher"))
    kind = "gitfoam daemon" if ctx.state.read("pusher", {}).get("path") else "built-in"
    return f"pusher: {kind}, running (PID {pid})"


def _start(ctx: Context) -> list[str]:
    """Start this role's daemons; each is reported running only once it said it is up."""
    lines = []
    if "sync" in ctx.role.daemons:
        lines.append(f"sync daemon: running (PID {supervise.start(ctx.settings.home, SYNC_DAEMON, daemon_argv('sync'))})")
    if "pusher" in ctx.role.daemons:
        lines.append(start_pusher(ctx))
    return lines


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
    # a gitfoam that does not run is refused before anything is written
    binary = gitfoam.locate(ctx.settings, ctx.runner) if "pusher" in ctx.role.daemons else None
    ensure_mirror(ctx)
    if "pusher" in ctx.role.daemons:
        ctx.state.write("pusher", {"kind": "gitfoam", "path": str(binary)} if binary else {"kind": "built-in"})
    if run_tick("wait=600") not in (0, 3):
        raise FatalError("install: the first tick failed (see above); fix that and run install again.")
    if binary:
        tree = ctx.state.read("snapshot", {}).get("tree")
        if tree:
            live_tree.show(ctx, tree)
        gitfoam.register(ctx.runner, binary, ctx.settings, live_tree.live_dir(ctx), ctx.settings.live_branch)
        print(f"gitfoam: {binary} publishes {ctx.settings.live_branch} from {live_tree.live_dir(ctx)} "
              f"(its config: {gitfoam.config_file(ctx.settings)})")
    elif "pusher" in ctx.role.daemons:
        print("gitfoam: not found (no GITFOAM_BINARY, none on PATH, no GITFOAM_LOCAL_SOURCE to build); "
              "using the built-in pusher")
    if args.systemd:
        from pipeline.commands.systemd import install_units
        for line in install_units(ctx, args.no_start):
            print(line)
    elif not args.no_start:
        # idempotent, and a refresh: daemons started with an older configuration or pusher start again
        for name in (SYNC_DAEMON, PUSHER):
            supervise.stop(ctx.settings.home, name)
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
        print(f"{label}: {'stopped' if supervise.stop(ctx.settings.home, name) else 'was not running'}")
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
        # the mirror, what the steps remember of it, our gitfoam config and live tree; never ~/.claude, .env, logs
        # or the trash
        for path in (ctx.settings.mirror_dir, ctx.settings.state_dir, ctx.settings.gitfoam_dir):
            if path.exists():
                shutil.rmtree(path)
                print(f"removed {path}")
    return 0


def run_daemon(args: argparse.Namespace) -> int:
    """A daemon in the foreground; it holds its PID file while it runs, so a second copy refuses to start."""
    crash_point("daemon:start")
    if args.which == "sync":
        from pipeline.services import sync_daemon
        ctx = load_context()
        with supervise.serving(ctx.settings.home, SYNC_DAEMON):
            sync_daemon.serve(ctx.settings, ctx.role)
        return 0
    from pipeline.services import gitfoam_pusher, pusher
    ctx = load_context(log_name="gitfoam.log")
    binary = ctx.state.read("pusher", {}).get("path")
    with supervise.serving(ctx.settings.home, PUSHER):
        if binary:
            gitfoam_pusher.serve(Path(binary), ctx.settings, live_tree.live_dir(ctx))
        else:
            pusher.serve(ctx)
    return 0
