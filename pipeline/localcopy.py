"""The pure-Python stand-in for rsync when it is not installed (or too old): same filter, same result."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.paths import MEMORY
from pipeline.scan import memory_files


def _all_files(folder: Path) -> list[str]:
    """Every non-directory under `folder`, relative: what rsync's --delete-excluded may remove."""
    found = []
    for parent, dirs, files in os.walk(folder):
        rel = os.path.relpath(parent, folder)
        links = [name for name in dirs if os.path.islink(os.path.join(parent, name))]
        found += [name if rel == "." else f"{rel}/{name}" for name in files + links]
    return found


def mirror_tree(sources: dict[str, Path], target: Path, excluded: dict[str, list[str]] | None = None) -> list[str]:
    """Make target/<name>/memory/ hold exactly the syncable files of the memory dir `sources[name]`, less the
    `excluded` ones of each name; other dirs of `target` are left alone. Returns what changed."""
    changed = []
    for name, src_memory in sources.items():
        dst_memory = target / name / MEMORY
        wanted = dict(memory_files(src_memory)) if not src_memory.is_symlink() else {}
        for rel in (excluded or {}).get(name, ()):
            wanted.pop(rel, None)
        for rel, src_stat in wanted.items():
            dst = dst_memory / rel
            try:
                dst_stat = dst.stat()
                same = dst_stat.st_size == src_stat.st_size and dst_stat.st_mtime_ns == src_stat.st_mtime_ns
            except FileNotFoundError:
                same = False
            if not same:
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copy2(src_memory / rel, dst)
                except FileNotFoundError:
                    continue  # deleted since the walk: the caller sees the dir changed and copies it again
                # the times seen before the copy: a file rewritten during it then differs and is copied again
                os.utime(dst, ns=(src_stat.st_atime_ns, src_stat.st_mtime_ns))
                changed.append(f"{name}/{MEMORY}/{rel}")
        for rel in _all_files(dst_memory):
            if rel not in wanted:
                (dst_memory / rel).unlink()
                changed.append(f"{name}/{MEMORY}/{rel}")
        for folder, _, _ in os.walk(target / name, topdown=False):
            if not os.listdir(folder):
                os.rmdir(folder)
    return changed
