"""Decoding a Claude project dir name back to the real directories it may stand for.

Decoding is a search: walk down from '/', keeping the directory entries whose encoded form (as given or NFC,
see claude_names.py) matches the next part of the name. Each (dir, position) is visited once, so a name with many
'-' runs resolves in polynomial time. A name that was cut (see claude_names.split_long) gives its first MAX_LEN
characters only: every dir below the point where they run out matches them, and the hash suffix picks the
one Claude meant; a suffix made by another version's hash matches none, so all of them stay candidates.
"""
from __future__ import annotations

import os
from collections import deque

from pipeline.rules import claude_names

SUBTREE_LIMIT = 5000  # dirs searched below the cut of a long name, so a cut at a huge tree stays cheap


class Decoder:
    """Finds the real directories whose encoded path equals a name; directory listings are cached."""

    def __init__(self, root: str = "/"):
        self.root = root
        self._listings: dict[str, list[str]] = {}
        # a dir's name is encoded once, not once per name searched through its parent (500 projects in one
        # home dir would encode its 500 entries 500 times)
        self._encodings: dict[str, frozenset[str]] = {}
        self._indexes: dict[str, dict[str, list[str]]] = {}
        self.visits = 0  # (directory, position) pairs searched: bounded by dirs x name length

    def _subdirs(self, directory: str) -> list[str]:
        if directory not in self._listings:
            try:
                with os.scandir(directory) as entries:
                    self._listings[directory] = [e.name for e in entries if e.is_dir()]
            except OSError:
                self._listings[directory] = []
        return self._listings[directory]

    def _encoded(self, name: str) -> frozenset[str]:
        if name not in self._encodings:
            self._encodings[name] = frozenset(claude_names.encode_units(form) for form in claude_names.spellings(name))
        return self._encodings[name]

    def _by_encoding(self, directory: str) -> dict[str, list[str]]:
        """A dir's subdirs by their encoded names: a search step looks up the few parts the name can continue
        with instead of encoding and comparing every entry (a /tmp of thousands, for each of 500 names)."""
        if directory not in self._indexes:
            index: dict[str, list[str]] = {}
            for name in self._subdirs(directory):
                for part in self._encoded(name):
                    index.setdefault(part, []).append(name)
            self._indexes[directory] = index
        return self._indexes[directory]

    def _parts(self, directory: str, target: str, pos: int, cut: bool):
        """(subdir, encoded part) of `directory` that can continue `target` at `pos`: the part ends where the
        target does or at one of its '-'s; with `cut`, a part may also run past the target's end."""
        if cut:
            for name in self._subdirs(directory):
                for part in self._encoded(name):
                    yield name, part
            return
        index = self._by_encoding(directory)
        for end in [i for i in range(pos, len(target)) if target[i] == "-"] + [len(target)]:
            part = target[pos:end]
            for name in index.get(part, ()):
                yield name, part

    def candidates(self, encoded: str) -> list[str]:
        if not encoded.startswith("-"):
            return []
        if encoded == "-":
            return [self.root]
        whole = self._walk(encoded, cut=False)
        long = claude_names.split_long(encoded)
        if long is None:
            return whole
        below = self._walk(long.prefix, cut=True)
        hashed = [path for path in below if claude_names.is_hashed_as(path, long.suffix)]
        return sorted(set(whole + hashed)) if whole or hashed else below

    def _walk(self, target: str, cut: bool) -> list[str]:
        """Real dirs whose encoded path is `target` or, with `cut`, is longer and begins with it."""
        memo: dict[tuple[str, int], list[str]] = {}
        found: dict[str, str] = {}  # real path -> the first path that reached it

        def add(path: str) -> None:
            found.setdefault(os.path.realpath(path), path)

        def walk(directory: str, pos: int) -> None:
            # keyed by the real directory: symlinked aliases of one dir are searched once
            seen = (os.path.realpath(directory), pos)
            if seen in memo:
                return
            memo[seen] = []
            self.visits += 1
            for name, part in self._parts(directory, target, pos, cut):
                child = os.path.join(directory, name)
                end = pos + len(part)
                if cut and end >= len(target):
                    if part.startswith(target[pos:]):
                        for path in self._subtree(child, include_self=end > len(target)):
                            add(path)
                elif not target.startswith(part, pos):
                    continue
                elif end == len(target):
                    add(child)
                elif target[end] == "-":
                    if cut and end + 1 == len(target):
                        for path in self._subtree(child, include_self=False):
                            add(path)
                    else:
                        walk(child, end + 1)

        walk(self.root, 1)
        # shallowest first: below a cut, the dir Claude ran in is most often the first one that is a project
        return sorted(found.values(), key=lambda path: (path.count(os.sep), path))

    def _subtree(self, top: str, include_self: bool) -> list[str]:
        paths = [top] if include_self else []
        queue = deque([top])
        while queue and len(paths) < SUBTREE_LIMIT:
            directory = queue.popleft()
            for name in self._subdirs(directory):
                child = os.path.join(directory, name)
                if name != ".git" and not os.path.islink(child):
                    paths.append(child)
                    queue.append(child)
        return paths[:SUBTREE_LIMIT]
