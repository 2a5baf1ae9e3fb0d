"""propose: this machine's changes (its snapshot against its base), rebuilt on the current origin/main,
pushed as proposal/<host>/<YYYYmmddTHHMMSSZ>-<short sha> and opened as a PR when the remote is on GitHub."""
from __future__ import annotations

import time

from pipeline.errors import FatalError
from pipeline.fleet.github import github_repo
from pipeline.mirror.context import Context
from pipeline.mirror.refs import MAIN, ORIGIN_MAIN, PROPOSAL_PREFIX
from pipeline.mirror.remote import push_refs, remote_main
from pipeline.rules.memory_only import is_mirror_path
from pipeline.tools import gh
from pipeline.tools.git_formats import EMPTY_TREE

PROPOSED_VERSIONS = 5  # per path
PROPOSED_PATHS = 5000


def proposal_branch(host: str, commit: str, now: float) -> str:
    return f"{PROPOSAL_PREFIX}/{host}/{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))}-{commit[:7]}"


def remember_proposed(known: list, changes, commit: str) -> list:
    """[path, [blob ids], proposal] entries, most recently proposed last: the last versions of each path this
    machine proposed, and the proposal commit that carried the newest. When main comes back with one of them,
    merge knows that change was this machine's own; once that proposal is in main, its version is what main saw."""
    entries = {path: rest for path, *rest in known}
    for change in changes:
        if change.new_sha:
            path = change.path.decode("utf-8", "surrogateescape")
            kept = [sha for sha in entries.pop(path, [[]])[0] if sha != change.new_sha]
            entries[path] = [(kept + [change.new_sha])[-PROPOSED_VERSIONS:], commit]
    return [[path, *rest] for path, rest in entries.items()][-PROPOSED_PATHS:]


def propose(ctx: Context, auto_merge: bool) -> None:
    if not ctx.role.can("propose"):
        raise FatalError(
            f"role {ctx.role.name} may not propose ({ctx.roles.source} does not list propose under its 'may'). "
            "Proposals come from contributors; the authority pushes main itself."
        )
    repo = github_repo(ctx.require_remote())
    if repo:
        gh.require(ctx.runner)
    snapshot = ctx.state.read("snapshot", {})
    if not snapshot.get("commit"):
        raise FatalError("nothing snapshotted yet: run `memory-sync sync-now` first.")
    main = remote_main(ctx)
    if main is None:
        raise FatalError("origin has no main yet: run `memory-sync sync-now`, which seeds it.")
    if ctx.git.rev_parse(ORIGIN_MAIN) != main:
        ctx.git.fetch(f"+{MAIN}:{ORIGIN_MAIN}")
    mine = ctx.git.diff_tree(snapshot.get("base") or EMPTY_TREE, snapshot["commit"])
    changes = [(c.new_mode, c.new_sha, c.path) for c in mine if is_mirror_path(c.path)]
    main_tree = ctx.git.tree_of(main)
    tree = ctx.git.tree_with(main_tree, changes, ctx.settings.state_dir / "propose.index")
    proposed = ctx.git.diff_tree(main_tree, tree)
    files = [c.path.decode("utf-8", "backslashreplace") for c in proposed]
    if not files:
        ctx.say("nothing to propose")
        return
    title = f"memory from {ctx.settings.hostname}: {len(files)} file{'s' if len(files) != 1 else ''}"
    body = "Changed memory files:\n\n" + "\n".join(f"- {name}" for name in files) + "\n"
    # this machine's last proposal as a second parent: when that one reaches main first, git merges this one
    # from it, instead of finding that both changed the same files (this one holds that one's changes too)
    previous = ctx.state.read("propose", {})
    parents = [main]
    last = previous.get("commit")
    if last and ctx.git.rev_parse(last) and not ctx.git.is_ancestor(last, main):
        parents.append(last)
    commit = ctx.git.commit_tree(tree, f"{title}\n\n{body}", parents)
    branch = proposal_branch(ctx.settings.hostname, commit, time.time())
    outcome = push_refs(ctx, [f"{commit}:refs/heads/{branch}"])
    if not outcome.ok(f"refs/heads/{branch}"):
        raise FatalError(f"push of {branch} was refused: {outcome.summary(f'refs/heads/{branch}')}")
    ctx.state.write("propose", {"commit": commit,
                                "files": remember_proposed(previous.get("files", []), proposed, commit)})
    ctx.say(f"proposed {len(files)} file(s) on {branch}:")
    for name in files:
        ctx.say(f"  {name}")
    if repo:
        url = gh.pr_create(ctx.runner, repo, branch, title, body)
        ctx.say(f"opened {url or 'a pull request'}")
        if auto_merge:
            gh.pr_merge_auto(ctx.runner, repo, branch)
            ctx.say("armed auto-merge (squash) on it")
        return
    ctx.say("this remote is not on GitHub, so no pull request was opened. To review and merge:")
    ctx.say(f"  git fetch origin && git diff origin/main origin/{branch}")
    ctx.say(f"  git push origin origin/{branch}:main    # when it is a fast-forward of main")
    if auto_merge:
        ctx.say("--auto-merge needs a GitHub remote; on this one, a trusted role (auto_merge: true in the "
                "authority's roles.yaml) lets the authority merge clean proposals itself")
