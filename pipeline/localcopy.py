"""The pure-Python stand-in for rsync when it is not installed: same filter, same result."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.paths import MEMORY, is_memory_relpath


def _wanted_files(source: Path, skipped: set[str]) -> dict[str, Path]:
    wanted: dict[str, Path] = {}
    if not source.is_dir():
        return wanted
    for project in sorted(os.scandir(source), key=lambda e: e.name):
        memory = Path(project.path) / MEMORY
        if project.name in skipped or not project.is_dir(follow_symlinks=False) or memory.is_symlink():
            continue
        for folder, dirs, files in os.walk(memory):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            for name in files:
                path = Path(folder) / name
                rel = path.relative_to(memory).as_posix()
                if not path.is_symlink() and path.is_file() and is_memory_relpath(rel):
                    wanted[f"{project.name}/{MEMORY}/{rel}"] = path
    return wanted


def mirror_tree(source: Path, target: Path, skipped: set[str]) -> list[str]:
    """Make `target` hold exactly the syncable memory files of `source`; returns what changed."""
    wanted = _wanted_files(source, skipped)
    changed = []
    for rel, src in wanted.items():
        dst = target / rel
        src_stat = src.stat()
        try:
            dst_stat = dst.stat()
            same = dst_stat.st_size == src_stat.st_size and dst_stat.st_mtime_ns == src_stat.st_mtime_ns
        except FileNotFoundError:
            same = False
        if not same:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            changed.append(rel)
    if target.exists():
        for folder, dirs, files in os.walk(target, topdown=False):
            for name in files:
                rel = (Path(folder) / name).relative_to(target).as_posix()
                if rel not in wanted:
                    os.unlink(os.path.join(folder, name))
                    changed.append(rel)
            for name in dirs:
                path = os.path.join(folder, name)
                if not os.listdir(path):
                    os.rmdir(path)
    return changed
