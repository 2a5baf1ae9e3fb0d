"""What every git call shares: the settings and environment it runs with, and git's formats read and written as
Python values (tree entries, changes, merge results)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.rules.tree import TreeEntry
from pipeline.tools import catfile
from pipeline.tools.objectstore import object_id, tree_content

# GIT_* variables that say how to reach a remote, not what to commit: a user's ssh or proxy setup keeps working.
_KEPT_GIT_VARS = frozenset(
    {"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "GIT_ASKPASS", "GIT_EXEC_PATH",
     "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_ALLOW_PROTOCOL"}
)
# A user's git settings that would change what we commit or run code of theirs on our commands: off for every
# call. (How to reach the remote, such as url.*.insteadOf, core.sshCommand or a credential helper, stays theirs.)
OUR_TERMS = (
    "commit.gpgSign=false", "push.gpgSign=false", "core.quotePath=false",
    "core.autocrlf=false", "core.eol=lf", "core.safecrlf=false",  # a CRLF file arrives byte-identical
    f"core.hooksPath={os.devnull}", "core.fsmonitor=false",  # no hook or monitor of the user's runs
    f"core.attributesFile={os.devnull}", f"core.excludesFile={os.devnull}",  # no filter, eol or ignore rule of theirs
    "submodule.recurse=false", "merge.conflictStyle=merge",
)
# the mirror's own attributes outrank any .gitattributes a memory dir might hold: content is stored as it is
MIRROR_ATTRIBUTES = "* -text -filter -ident -eol -working-tree-encoding\n"
ZERO_SHA = "0" * 40
GC_AUTO_PACK_LIMIT = 50  # git's gc.autoPackLimit
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def no_git_env(hostname: str) -> dict[str, str]:
    """The environment every git call gets: inherited GIT_* cleared, our own identity pinned, never a prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEPT_GIT_VARS}
    name = f"memory-mirror ({hostname})"
    email = f"memory-mirror@{hostname}"
    env.update(
        GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
        GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_ATTR_NOSYSTEM="1",
    )
    if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def zsplit(data: bytes) -> list[bytes]:
    return [part for part in data.split(b"\0") if part]


def tree_body(entries: list[TreeEntry]) -> bytes:
    """A tree object's content as git writes it."""
    return tree_content((e.mode, e.path, e.kind == "tree", e.sha) for e in entries)


def tree_id(entries: list[TreeEntry]) -> str:
    """The id git gives a tree of `entries` (sha1), known before it is written."""
    return object_id("tree", tree_body(entries))


def parse_ls_tree(data: bytes) -> list[TreeEntry]:
    entries = []
    for record in zsplit(data):
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        entries.append(TreeEntry(mode, kind, sha, path))
    return entries


@dataclass(frozen=True)
class Change:
    """One path of `git diff-tree -r`: old/new blob (None when absent) and their modes."""

    path: bytes
    old_mode: str
    old_sha: str | None
    new_mode: str
    new_sha: str | None


@dataclass(frozen=True)
class Stage:
    """One version of a path that git's merge could not settle: stage 1 is the base, 2 ours, 3 theirs."""

    mode: str
    sha: str
    stage: int
    path: bytes


@dataclass(frozen=True)
class TreeMerge:
    """What `git merge-tree --write-tree` made: the tree (conflict markers in files it could not merge), whether
    it merged cleanly, and the stages of each path it could not merge."""

    tree: str
    clean: bool
    conflicts: tuple[Stage, ...]


def parse_merge_tree(data: bytes, clean: bool) -> TreeMerge:
    """`git merge-tree --write-tree -z --no-messages` output: the tree, then `<mode> <sha> <stage>\t<path>`s."""
    tree, *records = zsplit(data)
    stages = []
    for record in records:
        meta, path = record.split(b"\t", 1)
        mode, sha, stage = meta.decode().split()
        stages.append(Stage(mode, sha, int(stage), path))
    return TreeMerge(tree.decode(), clean, tuple(stages))


def tree_entries(tree: bytes) -> list[TreeEntry]:
    return [TreeEntry(mode, kind, sha, name) for mode, kind, sha, name in catfile.parse_tree(tree)]


def change_side(entry: TreeEntry | None) -> tuple[str, str | None]:
    """A Change's mode and blob for one side: git's "000000" and no blob where the path is absent."""
    return (entry.mode, entry.sha) if entry is not None else ("000000", None)


def git_command(*args: str) -> tuple[str, ...]:
    return ("git", "--no-pager", *(part for setting in OUR_TERMS for part in ("-c", setting)), *args)
