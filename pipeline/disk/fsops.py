"""Local file writes: atomic (temp file + rename), trash instead of unlink, git blob ids of local files."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import time
from pathlib import Path

from pipeline.faults import disk_full_point, edit_point
from pipeline.rules.memory_only import TEMP_MARKER, fit_name
from pipeline.rules.merge_decision import conflict_name, is_conflict_sibling_of


def blob_id(data: bytes) -> str:
    """The id git gives this content as a blob, so local files compare with tree entries without git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def file_id(path: Path) -> str | None:
    try:
        return blob_id(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


ANY = object()  # `expected` of a write that replaces whatever the file holds


def still(path: Path, expected: str | None | object) -> bool:
    """True when `path` still holds `expected` (a blob id; None: absent), checked at the last moment: a user's
    edit made since the file was read must not be replaced."""
    if expected is ANY:
        return True
    edit_point(path)
    return file_id(path) == expected


def atomic_write(path: Path, data: bytes, expected: str | None | object = ANY) -> bool:
    """Readers see the old content or the new one, never a part; a crash leaves at most a temp file. With
    `expected`, nothing is written (False) when the file no longer holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(fit_name(f".{path.name}", f"{TEMP_MARKER}{os.getpid()}"))
    try:
        with open(temp, "wb") as handle:
            disk_full_point(temp)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if not still(path, expected):
            temp.unlink()
            return False
        os.replace(temp, path)
        return True
    except BaseException as exc:
        # a failed write (a full disk) leaves the target as it was and no half-written temp file beside it
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, str(temp)):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # the user knows the file, not our temp
        raise


def move_to_trash(path: Path, trash_dir: Path, label: str, expected: str | None | object = ANY,
                  rel: str | None = None) -> Path | None:
    """Move `path` to trash_dir/<label>/<time>/<rel>, `rel` being its path inside its memory dir (so a restore
    finds its subfolder again; default: its name); never unlink. With `expected`, nothing is moved (None) when
    the file no longer holds it."""
    if not still(path, expected):
        return None
    first = trash_dir / label / time.strftime("%Y%m%dT%H%M%S") / (rel or path.name)
    first.parent.mkdir(parents=True, exist_ok=True)
    target = first
    counter = 1
    while target.exists():
        target = first.with_name(f"{first.name}.{counter}")
        counter += 1
    try:
        os.replace(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # ~/.claude on another filesystem than the trash: copy first, so a failure leaves the original in place
        try:
            shutil.copy2(path, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        os.unlink(path)
    return target


def restore_from_trash(entry: Path, target: Path) -> None:
    """Put a trash entry back at `target` (written atomically; the trash may be on another filesystem)."""
    atomic_write(target, entry.read_bytes())
    entry.unlink()


def remove_temp_files(directory: Path) -> None:
    """Temp files left by a crash mid-write: the target still holds its old content."""
    for temp in directory.rglob(f"*{TEMP_MARKER}*"):
        if temp.is_file() and not temp.is_symlink():
            temp.unlink()


def is_inside(path: Path, directory: Path) -> bool:
    """True when `path`, with every symlink resolved, stays inside `directory` (also resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(directory))
    except ValueError:
        return False
    return True


def write_conflict_sibling(path: Path, data: bytes, host: str) -> Path | None:
    """Write `data` beside `path` as <stem>.conflict-<host>-<epoch><ext>, unless a sibling already holds it."""
    wanted = blob_id(data)
    if path.parent.is_dir():
        for other in path.parent.iterdir():
            if is_conflict_sibling_of(other.name, path.name) and other.is_file() and file_id(other) == wanted:
                return None
    epoch = int(time.time())
    sibling = path.with_name(conflict_name(path.name, host, epoch))
    while sibling.exists():
        epoch += 1
        sibling = path.with_name(conflict_name(path.name, host, epoch))
    atomic_write(sibling, data)
    return sibling
