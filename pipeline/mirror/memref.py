"""A memory file as a user names it on the command line: `<key>/<file>` (`finops/notes.md`, the key as
`memory-sync identities` shows it) or a path on disk inside one of this machine's memory dirs."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.mirror.keys import LocalKey, local_keys, memory_dir
from pipeline.rules.memory_only import KEY_ROOTS, MEMORY

DEFAULT_ROOT = KEY_ROOTS[0]


def short_key(key: str) -> str:
    """`by-project/finops` -> `finops`; `_unmapped/<dir>` stays as it is."""
    root, name = key.split("/", 1)
    return name if root == DEFAULT_ROOT else key


def full_key(name: str) -> str:
    return name if name.split("/", 1)[0] in KEY_ROOTS else f"{DEFAULT_ROOT}/{name}"


def split_spec(spec: str) -> tuple[str, str]:
    """`finops/notes.md` -> (`by-project/finops`, `notes.md`); the file part may be empty (the whole key)."""
    parts = spec.strip("/").split("/")
    width = 2 if parts[0] in KEY_ROOTS else 1
    return full_key("/".join(parts[:width])), "/".join(parts[width:])


@dataclass(frozen=True)
class MemoryFile:
    local: LocalKey
    rel: str  # inside the memory dir

    @property
    def name(self) -> str:
        return f"{short_key(self.local.key)}/{self.rel}"

    @property
    def mirror_path(self) -> str:
        return f"{self.local.key}/{MEMORY}/{self.rel}"

    def paths(self, ctx: Context) -> list[Path]:
        """The file in every Claude project dir of its key (one, unless a project is opened from several)."""
        return [memory_dir(ctx, identity) / self.rel for identity in self.local.dirs]


def _on_disk(ctx: Context, spec: str, keys: dict[str, LocalKey]) -> MemoryFile | None:
    real = Path(os.path.realpath(Path(spec).expanduser()))
    for local in keys.values():
        for identity in local.dirs:
            try:
                rel = real.relative_to(os.path.realpath(memory_dir(ctx, identity)))
            except ValueError:
                continue
            return MemoryFile(local, rel.as_posix())
    return None


def locate(ctx: Context, spec: str) -> MemoryFile:
    keys = local_keys(ctx)
    if os.path.isabs(os.path.expanduser(spec)) or os.path.exists(spec):
        found = _on_disk(ctx, spec, keys)
        if found is None:
            raise FatalError(f"{spec} is not in a memory dir of this machine. Name a file as <key>/<file> "
                             "(`memory-sync identities` lists the keys) or give its path under ~/.claude/projects/.")
        return found
    key, rel = split_spec(spec)
    if key not in keys:
        raise FatalError(f"{spec}: no project on this machine has the key {short_key(key)}. "
                         "`memory-sync identities` lists the keys; name a file as <key>/<file>.")
    if not rel:
        raise FatalError(f"{spec}: name a file of the key, as <key>/<file> (e.g. {short_key(key)}/MEMORY.md).")
    return MemoryFile(keys[key], rel)
