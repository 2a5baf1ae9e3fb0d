"""git's objects and refs, written and read in process, in git's own on-disk formats.

A tick writes a handful of small objects (the trees and the commit of one snapshot) and moves two or three refs.
Each of those as a git command costs a process start, several times the work itself, so they are written here:
loose objects exactly as git writes them (zlib of "<type> <size>\\0<content>", named by its sha1), many objects
at once as one pack with its index (packs.py), and refs with git's own lock-file protocol (`<ref>.lock` created
exclusively, then renamed over the ref), which every git process respects. Objects this store neither wrote in this
run nor holds loose or whole in a pack (a delta, a tag) are left to git to read.
"""
from __future__ import annotations

import hashlib
import os
import stat
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable

from pipeline.errors import FatalError
from pipeline.tools import catfile, packs
from pipeline.tools.catfile import TREE_MODE

# git's own default for loose objects (core.looseCompression): fast, and these objects are small
_LEVEL = 1
UNPACK_LIMIT = 100  # git's transfer.unpackLimit: more objects than this are written as one pack
PACK_BYTES = 64 << 20  # a batch's objects wait in memory up to this much, then go out as a pack
RECENT_BYTES = 64 << 20  # what a run wrote is kept for its own reads (the scan reads each new file) up to this
_HEX = frozenset("0123456789abcdef")
_REV_SYNTAX = frozenset("^~@{}:")  # what git's revision syntax adds to a name: git reads such names itself
# what look_up() says when this store cannot answer (a delta in a pack, a tag, revision syntax): ask git
UNKNOWN = "unknown"


def object_id(kind: str, body: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(body)) + body).hexdigest()


def tree_content(entries: Iterable[tuple[str, bytes, bool, str]]) -> bytes:
    """A tree object's content as git writes it, from (mode, name, is it a tree, id) of each entry."""
    # git orders a tree's entries by name, a subtree's name read as if it ended in "/"
    ordered = sorted(entries, key=lambda entry: entry[1] + b"/" if entry[2] else entry[1])
    return b"".join(mode.lstrip("0").encode() + b" " + name + b"\0" + bytes.fromhex(sha)
                    for mode, name, _, sha in ordered)


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
        self._objects = os.fspath(self.git_dir / "objects")
        self._packs = self.git_dir / "objects" / "pack"
        self._pending: dict[str, tuple[str, bytes]] | None = None  # a batch's objects, not written yet
        self._pending_bytes = 0
        self._recent: dict[str, tuple[str, bytes]] = {}
        self._recent_bytes = 0
        self._packed_ids: dict[bytes, tuple[Path, int]] | None = None

    def _object_path(self, sha: str) -> str:
        # a plain string: this runs for every file of a first snapshot, where pathlib's parsing shows
        return f"{self._objects}/{sha[:2]}/{sha[2:]}"

    def write(self, kind: str, body: bytes) -> str:
        """Store an object (nothing to do when it is there already); returns its id."""
        sha = object_id(kind, body)
        if self._has(sha):
            return sha
        if self._pending is None:
            self._write_loose(sha, kind, body)
        else:
            self._pending[sha] = (kind, body)
            self._pending_bytes += len(body)
            if self._pending_bytes > PACK_BYTES:
                self._flush()
        return sha

    @contextmanager
    def batch(self):
        """Objects written inside are stored together at the end: as one pack when there are more than
        UNPACK_LIMIT of them, else loose. Nothing refers to them before the batch ends."""
        self._pending, self._pending_bytes = {}, 0
        try:
            yield
            self._flush()
        finally:
            self._pending = None

    def _packed(self) -> dict[bytes, tuple[Path, int]]:
        """id -> (pack, offset) of the objects in the repository's packs: a file that did not change is stored
        already, and storing it again would cost a compression and a write. Each run lists the packs again."""
        if self._packed_ids is None:
            self._packed_ids = packs.packed_objects(self._packs)
        return self._packed_ids

    def _read_packed(self, sha: str) -> tuple[str, bytes] | None:
        where = self._packed().get(bytes.fromhex(sha))
        return packs.read_object(*where) if where is not None else None

    def _write_pack(self, objects: dict[str, tuple[str, bytes]]) -> None:
        pack, located = packs.write_pack(self._packs, objects, _LEVEL)
        for sha, (kind, body) in objects.items():
            self._remember(sha, kind, body)
        if self._packed_ids is not None:
            self._packed_ids.update((raw, (pack, where)) for raw, where in located)

    def pack_count(self) -> int:
        return len(list(self._packs.glob("pack-*.idx")))

    def forget(self) -> None:
        """Drop what this run learned from memory (the next run reads the disk)."""
        self._recent.clear()
        self._recent_bytes = 0
        self._packed_ids = None

    def _flush(self) -> None:
        objects, self._pending, self._pending_bytes = self._pending, {}, 0
        if len(objects) > UNPACK_LIMIT:
            self._write_pack(objects)
        else:
            for sha, (kind, body) in objects.items():
                self._write_loose(sha, kind, body)

    def _remember(self, sha: str, kind: str, body: bytes) -> None:
        if self._recent_bytes + len(body) <= RECENT_BYTES:
            self._recent[sha] = (kind, body)
            self._recent_bytes += len(body)

    def _write_loose(self, sha: str, kind: str, body: bytes) -> None:
        path = Path(self._object_path(sha))
        path.parent.mkdir(exist_ok=True)
        packs.store(path, zlib.compress(b"%s %d\0" % (kind.encode(), len(body)) + body, _LEVEL))
        self._remember(sha, kind, body)

    def write_dir(self, directory: Path, previous: str | None = None, read_at: int | None = None) -> str | None:
        """Store a directory as `git add -A -f` would (every file, executable bit and symlinks as git keeps them,
        nothing named .git, no empty dirs); returns its tree, or None when it holds no file. `previous`: the tree
        stored of it before, from a reading that began at `read_at` (clock_now()): a file not changed since before
        then holds what that reading found, and is taken from that tree unread."""
        earlier = {}
        if previous is not None and read_at is not None and (found := self.read(previous)) and found[0] == "tree":
            earlier = {name: (mode, sha) for mode, _, sha, name in catfile.parse_tree(found[1])}
        entries = []
        with os.scandir(os.fsencode(directory)) as listing:
            for entry in listing:
                if entry.name == b".git":
                    continue
                info = entry.stat(follow_symlinks=False)
                before = earlier.get(entry.name)
                if stat.S_ISDIR(info.st_mode):
                    subtree = before[1] if before and before[0] == TREE_MODE else None
                    if (tree := self.write_dir(Path(os.fsdecode(entry.path)), subtree, read_at)) is not None:
                        entries.append(("40000", entry.name, True, tree))
                elif stat.S_ISLNK(info.st_mode):
                    entries.append(("120000", entry.name, False, self.write("blob", os.readlink(entry.path))))
                elif stat.S_ISREG(info.st_mode):
                    mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
                    # every write moves a file's change time; one before the reading began was seen by it
                    unchanged = before is not None and before[0] == mode and info.st_ctime_ns < read_at
                    blob = before[1] if unchanged and self._has(before[1]) else self._write_file(entry.path)
                    entries.append((mode, entry.name, False, blob))
        return self.write("tree", tree_content(entries)) if entries else None

    def clock_now(self) -> int:
        """Now, on the clock of the file system the repository is on (which stamps the work tree's files too, where
        this machine's clock may differ, on a network file system): a stamp file's time, just touched."""
        stamp = self.git_dir / "memory-mirror-clock"
        stamp.touch()  # an existing file gets the time of now, as `touch` does
        return stamp.stat().st_mtime_ns

    def _write_file(self, path: bytes) -> str:
        with open(path, "rb") as file:
            return self.write("blob", file.read())

    def _has(self, sha: str) -> bool:
        return sha in self._recent or (self._pending is not None and sha in self._pending) or \
            bytes.fromhex(sha) in self._packed() or os.path.exists(self._object_path(sha))

    def read(self, sha: str) -> tuple[str, bytes] | None:
        """(type, content) of an object this run wrote, or one stored loose or whole in a pack; None when it is
        none of these (git reads it)."""
        if sha in self._recent:
            return self._recent[sha]
        try:
            with open(self._object_path(sha), "rb") as stored:
                raw = zlib.decompress(stored.read())
        except (FileNotFoundError, NotADirectoryError):
            return self._read_packed(sha)
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
        found = self.read(sha)
        if found is None or found[0] == "tag":
            return UNKNOWN
        if peel == "tree" and found[0] == "commit":
            sha = found[1][5:45].decode()  # a commit's first line is "tree <id>"
            if (found := self.read(sha)) is None:
                return UNKNOWN
        if peel is not None and found[0] != peel:
            return None
        for part in path.encode("utf-8", "surrogateescape").split(b"/") if path else ():
            if found[0] != "tree":
                return None
            sha = next((sha for _, _, sha, name in catfile.parse_tree(found[1]) if name == part), None)
            if sha is None:
                return None
            if (found := self.read(sha)) is None:
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
