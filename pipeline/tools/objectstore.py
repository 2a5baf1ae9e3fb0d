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
import stat
import time
import zlib
from pathlib import Path

from pipeline.errors import FatalError

# git's own default for loose objects (core.looseCompression): fast, and these objects are small
_LEVEL = 1
_HEX = frozenset("0123456789abcdef")
_REV_SYNTAX = frozenset("^~@{}:")  # what git's revision syntax adds to a name: git reads such names itself
# what look_up() says when loose objects and ref files cannot answer (a packed object, a tag, a short name): ask git
UNKNOWN = "unknown"


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

    def write_dir(self, directory: Path) -> str | None:
        """Store a directory as `git add -A -f` would (every file, executable bit and symlinks as git keeps them,
        nothing named .git, no empty dirs); returns its tree, or None when it holds no file."""
        entries = []
        with os.scandir(os.fsencode(directory)) as found:
            for entry in found:
                if entry.name == b".git":
                    continue
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    if (tree := self.write_dir(Path(os.fsdecode(entry.path)))) is not None:
                        entries.append((entry.name + b"/", b"40000 " + entry.name, tree))
                elif stat.S_ISLNK(info.st_mode):
                    entries.append((entry.name, b"120000 " + entry.name, self.write("blob", os.readlink(entry.path))))
                elif stat.S_ISREG(info.st_mode):
                    with open(entry.path, "rb") as file:
                        blob = self.write("blob", file.read())
                    mode = b"100755 " if info.st_mode & stat.S_IXUSR else b"100644 "
                    entries.append((entry.name, mode + entry.name, blob))
        if not entries:
            return None
        # git orders a tree's entries by name, a subtree's name read as if it ended in "/"
        return self.write("tree", b"".join(head + b"\0" + bytes.fromhex(sha) for _, head, sha in sorted(entries)))

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

    def look_up(self, name: str) -> tuple[str, str, bytes] | None | str:
        """(id, type, content) of what `name` names, as `git cat-file --batch` would answer it, for the names a
        tick asks about: `<rev>^{commit}`, `<rev>^{tree}`, `<rev>:<path>` and bare ids, where <rev> is an id,
        HEAD or a full ref name. None: it names nothing. UNKNOWN: ask git."""
        rev, colon, path = name.partition(":")
        peel = "tree" if colon else None
        if not colon and rev.endswith(("^{commit}", "^{tree}")):
            rev, _, peel = rev[:-1].rpartition("^{")
        if _REV_SYNTAX.intersection(rev):
            return UNKNOWN
        sha = rev if len(rev) == 40 and _HEX.issuperset(rev) else \
            self.read_ref(rev) if rev == "HEAD" or rev.startswith("refs/") else UNKNOWN
        if sha in (None, UNKNOWN):
            return sha
        found = self.read_loose(sha)
        if found is None or found[0] == "tag":
            return UNKNOWN
        if peel == "tree" and found[0] == "commit":
            sha = found[1][5:45].decode()  # a commit's first line is "tree <id>"
            if (found := self.read_loose(sha)) is None:
                return UNKNOWN
        if peel is not None and found[0] != peel:
            return None
        for part in path.encode("utf-8", "surrogateescape").split(b"/") if path else ():
            if found[0] != "tree":
                return None
            sha = _entry(found[1], part)
            if sha is None:
                return None
            if (found := self.read_loose(sha)) is None:
                return UNKNOWN
        return sha, found[0], found[1]

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


def _entry(tree: bytes, name: bytes) -> str | None:
    """The id of the entry `name` in a raw tree object."""
    pos = 0
    while pos < len(tree):
        space = tree.index(b" ", pos)
        end = tree.index(b"\0", space)
        if tree[space + 1:end] == name:
            return tree[end + 1:end + 21].hex()
        pos = end + 21
    return None
