"""Who changed what on main, read from `git log` of the mirror's copy of origin/main."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.rules.memory_only import MEMORY, split_mirror_path

_AUTHOR_HOST = re.compile(r"^memory-mirror \((?P<host>.+)\)$")  # the identity every commit of ours is made with


@dataclass(frozen=True)
class Change:
    commit: str
    time: int
    host: str
    files: tuple[tuple[str, str], ...]  # (A/M/D, key/file as the user names it)


def _named(path: str, short) -> str:
    split = split_mirror_path(path)
    return f"{short(split[0])}/{split[1]}" if split else path


def parse_log(text: str, short) -> list[Change]:
    """`short` turns a mirror key into the name users type (by-project/finops -> finops)."""
    changes = []
    for block in text.split("\n@"):
        lines = [line for line in block.lstrip("@").splitlines() if line.strip()]
        if not lines:
            continue
        commit, when, author = lines[0].split(" ", 2)
        match = _AUTHOR_HOST.match(author)
        files = tuple((status[0], _named(path, short)) for status, path in (line.split("\t", 1) for line in lines[1:]))
        if files:
            changes.append(Change(commit, int(when), match["host"] if match else author, files))
    return changes


def mirror_path(key: str, rel: str) -> str:
    """Where `rel` of `key` lives on main; an empty `rel` is the key's whole memory dir."""
    return f"{key}/{MEMORY}/{rel}" if rel else f"{key}/{MEMORY}/"
