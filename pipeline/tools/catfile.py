"""Reading objects with `git cat-file --batch`: one call for many names, and, for a run that keeps one, one
process for all of that run's reads instead of a process per read."""
from __future__ import annotations

import io
from typing import Callable

from pipeline.errors import FatalError
from pipeline.tools.run import Session

TREE_MODE = "040000"
# what cat-file says instead of an object's header when a name names nothing (or more than one thing)
_NOT_FOUND = (b"missing", b"ambiguous")


def request(names: list[str]) -> bytes:
    for name in names:
        if "\n" in name:
            raise FatalError(f"cannot look up {name!r}: a name with a newline")
    return b"".join(name.encode("utf-8", "surrogateescape") + b"\n" for name in names)


def answers(count: int, line: Callable[[], bytes], read: Callable[[int], bytes]) -> list[tuple[str, str, bytes] | None]:
    """`count` answers of cat-file --batch: (id, type, content) each, or None for a name that names nothing."""
    found: list[tuple[str, str, bytes] | None] = []
    for _ in range(count):
        head = line().split()
        if head[-1] in _NOT_FOUND or len(head) != 3:
            found.append(None)
        else:
            found.append((head[0].decode(), head[1].decode(), read(int(head[2]) + 1)[:-1]))
    return found


def parse_output(data: bytes, count: int) -> list[tuple[str, str, bytes] | None]:
    out = io.BytesIO(data)
    return answers(count, lambda: out.readline()[:-1], out.read)


def ask(session: Session, names: list[str]) -> list[tuple[str, str, bytes] | None]:
    session.ask(request(names))
    return answers(len(names), session.line, session.read)


def parse_tree(data: bytes) -> list[tuple[str, str, str, bytes]]:
    """A raw tree object's entries as (mode, type, id, name), modes written as ls-tree writes them."""
    entries, pos = [], 0
    while pos < len(data):
        space = data.index(b" ", pos)
        end = data.index(b"\0", space)
        mode = data[pos:space].decode().zfill(6)
        kind = "tree" if mode == TREE_MODE else "commit" if mode == "160000" else "blob"
        entries.append((mode, kind, data[end + 1:end + 21].hex(), data[space + 1:end]))
        pos = end + 21
    return entries
