"""What is in a memory dir, cheaply: one stat per file, no reads, so an unchanged tick costs a directory walk."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

from pipeline.paths import is_excluded_name


def memory_files(memory: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, stat) of every syncable regular file under `memory`; symlinks are never followed."""
    stack = [(str(memory), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if not is_excluded_name(entry.name, is_dir=True):
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file() and not is_excluded_name(entry.name):
                yield f"{prefix}{entry.name}", entry.stat()


def fingerprint(memory: Path) -> str:
    """Changes when any syncable file under `memory` is added, removed, resized or rewritten."""
    digest = hashlib.blake2b(digest_size=16)
    for rel, stat in sorted(memory_files(memory)):
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
