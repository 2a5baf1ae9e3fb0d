"""What the commit step knows about a blob before it may leave this machine: its size and the secret rules its
content matches. A blob's content never changes, so neither does its verdict: verdicts are kept by blob id in a
state file, and a file is scanned once per version, not on every commit that still carries it."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.context import Context

STATE = "verdicts"


def scanner_version() -> str:
    """Changes with our rules or detect-secrets' (an upgrade): verdicts of another scanner are not reused."""
    spec = importlib.util.find_spec("detect_secrets")
    sources = [Path(__file__).with_name("secrets.py")]
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin).with_name("__version__.py"))
    digest = hashlib.blake2b(digest_size=16)
    for source in sources:
        digest.update(source.read_bytes() if source.is_file() else b"")
    return digest.hexdigest()


def _known(ctx: Context, version: str) -> dict:
    known = ctx.state.read(STATE, {})
    return known if known.get("scanner") == version else {"scanner": version}


def verdicts(ctx: Context, shas: list[str]) -> dict[str, tuple[int, list[str] | None]]:
    """blob -> (its size, the names of the secret rules it matches; None for a blob too big to be scanned).
    Only blobs never judged before are read; the state keeps the verdicts of `shas` and drops the rest."""
    limit = ctx.settings.max_file_bytes
    version = scanner_version()
    known = _known(ctx, version)
    cached = known.get("blobs", {})
    wanted = list(dict.fromkeys(shas))
    todo = [sha for sha in wanted if sha not in cached or (cached[sha][1] is None and cached[sha][0] <= limit)]
    # one read gives sizes and contents (a new version is nearly always small enough to be scanned)
    blobs = ctx.git.read_blobs(todo)
    sizes = {sha: len(blobs[sha]) for sha in todo}
    scannable = [sha for sha in todo if sizes[sha] <= limit]
    found: dict[str, list[str]] = {}
    if scannable:
        from pipeline import secrets  # detect-secrets is slow to import: only when there is something to scan

        found = {sha: secrets.scan(blobs[sha]) for sha in scannable}
    result = {sha: (sizes[sha], found.get(sha)) if sha in sizes else tuple(cached[sha]) for sha in wanted}
    if todo or set(cached) != set(wanted):
        ctx.state.write(STATE, {**known, "blobs": {sha: list(v) for sha, v in result.items()}})
    return result


def name_verdicts(ctx: Context, paths: list[str]) -> dict[str, list[str]]:
    """path -> the secret rules the path itself matches (a name is published like content), judged once each."""
    version = scanner_version()
    known = _known(ctx, version)
    cached = known.get("names", {})
    wanted = list(dict.fromkeys(paths))
    todo = [path for path in wanted if path not in cached]
    if todo:
        from pipeline import secrets

        cached = {**cached, **{path: secrets.scan_name(path) for path in todo}}
    result = {path: cached[path] for path in wanted}
    if todo or set(known.get("names", {})) != set(wanted):
        ctx.state.write(STATE, {**known, "names": result})
    return result
