"""The rsync wrapper: one call copies every memory/ subtree of ~/.claude/projects into the mirror work tree."""
from __future__ import annotations

from pathlib import Path

from pipeline.tools.run import Runner


def mirror_tree(runner: Runner, source: Path, target: Path, rules: list[str]) -> list[str]:
    """Make `target` equal `source` under the filter `rules`; returns what was copied or deleted.

    In a dry run the command is shown, and rsync's own --dry-run tells what it would change.
    """
    cmd = [
        "rsync", "-rt", "--no-links", "--delete", "--delete-excluded", "--prune-empty-dirs",
        "--modify-window=-1",  # compare modification times to the nanosecond: quick rewrites are seen
        "--info=nonreg0", "--out-format=%n", *(f"--filter={rule}" for rule in rules), f"{source}/", f"{target}/",
    ]
    result = runner.run(*cmd, mutating=True)
    if runner.dry_run:
        result = runner.run(*cmd[:1], "--dry-run", *cmd[1:])
    return [line for line in result.out.splitlines() if line and not line.endswith("/")]
