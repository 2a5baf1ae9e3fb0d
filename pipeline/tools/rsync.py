"""The rsync wrapper: one call copies every memory/ subtree of ~/.claude/projects into the mirror work tree."""
from __future__ import annotations

from pathlib import Path

from pipeline.tools.run import Runner


def mirror_tree(runner: Runner, source: Path, target: Path, rules: list[str]) -> list[str]:
    """Make `target` equal `source` under the filter `rules`; returns what was copied or deleted."""
    result = runner.run(
        "rsync", "-rt", "--no-links", "--delete", "--delete-excluded", "--prune-empty-dirs",
        "--modify-window=-1", "--info=nonreg0",  # compare modification times to the nanosecond: quick rewrites are seen
        "--out-format=%n", *(f"--filter={rule}" for rule in rules), f"{source}/", f"{target}/",
        mutating=True,
    )
    return [line for line in result.out.splitlines() if line and not line.endswith("/")]
