"""Unexpected errors: the traceback goes to a crash log under $AGENTIHOOKS_HOME/logs/, the user gets one line.

A bug must be reported, never swallowed, and never shown as a bare traceback or doit's "PythonAction Error".
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pipeline.masking import mask

EXIT_CRASH = 70  # EX_SOFTWARE: an internal error, told apart from a failure the user can fix (1)


def _logs_dir() -> Path:
    # settings may be the very thing that failed to load: find the logs dir the way they would
    user_home = Path(os.environ.get("HOME") or Path.home())
    home = os.environ.get("AGENTIHOOKS_HOME") or str(user_home / ".agentihooks")
    if home.startswith("~"):
        home = str(user_home) + home[1:]
    return Path(home) / "logs"


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("memory-mirror")
    except PackageNotFoundError:
        return "(not installed)"


def write_crash_log(exc: BaseException, where: str) -> Path:
    """Write the crash log for `exc`, raised in `where`; returns its path (in the temp dir if logs/ is unwritable)."""
    # only a crash needs these (and the package metadata): a verb that loads no doit, such as the status
    # hook run at each Claude session start, starts without them
    import platform
    import tempfile
    import traceback

    stamp = time.strftime("%Y%m%dT%H%M%S")
    text = "\n".join([
        f"memory-mirror {_package_version()} crashed in {where}",
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        f"command: {' '.join(sys.argv)}",
        "",
        "".join(traceback.format_exception(exc)),
    ])
    for directory in (_logs_dir(), Path(tempfile.gettempdir())):
        path = directory / f"crash-{stamp}-{os.getpid()}.log"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as out:
                out.write(mask(text) + "\n")
            return path
        except OSError:
            continue
    return Path(os.devnull)


def crash_message(exc: BaseException, where: str) -> str:
    """The one line a user sees for a bug, after the crash log is written."""
    path = write_crash_log(exc, where)
    return mask(f"unexpected error in {where}: {type(exc).__name__}: {exc}. This is a bug in memory-mirror; "
                f"the details are in {path} (please include that file when you report it)")
