"""git's objects and refs, written and read in process, in git's own on-disk formats.

A tick writes a handful of small objects (the trees and the commit of one snapshot) and moves two or three refs.
Each of those as a git command costs a process start, several times the work itself, so they are written here:
loose objects exactly as git writes them (zlib of "<type> <size>\\0<content>", named by its sha1) and refs with
git's own lock-file protocol (`<ref>.lock` created exclusively, then renamed over the ref), which every git
process respects. Objects this store does not hold loose (packed by a fetch or a gc) are left to git to read.
"""
from __future__ import annotations

import hashlib
import os
import time
import zlib
from pathlib import Path

from pipeline.errors import FatalError

# git's own default for loose objects (core.looseCompression): fast, and these objects are small
_LEVEL = 1


def object_id(kind: str, body: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(body)) + body).hexdigest()


def commit_body(tree: str, parents: list[str], message: str, identity: str, when: float | None = None) -> bytes:
    """A commit object's content as `git commit-tree -m` writes it; `identity` is "Name <email>"."""
    now = time.time() if when is None else when
    offset = time.localtime(now).tm_gmtoff // 60
    stamp = f"{int(now)} {'-' if offset < 0 else '+'}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    lines = [f"tree {tree}", *(f"parent {parent}" for parent in parents), f"author {identity} {stamp}",
             f"committer {identity} {stamp}"]
    return ("\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n").encode()


class ObjectStore:
    """The objects and refs of the repository whose git dir is `git_dir`."""

    def __init__(self, git_dir: Path):
        self.git_dir = Path(git_dir)

    def _object_path(self, sha: str) -> Path:
        return self.git_dir / "objects" / sha[:2] / sha[2:]

    def write(self, kind: str, body: bytes) -> str:
        """Store an object (nothing to do when it is there loose already); returns its id."""
        sha = object_id(kind, body)
        path = self._object_path(sha)
        if path.exists():
            return sha
        path.parent.mkdir(exist_ok=True)
        temporary = path.parent / f"tmp_obj_{os.getpid()}_{sha[2:12]}"
        with open(temporary, "wb") as out:
            out.write(zlib.compress(b"%s %d\0" % (kind.encode(), len(body)) + body, _LEVEL))
        os.chmod(temporary, 0o444)
        os.replace(temporary, path)
        return sha

    def read_loose(self, sha: str) -> tuple[str, bytes] | None:
        """(type, content) of a loose object; None when it is not stored loose (it may be in a pack)."""
        try:
            raw = zlib.decompress(self._object_path(sha).read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return None
        header, _, body = raw.partition(b"\0")
        kind, size = header.split(b" ")
        if int(size) != len(body):
            raise FatalError(f"the mirror's object {sha} is damaged: move the mirror away and run again")
        return kind.decode(), body

    def read_ref(self, ref: str) -> str | None:
        """The id a ref (refs/..., or HEAD) points at, through symbolic refs; None when it does not exist."""
        for _ in range(5):
            try:
                value = (self.git_dir / ref).read_text().strip()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return self._packed_refs().get(ref)
            if not value.startswith("ref: "):
                return value or None
            ref = value[5:]
        return None

    def _packed_refs(self) -> dict[str, str]:
        try:
            text = (self.git_dir / "packed-refs").read_text()
        except FileNotFoundError:
            return {}
        refs = {}
        for line in text.splitlines():
            if line and line[0] not in "#^":
                sha, _, name = line.partition(" ")
                refs[name] = sha
        return refs

    def update_refs(self, updates: dict[str, str]) -> None:
        """Point each ref at its id, all or none: every ref is locked first (as git does, so a git process
        moving one of them at the same moment makes this fail instead of racing it), then each lock is renamed
        over its ref."""
        locked: list[tuple[Path, Path]] = []
        try:
            for ref, sha in updates.items():
                if not ref.startswith("refs/") or ".." in ref or ref.endswith((".lock", "/")):
                    raise FatalError(f"refusing to write the ref {ref!r}: not a name under refs/")
                path = self.git_dir / ref
                lock = path.with_name(path.name + ".lock")
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    raise FatalError(f"{lock} exists: another git process is updating {ref}. If none is running, "
                                     f"remove that file and run again.") from None
                locked.append((lock, path))
                with os.fdopen(descriptor, "w") as out:
                    out.write(sha + "\n")
            for lock, path in locked:
                os.replace(lock, path)
            locked.clear()
        finally:
            for lock, _ in locked:
                lock.unlink(missing_ok=True)
