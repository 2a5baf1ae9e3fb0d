"""Pure tree decisions: how a snapshot tree is composed from the base and local memory, and the guard."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.rules.memory_only import KEY_ROOTS, is_mirror_path

TREE_MODE = "040000"
REGULAR_MODES = ("100644", "100755")  # a file; anything else from main (a link, a submodule) is never written
FORBIDDEN_MODES = {"120000": "a symlink", "160000": "a submodule"}


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: `path` is its name in the tree (or its whole path in a recursive listing)."""
    mode: str
    kind: str
    sha: str
    path: bytes


def compose_key_root(
    base: dict[str, TreeEntry], local: dict[str, str | None], replace: frozenset[str] | set[str]
) -> list[TreeEntry]:
    """Entries of one key root (by-project/ or _unmapped/) of this machine's snapshot.

    base: key name -> the base's subtree. local: key name -> this machine's subtree (None: present, no memory).
    Keys in `replace` (merged before, or no base at all) take their local content, deletions included; other
    present keys only fill in what the base lacks. Keys this machine does not have are carried over untouched.
    """
    entries = dict(base)
    for name, tree in local.items():
        if name in replace:
            if tree is None:
                entries.pop(name, None)
            else:
                entries[name] = TreeEntry(TREE_MODE, "tree", tree, name.encode())
        elif name not in entries and tree is not None:
            entries[name] = TreeEntry(TREE_MODE, "tree", tree, name.encode())
    return [entries[name] for name in sorted(entries)]


def entry_problem(path: bytes, mode: str) -> str | None:
    """Why an entry may not be in a memory tree (a symlink, a submodule, not a memory file); None when it may."""
    if mode in FORBIDDEN_MODES:
        return FORBIDDEN_MODES[mode]
    return None if is_mirror_path(path) else "not a memory file"


def forbidden_entries(entries: list[TreeEntry]) -> list[str]:
    """Paths of a recursive listing that must never be committed or pushed, with why."""
    return [f"{entry.path.decode('utf-8', 'backslashreplace')} ({problem})"
            for entry in entries if (problem := entry_problem(entry.path, entry.mode))]


def is_repo_file(path: bytes) -> bool:
    """A file the repository keeps beside the memory (a README, .github/): outside every key root. Ticks carry it
    over as it is and never sync it into memory."""
    return path.split(b"/", 1)[0].decode("utf-8", "replace") not in KEY_ROOTS


def case_collisions(paths: list[str], changed: set[str]) -> list[tuple[str, str]]:
    """Pairs of names in one tree (files, or a file and a dir) that a case-insensitive disk (macOS, Windows) would
    take for one, where at least one side is or holds a path in `changed`."""
    spellings: dict[str, set[str]] = {}
    touched: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            node = "/".join(parts[:end])
            spellings.setdefault(node.casefold(), set()).add(node)
            if path in changed:
                touched.add(node)
    pairs = []
    for names in spellings.values():
        # where two dirs already collide, what they hold is not named again
        same_parent = len({name.rpartition("/")[0] for name in names}) == 1
        if len(names) > 1 and same_parent and names & touched:
            first, second, *_ = sorted(names)
            pairs.append((first, second))
    return sorted(pairs)
