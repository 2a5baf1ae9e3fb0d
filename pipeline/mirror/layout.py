"""Which layout main is in: a v1/v2 main keeps Claude's project dirs at its root (<encoded>/memory/...), which a
tick must never build on (its snapshot would leave every old file out); only migrate-layout moves it."""
from __future__ import annotations

from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.rules.memory_only import KEY_ROOTS, MEMORY, PROJECT_DIR_NAME
from pipeline.rules.tree import TreeEntry

TREE_MODE = "040000"


def old_layout_candidates(root: list[TreeEntry]) -> list[str]:
    """Root dirs of main that may be v1/v2 project dirs; a user's own root files and dot-dirs (README, .github/)
    are not. Pure."""
    names = [entry.path.decode("utf-8", "surrogateescape") for entry in root if entry.mode == TREE_MODE]
    return [name for name in names if name not in KEY_ROOTS and not name.startswith(".")
            and PROJECT_DIR_NAME.match(name)]


# the last commit of main seen in the current layout: a commit's tree never changes, so neither does this verdict
_current_layout: set[str] = set()


def refuse_old_layout(ctx: Context, main: str) -> None:
    """Stop the tick, before anything is published, when `main` holds <encoded>/memory/ at its root."""
    if main in _current_layout:
        return
    candidates = old_layout_candidates(ctx.git.children(main)[1])
    old = [entry.path.decode("utf-8", "surrogateescape").split("/")[0]
           for entry in ctx.git.ls_tree(main, *(f"{name}/{MEMORY}" for name in candidates))] if candidates else []
    if not old:
        _current_layout.clear()
        _current_layout.add(main)
        return
    raise FatalError(f"origin's main is in the v1/v2 layout ({len(old)} project dir(s) at its root, such as "
                     f"{old[0]}): run `memory-sync migrate-layout` first; nothing was published.")
