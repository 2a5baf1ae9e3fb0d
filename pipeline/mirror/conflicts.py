"""Conflict siblings waiting for a person, and what resolving one does to the files."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pipeline.disk.fsops import atomic_write, move_to_trash
from pipeline.disk.scan import memory_files
from pipeline.mirror.context import Context
from pipeline.mirror.keys import local_keys, memory_dir
from pipeline.mirror.memref import MemoryFile, short_key
from pipeline.rules.merge_decision import sibling_origin

CHOICES = ("local", "main", "both")


@dataclass(frozen=True)
class Pending:
    """A sibling holding main's version of `file` (written by `host` at `epoch`), beside the local file."""

    file: MemoryFile
    sibling: str  # its path inside the memory dir
    host: str
    epoch: int

    @property
    def name(self) -> str:
        return f"{short_key(self.file.local.key)}/{self.sibling}"


def pending(ctx: Context) -> list[Pending]:
    found = []
    for local in local_keys(ctx).values():
        for rel, _ in memory_files(memory_dir(ctx, local.primary)):
            folder, _, name = rel.rpartition("/")
            origin = sibling_origin(name)
            if origin is not None:
                original, host, epoch = origin
                found.append(Pending(MemoryFile(local, f"{folder}/{original}" if folder else original), rel, host, epoch))
    return sorted(found, key=lambda item: item.name)


def diff(local: bytes | None, main: bytes, name: str) -> list[str]:
    """The sibling (main's version) against the local file, as a unified diff."""
    mine = [] if local is None else local.decode("utf-8", "replace").splitlines()
    theirs = main.decode("utf-8", "replace").splitlines()
    return list(difflib.unified_diff(mine, theirs, f"{name} (yours)", f"{name} (main)", lineterm=""))


def both(local: bytes, main: bytes) -> bytes:
    """Your text, then the lines of main's version that yours does not have, in main's order."""
    have = set(local.splitlines())
    extra = [line for line in main.splitlines(keepends=True) if line.rstrip(b"\r\n") not in have]
    if extra and local and not local.endswith(b"\n"):
        local += b"\n"
    return local + b"".join(extra)


def settle(ctx: Context, item: Pending, choice: str | None) -> list[Path]:
    """Apply `choice` (None: the local file as the user edited it) in every dir of the key; the sibling goes to
    the trash, and its deletion propagates like any other. Returns the files written."""
    written = []
    for path in item.file.paths(ctx):
        sibling = path.parent / Path(item.sibling).name
        if not sibling.is_file():
            continue
        main = sibling.read_bytes()
        local = path.read_bytes() if path.is_file() else None
        result = None  # keep the local file as it is
        if choice == "main" or (choice == "both" and local is None):
            result = main
        elif choice == "both":
            result = both(local, main)
        if result is not None and result != local:
            atomic_write(path, result)
            written.append(path)
        move_to_trash(sibling, ctx.settings.trash_dir, item.file.local.key, rel=item.sibling)
    return written
