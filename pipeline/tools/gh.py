"""The GitHub CLI wrapper: only what propose needs."""
from __future__ import annotations

from pipeline.errors import FatalError
from pipeline.tools.run import Result, Runner

MISSING = "gh CLI not found. Install GitHub CLI: https://cli.github.com/"


def require(runner: Runner) -> None:
    if not runner.has("gh"):
        raise FatalError(MISSING)


def _gh(runner: Runner, *args: str) -> Result:
    require(runner)
    return runner.run("gh", *args, mutating=True)


def pr_create(runner: Runner, repo: str, head: str, title: str, body: str) -> str:
    """Open a pull request into main; returns what gh printed (the PR's URL)."""
    return _gh(runner, "pr", "create", "--repo", repo, "--base", "main", "--head", head,
               "--title", title, "--body", body).out.strip()


def pr_merge_auto(runner: Runner, repo: str, head: str) -> None:
    _gh(runner, "pr", "merge", head, "--repo", repo, "--auto", "--squash")
