"""Talking to origin: is it reachable, where is its main, and pushing with per-ref outcomes."""
from __future__ import annotations

import time
from dataclasses import dataclass

from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.mirror.refs import MAIN
from pipeline.mirror.state import run_id
from pipeline.tools.run import CalledProcessError


# what git says when the URL itself cannot be used, and when the remote wants credentials git may not ask for
_BAD_URL = ("is not a git command", "valid url syntax", "bad/illegal format", "hostname contains invalid characters",
            "strange hostname", "strange port", "strange pathname", "transport '", "not supported or disabled")
_NEEDS_LOGIN = ("could not read username", "could not read password", "authentication failed")


def _unreachable(ctx: Context, detail: str) -> FatalError:
    # ssh's note that it trusted a new host key comes first on a first contact, but is never the reason
    reasons = (line.strip() for line in detail.splitlines() if line.strip()
               and not line.startswith("Warning: Permanently added"))
    first = next(reasons, "no answer").rstrip(".")
    lowered = first.lower()
    if any(sign in lowered for sign in _BAD_URL):
        fix = (f"It is not a URL git can use: set MEMORY_MIRROR_REMOTE in {ctx.settings.env_file} to "
               "git@github.com:<org>/<name>.git, https://github.com/<org>/<name>.git, ssh://<host>/<path> or a path.")
    elif any(sign in lowered for sign in _NEEDS_LOGIN):
        fix = ("It asks for a login this machine has none for (git never prompts here): run `gh auth setup-git` "
               "or set up a git credential helper for it, or use an SSH URL.")
    else:
        fix = "Check that the repo exists (gh repo create <org>/<name> --private --confirm), your SSH key, and the URL."
    return FatalError(f"cannot reach MEMORY_MIRROR_REMOTE {ctx.settings.masked_remote}: {first}. {fix}")


def _target(ctx: Context) -> str:
    # inside the mirror, "origin" honours the repo's own config (url.<base>.insteadOf and the like)
    return "origin" if ctx.git.exists() else ctx.require_remote()


LEASE_PREFIX = "refs/heads/mirror/"
PROPOSALS = "refs/heads/proposal/*"


def host_ref(ctx: Context) -> str:
    return f"refs/heads/{ctx.settings.host_branch}"


def lease_ref(role_name: str) -> str:
    return f"{LEASE_PREFIX}{role_name}-lease"


def _watched(ctx: Context) -> list[str]:
    """The refs a tick of this role needs to know about, all asked for in one ls-remote."""
    patterns = [MAIN, host_ref(ctx)]
    if ctx.role.exclusive:
        patterns.append(lease_ref(ctx.role.name))
    if ctx.role.pushes_main and any(role.auto_merge for role in ctx.roles.roles.values()):
        patterns.append(PROPOSALS)
    return patterns


# origin's refs as the current run saw them (in memory: nothing learned about origin outlives the run)
_seen: dict[str, dict[str, str]] = {}


def check_remote(ctx: Context) -> dict[str, str]:
    """Reach origin before anything is written; remember where its refs are for the rest of this run."""
    ctx.require_remote()
    try:
        refs = ctx.git.ls_remote(_target(ctx), *_watched(ctx))
    except CalledProcessError as exc:
        ctx.log.error("ls-remote failed: %s", exc)
        raise _unreachable(ctx, exc.stderr_text) from None
    _seen.clear()
    _seen[run_id()] = refs
    reached_origin(ctx)
    return refs


# state file -> the second this process last wrote to it: status counts in seconds, so a tick that reaches
# origin three times within one writes it once
_reached: dict[str, int] = {}


def reached_origin(ctx: Context) -> None:
    """Remember when origin last answered, for status: a daemon that never reaches it must not look healthy."""
    now, path = int(time.time()), str(ctx.state.path("origin"))
    if not ctx.dry_run and _reached.get(path) != now:
        ctx.state.write("origin", {"reached": now})
        _reached[path] = now


def remote_refs(ctx: Context) -> dict[str, str]:
    """origin's refs as this run saw them: read once per tick or fleet command, kept true by our own pushes."""
    return _seen[run_id()] if run_id() in _seen else check_remote(ctx)


def remote_main(ctx: Context) -> str | None:
    return remote_refs(ctx).get(MAIN)


@dataclass(frozen=True)
class PushOutcome:
    refs: dict[str, tuple[str, str]]  # destination ref -> (porcelain flag, summary)

    def ok(self, ref: str) -> bool:
        flag, _ = self.refs.get(ref, ("!", "not pushed"))
        return flag != "!"

    def summary(self, ref: str) -> str:
        return self.refs.get(ref, ("!", "not pushed"))[1]

    def collided(self, ref: str) -> bool:
        """Refused only because another push moved the ref on origin meanwhile: origin checks the old value it
        advertised (even for a forced push), so of two simultaneous pushes of one ref the later one fails."""
        flag, summary = self.refs.get(ref, ("!", "not pushed"))
        return flag == "!" and ("failed to update ref" in summary or "lock" in summary)


def push_refs(ctx: Context, refspecs: list[str], lease: str | None = None, force: bool = False) -> PushOutcome:
    result = ctx.git.push(*refspecs, lease=lease, force=force)
    if ctx.dry_run:
        return PushOutcome({spec.split(":", 1)[1]: ("*", "dry run") for spec in refspecs})
    refs = {}
    for line in result.out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and ":" in parts[1]:
            refs[parts[1].split(":", 1)[1]] = (parts[0], parts[2])
    if result.code != 0 and not refs:
        ctx.log.error("push failed: %s", result.stderr.decode("utf-8", "replace"))
        raise _unreachable(ctx, result.stderr.decode("utf-8", "replace"))
    outcome = PushOutcome(refs)
    reached_origin(ctx)
    known = _seen.get(run_id())
    if known is not None:  # keep this run's view of origin true (another process keeps its own)
        for spec in refspecs:
            source, ref = spec.lstrip("+").split(":", 1)
            if outcome.ok(ref) and source:
                known[ref] = source
            elif outcome.ok(ref):
                known.pop(ref, None)
    return outcome
