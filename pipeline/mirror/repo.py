"""The mirror repository and what the steps share about it: its work tree, this machine's keys, the base."""
from __future__ import annotations

import functools
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.disk.fsops import remove_temp_files
from pipeline.errors import FatalError
from pipeline.mirror import live_tree
from pipeline.mirror.context import Context
from pipeline.mirror.refs import BASE_REF
from pipeline.mirror.state import run_id
from pipeline.projects.identity import Identity
from pipeline.rules.memory_only import MEMORY

# the work tree holds this machine's memory as Claude names the dirs: projects/<encoded>/memory/...
WORKTREE_DIR = "projects"
# the branch the mirror's HEAD names: nothing is committed on it (the commit step writes trees from the work tree)
WORKTREE_BRANCH = "worktree"
# state: encoded name -> the _unmapped/<encoded> subtree folded into it (or None), for every dir that joined its key
JOINED = "joined"


def worktree(ctx: Context) -> Path:
    return ctx.settings.mirror_dir / WORKTREE_DIR


def ensure_mirror(ctx: Context) -> None:
    """git init + remote origin, idempotent; a remote that changed in .env is updated."""
    remote = ctx.require_remote()
    if ctx.git.exists():
        ctx.git.protect_content()  # a mirror made by an earlier version has no attributes of its own yet
        if ctx.state.read("mirror", {}).get("remote") != remote_id(remote):
            ctx.git.set_remote(remote)
            live_tree.follow_remote(ctx, remote)
            ctx.state.write("mirror", {"remote": remote_id(remote)})
        return
    mirror = ctx.settings.mirror_dir
    if mirror.exists() and any(mirror.iterdir()):
        raise FatalError(f"{mirror} exists and is not a git repository. Move it away or set MEMORY_MIRROR_DIR.")
    ctx.git.init(remote, head=WORKTREE_BRANCH)
    # a new mirror starts from nothing: its base, snapshot and fingerprints were about the old one
    ctx.state.forget("base", "base_listing", "snapshot", "worktree", "scan", "fetch", "merge", "host_branch",
                     "duplicate_host")
    ctx.state.write("mirror", {"remote": remote_id(remote)})
    ctx.say(f"mirror: {'would create' if ctx.dry_run else 'created'} {mirror} (origin {ctx.settings.masked_remote})")


def remote_id(remote: str) -> str:
    """What the state keeps of the remote URL: enough to see it changed, never a password it may carry. (git
    itself keeps the URL in the mirror's config, which ensure_mirror makes readable by the user alone.)"""
    return hashlib.sha256(remote.encode()).hexdigest()


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


def read_base(ctx: Context) -> tuple[str | None, frozenset[str]]:
    """The last main merged into this machine's memory, and the keys that merge covered."""
    base = ctx.state.read("base", {})
    return base.get("commit"), frozenset(base.get("keys", ()))


def write_base(ctx: Context, commit: str, keys: set[str] | frozenset[str], published: str | None = None,
               also: dict[str, str] | None = None) -> None:
    """`published`: the origin main that `commit` (a merge made here, not pushed yet) was made on. `also`: other
    refs to move in the same git call."""
    # the ref keeps the commit reachable (safe from gc); the state file is what steps read
    ctx.git.update_refs({BASE_REF: commit, **(also or {})})
    record = {"commit": commit, "keys": sorted(keys), "time": int(time.time())}
    ctx.state.write("base", {**record, "published": published} if published else record)


def settle_base(ctx: Context, origin_main: str, main: str) -> None:
    """A base that is a merge made here (trusted proposals) which never reached origin: when `main` (what this tick
    merges: origin's main, and the proposals merged into it again) lacks one of its proposals, the base goes back to
    the main it was made on. Local memory holds everything of both, so against that main the proposal's files
    count as this machine's own changes, and nothing of them is taken for a peer's deletion."""
    record = ctx.state.read("base", {})
    published = record.get("published")
    if not published or ctx.git.is_ancestor(record["commit"], origin_main):
        return
    if all(ctx.git.is_ancestor(proposal, main) for proposal in ctx.git.merged_in(record["commit"], published)):
        return  # every proposal of that merge is merged again: its files stand on main as they did
    write_base(ctx, published, frozenset(record.get("keys", ())))
    ctx.say(f"fetch: the merge of {record['commit'][:12]} was never published; merging again from {published[:12]}")


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
