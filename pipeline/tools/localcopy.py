"""The pure-Python stand-in for rsync when it is not installed (or too old): same filter, same result."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from pipeline.disk.scan import everything, listing
from pipeline.rules.memory_only import MEMORY


def mirror_tree(sources: dict[str, Path], target: Path, excluded: dict[str, list[str]] | None = None,
                listings: dict[str, dict[str, os.stat_result]] | None = None) -> list[str]:
    """Make target/<name>/memory/ hold exactly the syncable files of the memory dir `sources[name]`, less the
    `excluded` ones of each name; other dirs of `target` are left alone. `listings` may hold a name's
    scan.listing() taken just before, which spares walking it again. Returns what changed."""
    changed = []
    for name, src_memory in sources.items():
        dst_memory = target / name / MEMORY
        if src_memory.is_symlink():
            wanted = {}  # as rsync: a memory dir that is a link is not followed
        else:
            wanted = dict(listings[name]) if listings and name in listings else listing(src_memory)
        for rel in (excluded or {}).get(name, ()):
            wanted.pop(rel, None)
        present = everything(dst_memory)  # what rsync's --delete-excluded may remove, too
        deleted = [rel for rel in present if rel not in wanted]
        for rel in deleted:  # first: a file may be where a dir must go
            (dst_memory / rel).unlink()
            changed.append(f"{name}/{MEMORY}/{rel}")
        vanished = False
        for rel, src_stat in wanted.items():
            dst = dst_memory / rel
            dst_stat = present.get(rel)
            if dst_stat is not None and stat.S_ISREG(dst_stat.st_mode) and dst_stat.st_size == src_stat.st_size \
                    and dst_stat.st_mtime_ns == src_stat.st_mtime_ns:
                continue
            if dst_stat is not None and not stat.S_ISREG(dst_stat.st_mode):
                dst.unlink()  # a link is replaced, never written through
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                # as rsync -rt: content, the permission bits and the times; no extended attributes
                shutil.copyfile(src_memory / rel, dst)
                shutil.copymode(src_memory / rel, dst)
            except FileNotFoundError:
                vanished = True
                continue  # deleted since the walk: the caller sees the dir changed and copies it again
            # the times seen before the copy: a file rewritten during it then differs and is copied again
            os.utime(dst, ns=(src_stat.st_atime_ns, src_stat.st_mtime_ns))
            changed.append(f"{name}/{MEMORY}/{rel}")
        if deleted or vanished or not wanted:
            for folder, _, _ in os.walk(target / name, topdown=False):
                if not os.listdir(folder):
                    os.rmdir(folder)
    return changed
