"""Which repository a checkout belongs to: every worktree of a repo, and a bare repo, name one project.

A linked worktree's `.git` is a file `gitdir: <common>/worktrees/<name>`, and that dir's `commondir` file
points (usually relatively) at the repo's common git dir: `<main>/.git`, or the bare repo itself.
"""
from __future__ import annotations

import os
import unicodedata

GIT_SUFFIX = ".git"


def gitdir_of(text: str, base: str) -> str | None:
    """The dir a `.git` file at `base` points at ('gitdir: <path>', relative to `base`), or None."""
    first = text.splitlines()[0] if text else ""
    if not first.startswith("gitdir:"):
        return None
    return os.path.normpath(os.path.join(base, first[len("gitdir:"):].strip()))


def common_root(common_dir: str) -> str:
    """The project root of a repo's common git dir: the main worktree for `<main>/.git`, else the bare repo."""
    return os.path.dirname(common_dir) if os.path.basename(common_dir) == GIT_SUFFIX else common_dir


def key_name(root: str) -> str:
    """The key of the project at `root`: its name in NFC, as macOS spells it, so that a Mac and a Linux machine
    holding a decomposed name agree; a bare repo `app.git` is the project `app`, like its clones."""
    name = unicodedata.normalize("NFC", os.path.basename(root))
    return name[:-len(GIT_SUFFIX)] if name.endswith(GIT_SUFFIX) and len(name) > len(GIT_SUFFIX) else name


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as file:
            return file.read(4096)
    except OSError:
        return None


def is_bare_repo(path: str) -> bool:
    return (os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))
            and os.path.isdir(os.path.join(path, "refs")))


def canonical_root(root: str) -> str:
    """The main worktree (or bare repo) of the linked worktree at `root`; `root` itself for anything else."""
    dot_git = os.path.join(root, ".git")
    if not os.path.isfile(dot_git):
        return root
    gitdir = gitdir_of(_read(dot_git) or "", root)
    if gitdir is None:
        return root
    common = _read(os.path.join(gitdir, "commondir"))
    if common is None or not common.strip():
        return root  # a submodule's .git file: its own project
    return common_root(os.path.normpath(os.path.join(gitdir, common.strip())))
