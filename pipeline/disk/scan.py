"""What is in a memory dir, cheaply: one stat per file, no reads, so an unchanged tick costs a directory walk."""
from __future__ import annotations

import hashlib
import os
import stat as stat_
from pathlib import Path
from typing import Iterator

from pipeline.rules.memory_only import is_excluded_dir, is_excluded_name


def _walk(folder: Path | str, syncable: bool) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative path, entry) of every non-directory under `folder` (a link to a dir is one), or with `syncable`
    of every file the memory-only rule lets through; links are never followed."""
    stack = [(os.fspath(folder), "")]
    while stack:
        parent, prefix = stack.pop()
        try:
            entries = os.scandir(parent)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not syncable or not is_excluded_dir(entry.name, top=not prefix):
                        stack.append((entry.path, f"{prefix}{entry.name}/"))
                elif not syncable or not is_excluded_name(entry.name):
                    yield f"{prefix}{entry.name}", entry


def memory_files(memory: Path | str) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, stat) of every syncable regular file under `memory`; symlinks are never followed."""
    for rel, entry in _walk(memory, syncable=True):
        info = entry.stat(follow_symlinks=False)
        if stat_.S_ISREG(info.st_mode):
            yield rel, info


def everything(folder: Path | str) -> dict[str, os.stat_result]:
    """Every non-directory under `folder` (a link to a dir is one), with its own stat."""
    return {rel: entry.stat(follow_symlinks=False) for rel, entry in _walk(folder, syncable=False)}


def listing(memory: Path | str) -> dict[str, os.stat_result]:
    return dict(memory_files(memory))


def fingerprint(files: dict[str, os.stat_result]) -> str:
    """Changes when any file of a memory dir's listing is added, removed, resized or rewritten."""
    ordered = sorted((rel, info.st_size, info.st_mtime_ns) for rel, info in files.items())
    return hashlib.blake2b(repr(ordered).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
