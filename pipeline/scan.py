"""What is in a memory dir, cheaply: one stat per file, no reads, so an unchanged tick costs a directory walk."""
from __future__ import annotations

import hashlib
import os
import stat as stat_
from pathlib import Path
from typing import Iterator

from pipeline.paths import is_excluded_dir, is_excluded_name


def memory_files(memory: Path | str) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, stat) of every syncable regular file under `memory`; symlinks are never followed."""
    stack = [(os.fspath(memory), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not is_excluded_dir(entry.name, top=not prefix):
                        stack.append((entry.path, f"{prefix}{entry.name}/"))
                elif not is_excluded_name(entry.name):
                    info = entry.stat(follow_symlinks=False)
                    if stat_.S_ISREG(info.st_mode):
                        yield f"{prefix}{entry.name}", info


def fingerprint(memory: Path | str) -> str:
    """Changes when any syncable file under `memory` is added, removed, resized or rewritten."""
    listing = sorted((rel, info.st_size, info.st_mtime_ns) for rel, info in memory_files(memory))
    return hashlib.blake2b(repr(listing).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
