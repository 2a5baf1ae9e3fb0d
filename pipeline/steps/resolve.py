"""resolve: map every ~/.claude/projects/<encoded>/ to its identity key and record the map."""
from __future__ import annotations

from pipeline.context import Context
from pipeline.identity import Identity, collisions, resolve_all
from pipeline.mirror import load_identities


def run(ctx: Context) -> None:
    projects = ctx.settings.claude_projects
    if not projects.is_dir():
        ctx.say(f"resolve: no Claude projects dir at {projects} yet; nothing to sync from this machine")
        ctx.state.write("identities", [])
        return
    known = load_identities(ctx)
    identities = resolve_all(projects, {identity.encoded: identity for identity in known},
                             stop_at=str(ctx.settings.user_home))
    if identities != known:
        ctx.state.write("identities", [identity.to_json() for identity in identities])
    keys = {identity.key for identity in identities}
    ctx.say(f"resolve: {len(identities)} project dirs -> {len(keys)} keys")
    for key, roots in collisions(identities).items():
        ctx.say(f"resolve: warning: {key} is claimed by different projects ({', '.join(roots)}); "
                "their memory is pooled. `memory-sync identities` shows them.")
    for identity in identities:
        if identity.ambiguous:
            ctx.log.warning("%s decodes to %s; using %s", identity.encoded, ", ".join(identity.candidates),
                            identity.real_path)


def fresh_identities(ctx: Context) -> list[Identity]:
    """Resolve without the cache (for `memory-sync identities`)."""
    projects = ctx.settings.claude_projects
    return resolve_all(projects, {}, stop_at=str(ctx.settings.user_home)) if projects.is_dir() else []
