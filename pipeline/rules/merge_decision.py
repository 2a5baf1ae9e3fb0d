"""The per-file merge decision (three-way, with a base): a pure function of three versions."""
from __future__ import annotations

import enum
import re

from pipeline.rules.index_merge import INDEX_NAME
from pipeline.rules.memory_only import NAME_MAX, fit_name

# git's own test for binary content: a NUL byte in the first 8000 bytes
BINARY_SNIFF_BYTES = 8000


class Action(enum.Enum):
    NOTHING = "nothing"  # already equal, or this machine's deletion / edit is what will be pushed
    WRITE_MAIN = "write main"  # main's version replaces the local file (or creates it)
    KEEP_LOCAL = "keep local"  # the local edit or addition wins; it is pushed / proposed
    TRASH_LOCAL = "trash local"  # a peer deleted an unchanged file: move it to the trash
    CONFLICT = "conflict"  # both changed: merge them (see how_to_merge), else keep local and write main's as a sibling
    MERGED = "merged"  # both changed and merged cleanly: the merged text replaces local and is pushed


class Method(enum.Enum):
    """How a file changed on both sides is merged against the base."""

    LINES = "lines"  # git merge-file: edits that do not overlap merge
    ENTRIES = "entries"  # MEMORY.md: a set of entries keyed by link target (index_merge)
    WHOLE_FILE = "whole file"  # binary: keep local, main's version as a conflict sibling


def decide(base: str | None, main: str | None, local: str | None) -> Action:
    """Versions are content ids (None = absent). See DESIGN §3 for the table this implements."""
    if main == local:
        return Action.NOTHING
    if main is None:
        return Action.TRASH_LOCAL if base is not None and local == base else Action.KEEP_LOCAL
    if local is None:
        # absent locally: new from a peer, or deleted here (nothing to do unless a peer edited it since)
        return Action.WRITE_MAIN if base is None or main != base else Action.NOTHING
    if local == base:
        return Action.WRITE_MAIN
    if main == base:
        return Action.KEEP_LOCAL
    return Action.CONFLICT


def join_decision(main: str | None, local: str | None, earlier: bool) -> Action:
    """A project dir new to this mirror meets main's version of a file as a new machine would: main's is written
    unless the dir holds something else; an older version main had (`earlier`: a dir that comes back) is no
    edit of its own; anything else is merged with no base. A file only the dir has is kept: nothing is deleted."""
    if main == local or main is None:
        return Action.NOTHING
    if local is None or earlier:
        return Action.WRITE_MAIN
    return Action.CONFLICT


def is_binary(data: bytes | None) -> bool:
    return data is not None and b"\0" in data[:BINARY_SNIFF_BYTES]


def how_to_merge(rel: str, base: bytes | None, main: bytes, local: bytes) -> Method:
    """`rel` is the path inside the memory dir; a missing base merges against an empty file."""
    if any(is_binary(version) for version in (base, main, local)):
        return Method.WHOLE_FILE
    return Method.ENTRIES if rel == INDEX_NAME else Method.LINES


def _stem_ext(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8", "surrogateescape")) > NAME_MAX // 2:
        return name, ""
    return stem, f".{ext}"


def conflict_name(name: str, host: str, epoch: int) -> str:
    """`a.b.md` -> `a.b.conflict-<host>-<epoch>.md`: split at the last dot, none for dotfiles without one.
    The stem of a name near NAME_MAX is cut so the sibling can still be created."""
    stem, ext = _stem_ext(name)
    return fit_name(stem, f".conflict-{host}-{epoch}{ext}")


_SIBLING = re.compile(r"^(?P<stem>.+)\.conflict-(?P<host>.+)-(?P<epoch>\d+)(?P<ext>\.[^.]*)?$")


def sibling_origin(name: str) -> tuple[str, str, int] | None:
    """`a.b.conflict-h-7.md` -> ('a.b.md', 'h', 7): the file a conflict sibling belongs to, who wrote it, when."""
    match = _SIBLING.match(name)
    if match is None:
        return None
    return match["stem"] + (match["ext"] or ""), match["host"], int(match["epoch"])


def is_conflict_sibling_of(candidate: str, name: str) -> bool:
    stem, ext = _stem_ext(name)
    if not candidate.endswith(ext):
        return False
    if candidate.startswith(f"{stem}.conflict-"):
        return True
    # a cut stem (see conflict_name) leaves the sibling within a few bytes of NAME_MAX
    cut = candidate.rfind(".conflict-")
    return (len(candidate.encode("utf-8", "surrogateescape")) > NAME_MAX - 4 and cut > 0
            and stem.startswith(candidate[:cut]))


def reconcile_copies(base: str | None, copies: list[str | None]) -> tuple[str | None, list[str]]:
    """Several local copies of one file (dirs of one key) -> the version every copy gets, and the
    other changed versions, kept as conflict siblings. A change beats no change, an edit beats a deletion."""
    changed = list(dict.fromkeys(copy for copy in copies if copy != base))
    if not changed:
        return base, []
    edits = [copy for copy in changed if copy is not None]
    if not edits:
        return None, []
    return edits[0], edits[1:]
