"""resolve: map every ~/.claude/projects/<encoded>/ to its identity key and record the map."""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.mirror.context import Context
from pipeline.mirror.keys import load_identities, memory_dir
from pipeline.projects.claude_settings import auto_memory, read_user_settings
from pipeline.projects.identity import Identity, agent_identities, relocated_identity, resolve_all


def outside_projects(ctx: Context) -> tuple[list[Identity], list[str]]:
    """Memory dirs outside Claude's projects dir (each subagent's, a relocated one that is mapped), and what to
    tell the user about auto-memory being off or relocated."""
    found = agent_identities(ctx.settings.agent_memory)
    file = ctx.settings.claude_dir / "settings.json"
    auto = auto_memory(read_user_settings(file), os.environ, str(file), str(ctx.settings.user_home))
    notes = []
    if auto.off_because:
        notes.append(f"resolve: Claude Code's auto-memory is off here ({auto.off_because}): it writes no new memory "
                     "on this machine; the memory already here and on main still syncs")
    if auto.relocated:
        relocated = relocated_identity(auto.relocated, ctx.mappings) if os.path.isdir(auto.relocated) else None
        if relocated:
            found.append(relocated)
        else:
            notes.append(f"resolve: not syncing {auto.relocated}: Claude Code keeps the memory of every project there "
                         f"(autoMemoryDirectory in {file}). To sync it, give it a key in "
                         f"{ctx.settings.identities_file}:\n  - path: {auto.relocated}\n    key: <a name>")
    return found, notes


def run(ctx: Context) -> None:
    projects = ctx.settings.claude_projects
    agents, notes = outside_projects(ctx)
    if notes != ctx.state.read("notes", []):
        for note in notes:  # said once, when it becomes true: none of it is an error
            ctx.say(note)
        ctx.state.write("notes", notes)
    if not projects.is_dir() and not agents:
        ctx.say(f"resolve: no Claude projects dir at {projects} yet; nothing to sync from this machine")
        ctx.state.write("identities", [])
        return
    known = load_identities(ctx)
    rules = [[m.pattern, m.key, m.by_dir] for m in ctx.mappings]
    same_rules = ctx.state.read("mappings", []) == rules
    # a changed identities.yaml may move any dir to another key: resolve them all again
    cache = {identity.encoded: identity for identity in known} if same_rules else {}
    identities = agents + (resolve_all(projects, cache, stop_at=str(ctx.settings.user_home), mappings=ctx.mappings)
                           if projects.is_dir() else [])
    if not same_rules:
        ctx.state.write("mappings", rules)
    if identities != known:
        ctx.state.write("identities", [identity.to_json() for identity in identities])
    keys = {identity.key for identity in identities}
    ctx.say(f"resolve: {len(identities) - len(agents)} project dirs"
            + (f", {len(agents)} other memory dirs" if agents else "") + f" -> {len(keys)} keys")
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
    memory = memory_dir(ctx, identity)
    return memory if memory.is_symlink() else None


def fresh_identities(ctx: Context) -> list[Identity]:
    """Resolve without the cache (for `memory-sync identities`)."""
    projects = ctx.settings.claude_projects
    found, _ = outside_projects(ctx)
    if projects.is_dir():
        found += resolve_all(projects, {}, stop_at=str(ctx.settings.user_home), mappings=ctx.mappings)
    return found
