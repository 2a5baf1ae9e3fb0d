"""The live tree: what gitfoam publishes, when gitfoam is the pusher.

gitfoam pushes a work tree as it is (parentless commits of its files) whenever that tree differs from its HEAD,
and scans only the files that differ. So it is given a work tree of its own, `$AGENTIHOOKS_HOME/gitfoam/live`,
that holds exactly this machine's latest snapshot commit: by-project layout, files held back as secrets kept at
their last clean version, nothing the guard refused. Its HEAD is the branch gitfoam updates,
`<prefix>/<host>/live`, so once gitfoam has pushed a tree the work tree is clean again and it rests.
The host branch `<prefix>/<host>/main`, with its history (what proposals and sweeping rely on), stays ours.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.mirror.context import Context
from pipeline.tools.git import Git
from pipeline.tools.git_formats import OUR_TERMS


def live_dir(ctx: Context) -> Path:
    return ctx.settings.gitfoam_dir / "live"


def ensure(ctx: Context) -> Git:
    """The live tree's repository: objects borrowed from the mirror, origin the mirror's remote, and a config
    that is the user's (how to reach the remote) under our terms (what is stored, what runs)."""
    git = Git(ctx.runner, live_dir(ctx), ctx.settings.hostname)
    if not git.exists():
        git.init(ctx.require_remote(), head=ctx.settings.live_branch)
        if not ctx.dry_run:
            alternates = live_dir(ctx) / ".git" / "objects" / "info" / "alternates"
            alternates.write_text(f"{ctx.settings.mirror_dir / '.git' / 'objects'}\n")
        user_config = ctx.settings.user_home / ".gitconfig"
        if user_config.is_file():  # gitfoam's git runs with a HOME of ours: the user's credentials come in here
            git.set_config("include.path", str(user_config))
        for setting in OUR_TERMS:  # after the include, so these win
            git.set_config(*setting.split("=", 1))
    return git


def follow_remote(ctx: Context, remote: str) -> None:
    """MEMORY_MIRROR_REMOTE changed: the live tree publishes there too."""
    git = Git(ctx.runner, live_dir(ctx), ctx.settings.hostname)
    if git.exists():
        git.set_remote(remote)


def show(ctx: Context, tree: str) -> None:
    """Make the live tree hold exactly `tree`; gitfoam sees it differ from what it last pushed, and pushes it."""
    ensure(ctx).checkout_tree(tree)
