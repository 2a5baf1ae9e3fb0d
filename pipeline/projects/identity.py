"""Identity: Claude's encoded project dir name -> real path -> the key it is mirrored under.

The name is decoded by a search of the filesystem (pipeline/projects/decode.py); the walk up from the real path stops at
the best marker, and every worktree of a repository, like the bare repository itself, is named after the repo.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath

from pipeline.config.yamlfile import load, validator
from pipeline.errors import ConfigError
from pipeline.projects.decode import Decoder
from pipeline.projects.repos import canonical_root, is_bare_repo, key_name
from pipeline.rules.memory_only import PROJECT_DIR_NAME, is_key_name

# (marker, priority): lower wins; agent.yml marks a fleet agent, the others a package, .git the repo root
MARKERS = (
    ("agent.yml", 0),
    ("pyproject.toml", 1),
    ("Cargo.toml", 1),
    ("package.json", 1),
    ("go.mod", 1),
    (".git", 2),
)
UNMAPPED = "_unmapped"
MAPPED = "identities.yaml"  # the marker of an identity a user mapping decided
BARE = "HEAD"  # the marker of a bare repository
AGENT = "agent-memory"  # the marker of a subagent's memory
AGENT_PREFIX = "@agent-"  # its name in the mirror's work tree: '@' is never in a name Claude gives a project dir
RELOCATED = "@auto-memory"  # the work tree's name for the dir of Claude's autoMemoryDirectory setting

@dataclass(frozen=True)
class Identity:
    encoded: str
    key: str  # tree path of the key: by-project/<name> or _unmapped/<encoded>
    marker: str | None  # the marker file that decided the key
    real_path: str | None  # the decoded working dir, None when it no longer exists
    root: str | None  # the project root the key is named after
    candidates: tuple[str, ...] = field(default=())  # every real path that encodes to this name
    collides_with: str | None = None  # the other project root that holds this key (see keep_collisions_apart)
    memory: str | None = None  # the memory dir, when it is not <projects>/<encoded>/memory (a subagent's)
    # [dir, mtime_ns] of each dir the walk up from real_path looked at for markers: a marker added or removed in
    # one of them changes its mtime, and the key is worked out again (None: not recorded, work it out again)
    walked: tuple[tuple[str, int], ...] | None = None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1

    def to_json(self) -> dict:
        return {**asdict(self), "candidates": list(self.candidates),
                "walked": None if self.walked is None else [list(stamp) for stamp in self.walked]}

    @classmethod
    def from_json(cls, data: dict) -> "Identity":
        walked = data.get("walked")
        return cls(**{**data, "candidates": tuple(data.get("candidates", ())),
                      "walked": None if walked is None else tuple((d, int(t)) for d, t in walked)})


def find_boundary(path: str, stop_at: str | None = None) -> tuple[str, str] | None:
    """(root dir, marker) naming the project at `path`: the best marker walking up, never past the repo root.

    agent.yml beats a package manifest, which beats .git; between equals the nearest wins. A linked worktree
    is its repository's main worktree (or bare repo); a bare repo is a root of its own.
    `stop_at` (the user's home) bounds the walk when no repo root is found below it.
    """
    return _walk(path, stop_at, [])


def _walk(path: str, stop_at: str | None, visited: list[str]) -> tuple[str, str] | None:
    """find_boundary, listing in `visited` each dir it looked at."""
    best: tuple[int, str, str] | None = None
    current = os.path.abspath(path)
    if is_bare_repo(current):
        return current, BARE
    while True:
        visited.append(current)
        for marker, priority in MARKERS:
            if os.path.lexists(os.path.join(current, marker)) and (best is None or priority < best[0]):
                best = (priority, current, marker)
        parent = os.path.dirname(current)
        # a worktree's or submodule's .git is a file: its root is a repo root all the same
        if os.path.lexists(os.path.join(current, ".git")) or parent == current or current == stop_at:
            break
        current = parent
    if best is None or best[1] == "/":
        return None
    canonical = canonical_root(best[1])
    if canonical != best[1]:
        return canonical, BARE if is_bare_repo(canonical) else ".git"
    return best[1], best[2]


def _has_marker(path: str) -> bool:
    return any(os.path.lexists(os.path.join(path, marker)) for marker, _ in MARKERS) or is_bare_repo(path)


@dataclass(frozen=True)
class Mapping:
    """A user's rule from identities.yaml: project roots matching `pattern` (or, with `by_dir`, the Claude
    project dir named `pattern`) are mirrored under `key`."""

    pattern: str
    key: str
    by_dir: bool = False


def mapped(path: str, mappings: tuple[Mapping, ...]) -> tuple[str, str] | None:
    """(root, key) from the user's mappings for `path`: the deepest of it and its parents that a mapping's
    path or glob matches (the first such mapping in the file wins)."""
    current = os.path.abspath(path)
    while True:
        for mapping in (m for m in mappings if not m.by_dir):
            # a glob matches whole path components: "~/org/*" names each project under ~/org, not their subdirs
            if PurePosixPath(current).match(mapping.pattern):
                return current, mapping.key
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def resolve_one(encoded: str, decoder: Decoder, stop_at: str | None, mappings: tuple[Mapping, ...] = ()) -> Identity:
    candidates = decoder.candidates(encoded)
    # several real paths encode alike (/srv/api/v2 and /srv/api-v2): prefer one that is itself a project root
    real = next((c for c in candidates if _has_marker(c)), candidates[0] if candidates else None)
    by_dir = next((m for m in mappings if m.by_dir and m.pattern == encoded), None)
    if by_dir:
        # the user named this dir: never pooled with, nor flagged against, the roots the walk finds
        return Identity(encoded, f"by-project/{by_dir.key}", MAPPED, real, None, tuple(candidates))
    rule = mapped(real, mappings) if real and mappings else None
    if rule:
        return Identity(encoded, f"by-project/{rule[1]}", MAPPED, real, rule[0], tuple(candidates))
    return _identify(encoded, real, tuple(candidates), stop_at)


def _identify(encoded: str, real: str | None, candidates: tuple[str, ...], stop_at: str | None) -> Identity:
    """The identity the markers above `real` give (no user mapping applies)."""
    visited: list[str] = []
    boundary = _walk(real, stop_at, visited) if real else None
    walked = tuple((path, stamp) for path in visited if (stamp := _mtime(path)) is not None)
    if boundary is None or not is_key_name(key_name(boundary[0])):
        return Identity(encoded, f"{UNMAPPED}/{encoded}", None, real, None, candidates, walked=walked)
    root, marker = boundary
    return Identity(encoded, f"by-project/{key_name(root)}", marker, real, root, candidates, walked=walked)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def still_valid(identity: Identity) -> bool:
    """A cached identity holds while its real path and the marker that named it are still there."""
    if identity.marker == MAPPED and identity.root is None:
        return True  # mapped by its dir name: nothing on disk decides it
    if identity.real_path is None or not os.path.isdir(identity.real_path) or identity.collides_with:
        return False
    if identity.marker == MAPPED:
        return True
    if identity.walked is None or any(_mtime(path) != stamp for path, stamp in identity.walked):
        return False  # a marker may have come or gone on the way up
    return identity.root is None or os.path.lexists(os.path.join(identity.root, identity.marker))


def resolve_all(projects_dir: Path, cache: dict[str, Identity], stop_at: str | None,
                mappings: tuple[Mapping, ...] = ()) -> list[Identity]:
    decoder = Decoder()
    identities = []
    for entry in sorted(os.scandir(projects_dir), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False) or not PROJECT_DIR_NAME.match(entry.name):
            continue
        cached = cache.get(entry.name)
        if cached and still_valid(cached):
            identities.append(cached)
        elif cached and cached.real_path and os.path.isdir(cached.real_path) and not mappings:
            # only the markers moved: the real path stands, and decoding it again would search the disk
            identities.append(_identify(entry.name, cached.real_path, cached.candidates, stop_at))
        else:
            identities.append(resolve_one(entry.name, decoder, stop_at, mappings))
    return keep_collisions_apart(identities)


def agent_identities(agent_memory: Path) -> list[Identity]:
    """Each subagent's memory, <agent_memory>/<agent>/, holding MEMORY.md like a project's memory/ dir."""
    try:
        entries = sorted(os.scandir(agent_memory), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [Identity(f"{AGENT_PREFIX}{entry.name}", f"by-agent/{entry.name}", AGENT, entry.path, None,
                     memory=entry.path)
            for entry in entries if entry.is_dir(follow_symlinks=False) and is_key_name(entry.name)]


def relocated_identity(path: str, mappings: tuple[Mapping, ...]) -> Identity | None:
    """The memory dir autoMemoryDirectory names, under the key a path mapping gives that very dir; None when no
    mapping does: it holds the memory of every project here, so no one project's key can be guessed for it."""
    rule = mapped(path, mappings)
    if rule is None or rule[0] != os.path.abspath(path):
        return None
    return Identity(RELOCATED, f"by-project/{rule[1]}", MAPPED, path, None, memory=path)


def collisions(identities: list[Identity]) -> dict[str, list[str]]:
    """Keys that two *different* project roots share on this machine (the spec's basename collision)."""
    roots: dict[str, set[str]] = {}
    for identity in identities:
        if identity.root:
            roots.setdefault(identity.key, set()).add(identity.root)
    return {key: sorted(paths) for key, paths in roots.items() if len(paths) > 1}


def keep_collisions_apart(identities: list[Identity]) -> list[Identity]:
    """Two different project roots never pool their memory: the first root (by path) keeps the key, the
    others sync under _unmapped/<encoded> until identities.yaml gives them a key of their own."""
    clashes = collisions(identities)
    return [
        replace(identity, key=f"{UNMAPPED}/{identity.encoded}", collides_with=clashes[identity.key][0])
        if identity.key in clashes and identity.root != clashes[identity.key][0] else identity
        for identity in identities
    ]


_MAPPINGS_SCHEMA = validator("identities.schema.json")


def load_mappings(path: Path, home: Path) -> tuple[Mapping, ...]:
    """The user's identities.yaml (none when the file is absent), schema-checked."""
    if not path.exists():
        return ()
    data, located = load(path, _MAPPINGS_SCHEMA, "identities.schema.json", ConfigError)
    mappings = []
    for index, item in enumerate(data["identities"]):
        if ("path" in item) == ("dir" in item):
            which = "not both" if "path" in item else "one of them"
            raise ConfigError(f"{located.where(['identities', index])}: give either path (a project root) or dir "
                              f"(a dir name under Claude's projects/), {which}.")
        if "dir" in item:
            mappings.append(Mapping(item["dir"], item["key"], by_dir=True))
        else:
            mappings.append(Mapping(str(home) + item["path"][1:] if item["path"].startswith("~") else item["path"],
                                    item["key"]))
    return tuple(mappings)
