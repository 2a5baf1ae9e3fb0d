"""The rsync wrapper: one call copies the memory/ subtrees of the given project dirs into the mirror work tree."""
from __future__ import annotations

from pathlib import Path

from pipeline.paths import MEMORY, rsync_filter_rules
from pipeline.tools.run import CalledProcessError, Runner

# "some files were not transferred" and "source files vanished": what a file deleted or cut short while rsync
# reads it causes, and what copying again once it is still cures
PARTIAL_CODES = (23, 24)


class PartialCopy(CalledProcessError):
    """rsync could not copy every file; the caller tells a file that changed under it from a lasting error."""


def mirror_tree(runner: Runner, source: Path, target: Path, project_dirs: list[str]) -> list[str]:
    """Make target/<dir>/memory/ equal source/<dir>/memory/ (filtered) for each of `project_dirs`, whose memory
    dirs must exist; nothing else in `target` is touched. Returns what was copied or deleted.

    In a dry run the command is shown, and rsync's own --dry-run tells what it would change.
    """
    cmd = [
        "rsync", "-rt", "--no-links", "--delete", "--relative",
        "--modify-window=-1",  # compare modification times to the nanosecond: quick rewrites are seen
        "--info=nonreg0", "--out-format=%n", *(f"--filter={rule}" for rule in rsync_filter_rules()),
        *(f"{source}/./{name}/{MEMORY}" for name in project_dirs), f"{target}/",
    ]
    result = runner.run(*cmd, mutating=True, check=False)
    if result.code in PARTIAL_CODES:
        raise PartialCopy(cmd, result.code, result.stdout, result.stderr)
    if result.code != 0:
        raise CalledProcessError(cmd, result.code, result.stdout, result.stderr)
    if runner.dry_run:
        result = runner.run(*cmd[:1], "--dry-run", *cmd[1:])
    return [line for line in result.out.splitlines() if line and not line.endswith("/")]
