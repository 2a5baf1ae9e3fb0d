"""Pure tree decisions: how a snapshot tree is composed from the base and local memory, and the guard."""
from __future__ import annotations

from pipeline.paths import is_mirror_path
from pipeline.tools.git import TreeEntry

TREE_MODE = "040000"
FORBIDDEN_MODES = {"120000": "a symlink", "160000": "a submodule"}


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


def forbidden_entries(entries: list[TreeEntry]) -> list[str]:
    """Paths of a recursive listing that must never be committed or pushed, with why."""
    problems = []
    for entry in entries:
        path = entry.path.decode("utf-8", "backslashreplace")
        if entry.mode in FORBIDDEN_MODES:
            problems.append(f"{path} ({FORBIDDEN_MODES[entry.mode]})")
        elif not is_mirror_path(entry.path):
            problems.append(f"{path} (not a memory file)")
    return problems
