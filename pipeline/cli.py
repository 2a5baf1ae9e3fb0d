"""`memory-sync <verb>` (also `agentihooks memory-sync <verb>`): the spec's interface, a thin main."""
from __future__ import annotations

import argparse
import importlib
import sys

from pipeline.console import EXIT_PIPE_CLOSED, detach_stdout
from pipeline.crash import EXIT_CRASH, crash_message
from pipeline.errors import FatalError
from pipeline.masking import mask


def build_parser(prog: str = "memory-sync") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Sync Claude Code auto-memory (~/.claude/projects/*/memory/) across machines through git.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="<verb>")
    setup = verbs.add_parser("install", help="set up the mirror, seed main if needed, start the daemons (idempotent)")
    setup.add_argument("--no-start", action="store_true", help="set everything up, start nothing")
    setup.add_argument("--systemd", action="store_true", help="run the daemons as systemd user units instead")
    setup.set_defaults(func="lifecycle:install")
    verbs.add_parser("start", help="start the sync daemon and the pusher").set_defaults(func="lifecycle:start")
    verbs.add_parser("stop", help="stop the sync daemon and the pusher").set_defaults(func="lifecycle:stop")
    state = verbs.add_parser("status", help="role, remote, daemons, last tick, conflicts, blocked files")
    shape = state.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    shape.add_argument("--hook", action="store_true",
                       help="one short line when conflicts or held-back files are pending, else nothing "
                            "(for a Claude Code SessionStart hook)")
    state.set_defaults(func="lifecycle:status")
    verbs.add_parser("conflicts", help="list pending conflict siblings, each with a diff against your file"
                     ).set_defaults(func="conflicts:conflicts")
    settle = verbs.add_parser("resolve", help="settle a conflict and move its sibling to the trash")
    settle.add_argument("file", help="the file or its sibling: <key>/<file> (e.g. finops/MEMORY.md) or a path")
    choice = settle.add_mutually_exclusive_group(required=True)
    choice.add_argument("--keep", choices=("local", "main", "both"),
                        help="local: yours; main: the sibling's; both: yours, then the lines of main's you lack")
    choice.add_argument("--merged", action="store_true", help="you edited the file yourself: keep it as it is")
    settle.set_defaults(func="conflicts:resolve")
    history = verbs.add_parser("log", help="who changed what on main (host, time, files), newest first")
    history.add_argument("path", nargs="?", metavar="<key>[/<file>]", help="only this key or file (e.g. finops/notes.md)")
    history.add_argument("-n", dest="limit", type=int, default=20, metavar="N", help="at most N changes (default 20)")
    history.set_defaults(func="history:log")
    back = verbs.add_parser("restore", help="bring back a file as it was on main, as a local edit")
    back.add_argument("file", metavar="<key>/<file>", help="e.g. finops/notes.md")
    back.add_argument("--at", required=True, metavar="REV|DATE",
                      help="a commit (see `log`) or a date: the version on main then (2024-05-01, '2 days ago')")
    back.set_defaults(func="history:restore")
    verbs.add_parser("undo", help="put back what the last merge wrote or trashed in local memory, as a local edit"
                     ).set_defaults(func="history:undo")
    bin_ = verbs.add_parser("trash", help="list the trash, or restore an entry of it (as a local edit)")
    bin_.add_argument("action", nargs="?", choices=("list", "restore"), default="list")
    bin_.add_argument("entry", nargs="?", help="for restore: an entry as `trash list` prints it")
    bin_.set_defaults(func="history:trash")
    remove = verbs.add_parser("uninstall", help="stop the daemons (--purge: and delete the mirror)")
    remove.add_argument("--purge", action="store_true", help="also delete the mirror dir (never ~/.claude)")
    remove.set_defaults(func="lifecycle:uninstall")
    run = verbs.add_parser("daemon", help="run a daemon in the foreground (what start runs in the background)")
    run.add_argument("which", choices=("sync", "pusher"))
    run.set_defaults(func="lifecycle:run_daemon")
    tick = verbs.add_parser("sync-now", aliases=["tick"], help="run one tick now (the steps of this machine's role)")
    tick.add_argument("--wait", type=float, default=600, metavar="SEC",
                      help="how long to wait for a tick already running (default 600)")
    tick.add_argument("--no-wait", action="store_true", help="skip instead of waiting when a tick is running")
    tick.set_defaults(func="sync_now:sync_now")
    show = verbs.add_parser("plan", help="show the role's steps and the commands each would run; changes nothing")
    show.add_argument("--role", help="plan for this role instead of the configured one")
    show.set_defaults(func="plan:plan")
    ids = verbs.add_parser("identities", help="show how each Claude project dir maps to a mirror key")
    ids.set_defaults(func="identities:identities")
    prop = verbs.add_parser("propose", help="propose this machine's memory changes to main (a PR on GitHub)")
    prop.add_argument("--auto-merge", action="store_true", help="arm `gh pr merge --auto --squash` on the PR")
    prop.set_defaults(func="fleet:propose")
    sweep = verbs.add_parser("sweep-branches", help="delete remote branches merged into main and idle too long")
    sweep.add_argument("--idle-days", type=int, metavar="N",
                       help="idle threshold in days (default MEMORY_MIRROR_SWEEP_IDLE_DAYS, 15)")
    sweep.add_argument("--dry-run", action="store_true", help="show what would be deleted, delete nothing")
    sweep.set_defaults(func="fleet:sweep_branches")
    migrate = verbs.add_parser("migrate-layout", help="move a v1/v2 mirror to the by-project/<key>/ layout (dry run)")
    migrate.add_argument("--confirm", action="store_true", help="do it: rewrite main and delete old branches")
    migrate.set_defaults(func="fleet:migrate_layout")
    audit = verbs.add_parser("check", help="check a proposal or commit before it is merged (for CI on the mirror repo)",
                             description="Check what a branch or commit brings to main, in a clone of the mirror repo: "
                                         "memory files only, no symlink, no oversized file, no secret, no two names "
                                         "a case-insensitive disk would take for one, and, for a proposal of a host "
                                         "on a trust tier's roster, commits signed by its key. Exits 1 naming each "
                                         "problem. Files the repo keeps beside the memory (README, .github/) are fine.")
    audit.add_argument("ref", help="a branch or commit, e.g. origin/proposal/build-9/20260101T000000Z-abc1234")
    audit.add_argument("--main", metavar="REF", help="the main to compare with (default origin/main, else main)")
    audit.add_argument("-C", dest="repo", default=".", metavar="DIR", help="the clone (default: the current dir)")
    audit.set_defaults(func="fleet:check")
    return parser


def _command(name: str):
    """A verb's function, imported only when that verb runs: start-up pays for what the verb needs."""
    module, function = name.split(":")
    return getattr(importlib.import_module(f"pipeline.commands.{module}"), function)


def main(argv: list[str] | None = None, prog: str = "memory-sync") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        code = _command(args.func)(args)
        sys.stdout.flush()  # inside the try: a reader that went away shows up at the flush
        return code
    except FatalError as exc:
        print(f"error: {mask(str(exc))}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except BrokenPipeError:
        detach_stdout()
        return EXIT_PIPE_CLOSED
    except Exception as exc:  # a bug: one line and a crash log, never a bare traceback
        print(f"error: {crash_message(exc, f'memory-sync {args.verb}')}", file=sys.stderr)
        return EXIT_CRASH


def agentihooks_main(argv: list[str] | None = None) -> int:
    """`agentihooks memory-sync <verb>`, as the spec writes it."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "memory-sync":
        print("usage: agentihooks memory-sync <verb> [...]  (see: agentihooks memory-sync --help)", file=sys.stderr)
        return 2
    return main(argv[1:], prog="agentihooks memory-sync")
