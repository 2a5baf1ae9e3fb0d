"""What the commit step knows about a blob before it may leave this machine: its size and the secret rules its
content matches. A blob's content never changes, so neither does its verdict: verdicts are kept by blob id in a
state file, and a file is scanned once per version, not on every commit that still carries it."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.mirror.context import Context
    from pipeline.tools.git import Git

STATE = "verdicts"
Verdict = tuple[int, "list[str] | None"]  # a blob's size, and the secret rules it matches (None: too big to scan)


def scanner_version() -> str:
    """Changes with our rules or detect-secrets' (an upgrade): verdicts of another scanner are not reused."""
    spec = importlib.util.find_spec("detect_secrets")
    sources = [Path(__file__).parents[1] / "rules" / "secrets.py"]
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin).with_name("__version__.py"))
    digest = hashlib.blake2b(digest_size=16)
    for source in sources:
        digest.update(source.read_bytes() if source.is_file() else b"")
    return digest.hexdigest()


def judge(ctx: Context, shas: list[str], paths: list[str]) -> tuple[dict[str, Verdict], dict[str, list[str]]]:
    """blob -> its Verdict, and path -> the secret rules the path itself matches (a name is published like
    content). Only what was never judged before is read and scanned; the state, read and written once (one
    fsync per commit, not two), keeps the verdicts of `shas` and `paths` and drops the rest."""
    version = scanner_version()
    known = ctx.state.read(STATE, {})
    if known.get("scanner") != version:
        known = {"scanner": version}
    blobs, blobs_new = blob_verdicts(ctx.git, ctx.settings.max_file_bytes, known.get("blobs", {}), shas)
    names, names_new = name_verdicts(known.get("names", {}), paths)
    if blobs_new or names_new or set(known.get("blobs", {})) != set(blobs) or set(known.get("names", {})) != set(names):
        ctx.state.write(STATE, {"scanner": version, "names": names,
                                "blobs": {sha: list(verdict) for sha, verdict in blobs.items()}})
    return blobs, names


def blob_verdicts(git: Git, limit: int, cached: dict, shas: list[str]) -> tuple[dict[str, Verdict], bool]:
    """blob -> its Verdict (blobs over `limit` bytes are not scanned), judging only what `cached` lacks; and
    whether anything was judged now."""
    wanted = list(dict.fromkeys(shas))
    todo = [sha for sha in wanted if sha not in cached or (cached[sha][1] is None and cached[sha][0] <= limit)]
    # one read gives sizes and contents (a new version is nearly always small enough to be scanned)
    blobs = git.read_blobs(todo)
    sizes = {sha: len(blobs[sha]) for sha in todo}
    scannable = [sha for sha in todo if sizes[sha] <= limit]
    found: dict[str, list[str]] = {}
    if scannable:
        from pipeline.rules import secrets  # detect-secrets is slow to import: only when there is something to scan

        found = {sha: secrets.scan(blobs[sha]) for sha in scannable}
    return {sha: (sizes[sha], found.get(sha)) if sha in sizes else tuple(cached[sha]) for sha in wanted}, bool(todo)


def name_verdicts(cached: dict, paths: list[str]) -> tuple[dict[str, list[str]], bool]:
    """path -> the secret rules the path itself matches, judging only what `cached` lacks; and whether anything was
    judged now."""
    wanted = list(dict.fromkeys(paths))
    todo = [path for path in wanted if path not in cached]
    if todo:
        from pipeline.rules import secrets

        cached = {**cached, **secrets.scan_names(todo)}
    return {path: cached[path] for path in wanted}, bool(todo)
