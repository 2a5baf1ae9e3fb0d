"""What one step tells the next: small JSON files under $AGENTIHOOKS_HOME/state/, written atomically, each named in
state_files.py."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.disk.fsops import atomic_write
from pipeline.mirror.state_files import STATE_FILES

# One run is one tick or one fleet command. A long-lived process (the daemon) makes many runs, and what a run
# learned about origin or the disk is only trusted inside that run: anything keyed by the run id is redone
# in the next one.
_run = {"id": os.urandom(16).hex()}
# what a dry run would have written, per state dir: kept in memory for the later steps of the same run
_DRY_WRITES: dict[Path, dict[str, Any]] = {}


def new_run() -> None:
    _run["id"] = os.urandom(16).hex()
    _DRY_WRITES.clear()


def run_id() -> str:
    return _run["id"]


class State:
    def __init__(self, directory: Path, dry_run: bool = False):
        self.directory = directory
        self.dry_run = dry_run
        self._dry = _DRY_WRITES.setdefault(directory, {}) if dry_run else {}

    def path(self, name: str) -> Path:
        if name not in STATE_FILES:
            raise ValueError(f"{name!r} is not a state file of state_files.py")  # a bug: every name is listed there
        return self.directory / f"{name}.json"

    def read(self, name: str, default: Any = None) -> Any:
        path = self.path(name)
        if name in self._dry:
            return self._dry[name]
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default
        except (OSError, ValueError):
            # a state file is a cache of what a step learned: an unreadable one is redone, not trusted
            return default

    def write(self, name: str, value: Any) -> None:
        path = self.path(name)
        if self.dry_run:
            self._dry[name] = value
            return
        # one line: json's C encoder writes that several times faster than an indented file, which takes the
        # pure-Python one (the record of every project dir's tree is rewritten at each change)
        data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        try:
            if path.read_bytes() == data:
                return  # a tick that learned nothing new rewrites (and fsyncs) nothing
        except OSError:
            pass
        atomic_write(path, data)

    def forget(self, *names: str) -> None:
        paths = [self.path(name) for name in names]
        if not self.dry_run:
            for path in paths:
                path.unlink(missing_ok=True)
