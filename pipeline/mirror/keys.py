"""This machine's keys: the Claude project dirs of each key (one reading of the identity map per run), where each
one's memory is, and the bracket around writes into memory dirs."""
from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.disk.fsops import remove_temp_files
from pipeline.mirror.context import Context
from pipeline.mirror.state import run_id
from pipeline.projects.identity import Identity
from pipeline.rules.memory_only import MEMORY

# state: encoded name -> the _unmapped/<encoded> subtree folded into it (or None), for every dir that joined its key
JOINED = "joined"

# what a run read of the identity map, by the version of its file: resolve and every later step share one reading
_identities: dict[tuple, list[Identity]] = {}


def load_identities(ctx: Context) -> list[Identity]:
    version = _version(ctx)
    if version is not None and version in _identities:
        return _identities[version]
    identities = [Identity.from_json(item) for item in ctx.state.read("identities", [])]
    if version is not None and not ctx.dry_run:
        _identities.clear()
        _identities[version] = identities
    return identities


def _version(ctx: Context) -> tuple | None:
    """The identity map's file as this run sees it (None: there is none): cached readings are keyed by it."""
    path = ctx.state.path("identities")
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return run_id(), str(path), info.st_mtime_ns, info.st_size, str(ctx.settings.claude_projects)


@dataclass(frozen=True)
class LocalKey:
    """One key present on this machine and the Claude project dirs that resolve to it."""

    key: str
    dirs: tuple[Identity, ...]

    @property
    def primary(self) -> Identity:
        return self.dirs[0]


def memory_dir(ctx: Context, identity: Identity) -> Path:
    return _memory_path(ctx.settings.claude_projects, identity.encoded, identity.memory)


@functools.lru_cache(maxsize=8192)
def _memory_path(projects: Path, encoded: str, memory: str | None) -> Path:
    # a tick asks for each dir's path several times, and joining paths is pathlib's slow part
    return Path(memory) if memory else projects / encoded / MEMORY


# every step of a tick needs this machine's keys: work them out once per run and version of the identity map
_keys: dict[tuple, dict[str, "LocalKey"]] = {}


def local_keys(ctx: Context) -> dict[str, LocalKey]:
    """This machine's keys; a memory dir that is a symlink could point anywhere: it is neither read nor written."""
    version = _version(ctx)
    if version is not None and version in _keys:
        return _keys[version]
    groups: dict[str, list[Identity]] = {}
    for identity in load_identities(ctx):
        if not memory_dir(ctx, identity).is_symlink():
            groups.setdefault(identity.key, []).append(identity)
    keys = {key: LocalKey(key, tuple(sorted(dirs, key=lambda i: i.encoded))) for key, dirs in sorted(groups.items())}
    if version is not None and not ctx.dry_run:
        _keys.clear()
        _keys[version] = keys
    return keys


@contextmanager
def local_writes(ctx: Context, keys: dict[str, LocalKey]):
    """Brackets writes into memory dirs; after a crash inside one, the next run first removes its temp files."""
    if ctx.state.read("writing", False):
        for local in keys.values():
            for identity in local.dirs:
                if memory_dir(ctx, identity).is_dir():
                    remove_temp_files(memory_dir(ctx, identity))
    ctx.state.write("writing", True)
    yield
    ctx.state.write("writing", False)
