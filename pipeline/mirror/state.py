"""What one step tells the next: small JSON files under $AGENTIHOOKS_HOME/state/, written atomically."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.disk.fsops import atomic_write

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
        return self.directory / f"{name}.json"

    def read(self, name: str, default: Any = None) -> Any:
        if name in self._dry:
            return self._dry[name]
        try:
            return json.loads(self.path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default
        except (OSError, ValueError):
            # a state file is a cache of what a step learned: an unreadable one is redone, not trusted
            return default

    def write(self, name: str, value: Any) -> None:
        if self.dry_run:
            self._dry[name] = value
            return
        # one line: json's C encoder writes that several times faster than an indented file, which takes the
        # pure-Python one (the record of every project dir's tree is rewritten at each change)
        data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        try:
            if self.path(name).read_bytes() == data:
                return  # a tick that learned nothing new rewrites (and fsyncs) nothing
        except OSError:
            pass
        atomic_write(self.path(name), data)

    def forget(self, *names: str) -> None:
        if not self.dry_run:
            for name in names:
                self.path(name).unlink(missing_ok=True)
