"""resolve: map every ~/.claude/projects/<encoded>/ to its identity key and record the map."""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.context import Context
from pipeline.identity import Identity, resolve_all
from pipeline.mirror import load_identities
from pipeline.paths import MEMORY


def run(ctx: Context) -> None:
    projects = ctx.settings.claude_projects
    if not projects.is_dir():
        ctx.say(f"resolve: no Claude projects dir at {projects} yet; nothing to sync from this machine")
        ctx.state.write("identities", [])
        return
    known = load_identities(ctx)
    rules = [[m.pattern, m.key, m.by_dir] for m in ctx.mappings]
    same_rules = ctx.state.read("mappings", []) == rules
    # a changed identities.yaml may move any dir to another key: resolve them all again
    cache = {identity.encoded: identity for identity in known} if same_rules else {}
    identities = resolve_all(projects, cache, stop_at=str(ctx.settings.user_home), mappings=ctx.mappings)
    if not same_rules:
        ctx.state.write("mappings", rules)
    if identities != known:
        ctx.state.write("identities", [identity.to_json() for identity in identities])
    keys = {identity.key for identity in identities}
    ctx.say(f"resolve: {len(identities)} project dirs -> {len(keys)} keys")
    for identity in identities:
        if identity.collides_with:
            ctx.say(f"resolve: warning: {identity.root} has the same name as {identity.collides_with}; its memory "
                    f"syncs under {identity.key} until you give it a key in {ctx.settings.identities_file} "
                    "(`memory-sync identities` shows all)")
    for identity in identities:
        link = symlinked_memory(ctx, identity)
        if link:
            ctx.say(f"resolve: not syncing {link}: it is a symlink (to {os.readlink(link)}), and memory is only read "
                    "from and written to real directories. Replace the link with a directory holding the files "
                    "to sync them.")
    for identity in identities:
        if identity.ambiguous:
            ctx.log.warning("%s decodes to %s; using %s", identity.encoded, ", ".join(identity.candidates),
                            identity.real_path)


def symlinked_memory(ctx: Context, identity: Identity) -> Path | None:
    """The memory dir of `identity` when it is a symlink: it could point anywhere, so it is never followed."""
    memory = ctx.settings.claude_projects / identity.encoded / MEMORY
    return memory if memory.is_symlink() else None


def fresh_identities(ctx: Context) -> list[Identity]:
    """Resolve without the cache (for `memory-sync identities`)."""
    projects = ctx.settings.claude_projects
    if not projects.is_dir():
        return []
    return resolve_all(projects, {}, stop_at=str(ctx.settings.user_home), mappings=ctx.mappings)
