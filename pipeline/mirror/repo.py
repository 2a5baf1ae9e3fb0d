"""The mirror repository: where its work tree is, and making it (or following a remote that changed)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.errors import FatalError
from pipeline.mirror import live_tree
from pipeline.mirror.context import Context
from pipeline.mirror.state_files import FORGOTTEN_BY_NEW_MIRROR

# the work tree holds this machine's memory as Claude names the dirs: projects/<encoded>/memory/...
WORKTREE_DIR = "projects"
# the branch the mirror's HEAD names: nothing is committed on it (the commit step writes trees from the work tree)
WORKTREE_BRANCH = "worktree"


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
    ctx.state.forget(*FORGOTTEN_BY_NEW_MIRROR)
    ctx.state.write("mirror", {"remote": remote_id(remote)})
    ctx.say(f"mirror: {'would create' if ctx.dry_run else 'created'} {mirror} (origin {ctx.settings.masked_remote})")


def remote_id(remote: str) -> str:
    """What the state keeps of the remote URL: enough to see it changed, never a password it may carry. (git
    itself keeps the URL in the mirror's config, which ensure_mirror makes readable by the user alone.)"""
    return hashlib.sha256(remote.encode()).hexdigest()
