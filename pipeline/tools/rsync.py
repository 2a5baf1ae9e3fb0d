"""The rsync wrapper: one call copies the memory/ subtrees of the given project dirs into the mirror work tree."""
from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from pipeline.rules.memory_only import MEMORY, rsync_filter_rules
from pipeline.tools.run import CalledProcessError, Runner

# "some files were not transferred" and "source files vanished": what a file deleted or cut short while rsync
# reads it causes, and what copying again once it is still cures
PARTIAL_CODES = (23, 24)
_WILDCARD = re.compile(r"[*?\[]")
# --info (3.1.0) and a negative --modify-window, which compares times to the nanosecond (3.1.3); macOS ships
# rsync 2.6.9 or openrsync, which have neither
NEEDED = (3, 1, 3)
_VERSION = re.compile(r"\bversion\s+v?(\d+)\.(\d+)(?:\.(\d+))?")
# rsync binary and its file's identity -> usable: probed once per process and version of the binary (an rsync
# upgraded under a running daemon is probed again)
_probed: dict[tuple, bool] = {}

log = logging.getLogger("memory_mirror.rsync")


class PartialCopy(CalledProcessError):
    """rsync could not copy every file; the caller tells a file that changed under it from a lasting error."""


def has_needed_options(version_output: str) -> bool:
    """True when `rsync --version` printed a version with every option mirror_tree uses."""
    match = _VERSION.search(version_output)
    return match is not None and tuple(int(part or 0) for part in match.groups()) >= NEEDED


def usable(runner: Runner) -> bool:
    """rsync is installed and new enough; otherwise the snapshot copies with pipeline/tools/localcopy.py."""
    binary = shutil.which("rsync")
    key = _identity(binary)
    if key not in _probed:
        output = runner.run("rsync", "--version", check=False).out if binary else ""
        _probed[key] = has_needed_options(output)
        if binary and not _probed[key]:
            first = output.strip().splitlines()[0] if output.strip() else "no version"
            log.warning("%s (%s) is older than rsync %s: copying memory without it", binary, first,
                        ".".join(map(str, NEEDED)))
    return _probed[key]


def _identity(binary: str | None) -> tuple:
    if binary is None:
        return (None,)
    try:
        info = os.stat(binary)
    except OSError:
        return (binary,)
    return binary, info.st_ino, info.st_size, info.st_mtime_ns


def literal_rule(path: str) -> str:
    """An rsync exclude rule for exactly the file at `path` (relative to the transfer root): rsync reads a
    backslash as an escape only in a pattern that holds a wildcard, so only such a path is escaped."""
    if _WILDCARD.search(path):
        path = re.sub(r"([*?\[\\])", r"\\\1", path)
    return f"/{path}"


def mirror_tree(runner: Runner, source: Path, target: Path, project_dirs: list[str],
                excluded: dict[str, list[str]] | None = None) -> list[str]:
    """Make target/<dir>/memory/ equal source/<dir>/memory/ (filtered) for each of `project_dirs`, whose memory
    dirs must exist; nothing else in `target` is touched. `excluded`: per dir, files of its memory to leave out
    (and to remove from target). Returns what was copied or deleted.

    In a dry run the command is shown, and rsync's own --dry-run tells what it would change.
    """
    rules = [literal_rule(f"{name}/{MEMORY}/{rel}") for name, rels in (excluded or {}).items() for rel in rels]
    cmd = [
        "rsync", "-rt", "--no-links", "--delete", "--delete-excluded", "--relative",
        "--modify-window=-1",  # compare modification times to the nanosecond: quick rewrites are seen
        "--info=nonreg0", "--out-format=%n", *(f"--filter={rule}" for rule in rsync_filter_rules()),
        *(["--from0", "--exclude-from=-"] if rules else []),
        *(f"{source}/./{name}/{MEMORY}" for name in project_dirs), f"{target}/",
    ]
    stdin = b"".join(os.fsencode(rule) + b"\0" for rule in rules) if rules else None
    result = runner.run(*cmd, mutating=True, check=False, stdin=stdin)
    if result.code in PARTIAL_CODES:
        raise PartialCopy(cmd, result.code, result.stdout, result.stderr)
    if result.code != 0:
        raise CalledProcessError(cmd, result.code, result.stdout, result.stderr)
    if runner.dry_run:
        result = runner.run(*cmd[:1], "--dry-run", *cmd[1:], stdin=stdin)
    return [line for line in result.out.splitlines() if line and not line.endswith("/")]
