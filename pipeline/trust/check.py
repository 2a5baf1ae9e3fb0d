"""What a proposal (or any commit) brings to main, checked as the snapshot's own guard and secret scan check it:
memory files only, no symlink, no oversized file, no secret in a file or its name, no two names a
case-insensitive disk would take for one, and, for a host on a trust tier's roster, commits signed by its key.

The authority runs it before it merges a trusted proposal; `memory-sync check <ref>` runs it in any clone of the
mirror repo (a CI job on every PR).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.config.roles import RoleTable
from pipeline.config.settings import Settings
from pipeline.errors import FatalError
from pipeline.mirror.refs import PROPOSAL_PREFIX
from pipeline.mirror.verdicts import blob_verdicts, name_verdicts
from pipeline.rules.tree import FORBIDDEN_MODES, case_collisions, entry_problem, is_repo_file
from pipeline.tools.git import Git
from pipeline.tools.git_formats import EMPTY_TREE, Change
from pipeline.trust.roster import allowed_signers, host_keys, roster_role, signers_file


@dataclass(frozen=True)
class Problem:
    where: str  # a path (its secret part cut off) or a commit
    what: str
    check: str = "content"  # or "signature"

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


def proposal_host(branch: str) -> str | None:
    """The host a branch `proposal/<host>/<name>` names (also as refs/heads/..., origin/..., refs/remotes/origin/...)."""
    for prefix in ("refs/heads/", "refs/remotes/origin/", "origin/"):
        if branch.startswith(prefix):
            branch = branch[len(prefix):]
            break
    parts = branch.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == PROPOSAL_PREFIX and parts[1] and parts[2] else None


def change_problems(git: Git, settings: Settings, changes: list[Change], memory_only: bool) -> list[Problem]:
    """What is wrong with `changes` (a diff against main). `memory_only`: a change to a file of the repository
    itself (a README, .github/) is a problem too, as the authority merges memory and nothing else."""
    from pipeline.rules import secrets  # slow to import: only when there is something to check

    # judged as the commit step judges this machine's own files, with nothing kept from an earlier check
    judged, _ = blob_verdicts(git, settings.max_file_bytes, {},
                              [c.new_sha for c in changes if c.new_sha and c.new_mode not in FORBIDDEN_MODES])
    named, _ = name_verdicts({}, [c.path.decode("utf-8", "replace") for c in changes])
    problems = []
    for change in changes:
        name_rules = named[change.path.decode("utf-8", "replace")]
        where = change.path.decode("utf-8", "backslashreplace")
        where = secrets.shown_name(where) if name_rules else where  # the report repeats no secret
        if is_repo_file(change.path) and change.new_mode not in FORBIDDEN_MODES:
            if memory_only:
                problems.append(Problem(where, "a file of the repository, not memory: a person merges it"))
        elif change.new_sha and (why := entry_problem(change.path, change.new_mode)):
            problems.append(Problem(where, why))
        elif not change.new_sha and entry_problem(change.path, change.old_mode) and memory_only:
            problems.append(Problem(where, "removes a file that is not memory"))
        if not change.new_sha:
            continue
        if name_rules:
            problems.append(Problem(where, f"its name looks like it holds a secret ({', '.join(name_rules)})"))
        size, rules = judged.get(change.new_sha, (0, None))
        if size > settings.max_file_bytes:
            problems.append(Problem(where, f"{size} bytes is over MEMORY_MIRROR_MAX_FILE_BYTES "
                                           f"({settings.max_file_bytes})"))
        elif rules:
            problems.append(Problem(where, f"looks like it holds a secret ({', '.join(rules)})"))
    return problems


def collision_problems(git: Git, tip: str, changes: list[Change]) -> list[Problem]:
    paths = [entry.path.decode("utf-8", "surrogateescape") for entry in git.ls_tree(tip, recursive=True)]
    changed = {c.path.decode("utf-8", "surrogateescape") for c in changes if c.new_sha}
    return [Problem(first, f"{second} is the same name on a case-insensitive disk (macOS, Windows)")
            for first, second in case_collisions(paths, changed)]


def signature_problems(git: Git, settings: Settings, table: RoleTable, host: str, commits: list[str]) -> list[Problem]:
    """For a host on a trust tier's roster: each commit not signed by a key the roster lists for that host."""
    role = roster_role(host, table)
    if role is None:
        return []
    keys = host_keys(role, settings, host)
    if not keys:
        where = signers_file(role, settings) or table.source
        return [Problem("", f"no signing key for {host} on the roster of role {role.name}: add "
                            f"`{host} <its SSH public key>` to {where}", "signature")]
    with tempfile.TemporaryDirectory(prefix="memory-mirror-signers-") as scratch:
        signers = Path(scratch) / "allowed_signers"
        signers.write_text(allowed_signers(host, keys))
        return [Problem(commit[:12], f"not signed by {host}'s key on the roster of role {role.name}", "signature")
                for commit in commits if not git.verify_commit(commit, signers)]


def ref_problems(git: Git, settings: Settings, table: RoleTable, branch: str, tip: str, main: str | None,
                 memory_only: bool = False) -> list[Problem]:
    """Everything wrong with what `tip` (the branch `branch`) brings to `main` (None: origin has no main yet), the
    signature problems first. `memory_only`: see change_problems."""
    host = proposal_host(branch)
    problems = [] if host is None else \
        signature_problems(git, settings, table, host, git.rev_list(tip, *([main] if main else [])))
    base = git.merge_base(main, tip) if main else None
    changes = git.diff_tree(base or EMPTY_TREE, tip)
    return problems + change_problems(git, settings, changes, memory_only) + collision_problems(git, tip, changes)


def check_ref(git: Git, settings: Settings, table: RoleTable, ref: str, main_ref: str | None) -> list[Problem]:
    """`memory-sync check <ref>` in a clone of the mirror repo (`git.repo`): the problems of what `ref` brings to
    main (`main_ref`, else origin/main, else main)."""
    repo = git.repo
    if not ref:
        raise FatalError("check needs a ref: memory-sync check <branch|commit> (doit check ref=<branch|commit>).")
    tip = git.rev_parse(ref)
    if tip is None:
        raise FatalError(f"{ref} is not a commit in {repo}: fetch it first "
                         "(git fetch origin '+refs/heads/*:refs/remotes/origin/*'), or give a branch or sha.")
    candidates = [main_ref] if main_ref else ["refs/remotes/origin/main", "refs/heads/main"]
    main = next((sha for sha in map(git.rev_parse, candidates) if sha), None)
    if main_ref and main is None:
        raise FatalError(f"{main_ref} is not a commit in {repo}: give the main to compare with (--main REF; main=<ref> for doit).")
    return ref_problems(git, settings, table, ref, tip, main)
