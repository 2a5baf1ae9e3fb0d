"""Which paths may leave the machine: the memory-only rule, as pure functions and as rsync filter rules."""
from __future__ import annotations

import functools
import re
from fnmatch import translate

MEMORY = "memory"
KEY_ROOTS = ("by-project", "by-agent", "_unmapped")
TEMP_MARKER = ".mm-tmp-"  # atomic writes go through ".<name>.mm-tmp-<pid>" beside the target
NAME_MAX = 255  # bytes in one file name on Linux and macOS filesystems
# never synced, even inside memory/: transcripts, context snapshots, todo lists, and a git dir, which would
# turn a memory dir into a repository whose config (hooks, fsmonitor) runs in any shell that enters it
EXCLUDED_FILES = ("*.jsonl", "ctx_refresh_*.json")
EXCLUDED_DIRS = ("todos", ".git")
# Claude Code's own files beside memory: its consolidation lock (a pid; its mtime is this machine's "last
# consolidated") and the temp files of its atomic writes, <name>.tmp.<8 hex> or <name>.tmp.<pid>.<12 hex>
CLAUDE_FILES = (".consolidate-lock", "*.tmp." + "[0-9a-f]" * 8, "*.tmp.[0-9]*." + "[0-9a-f]" * 12)
# subtrees of memory/ that Claude Code itself counts as not memory: team/ (team memory, which Anthropic's server
# syncs), logs/ and sessions/ (this machine's own records) and proposals/ (skill proposals it has not applied)
CLAUDE_DIRS = ("team", "logs", "sessions", "proposals")
# Claude names project dirs with letters, digits and '-' only; anything else in projects/ is not Claude's
PROJECT_DIR_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_EXCLUDED_NAME = re.compile("|".join([translate(p) for p in EXCLUDED_FILES + CLAUDE_FILES]
                                     + [f".*{re.escape(TEMP_MARKER)}.*"]))


def is_excluded_name(name: str, is_dir: bool = False) -> bool:
    """One path component that is never synced; like rsync's filter, a file pattern also excludes a dir so named."""
    return name in ("", ".", "..") or (is_dir and name in EXCLUDED_DIRS) or _matches_excluded(name)


@functools.lru_cache(maxsize=65536)
def _matches_excluded(name: str) -> bool:
    # every tick's stat walk asks this of every file name, and the names are nearly always the same ones
    return _EXCLUDED_NAME.match(name) is not None


def is_excluded_dir(name: str, top: bool) -> bool:
    """A dir never synced; `top`: it is right inside memory/."""
    return is_excluded_name(name, is_dir=True) or (top and name in CLAUDE_DIRS)


def is_memory_relpath(rel: str) -> bool:
    """True when `rel` (a '/'-separated path inside a memory/ dir) may be synced."""
    parts = rel.split("/")
    dirs = parts[:-1]
    return not is_excluded_name(parts[-1]) and not any(is_excluded_dir(part, i == 0) for i, part in enumerate(dirs))


def fit_name(stem: str, suffix: str) -> str:
    """stem + suffix, the stem cut at a character boundary so the name still fits in NAME_MAX bytes: names
    we derive from a long one (temp files, conflict siblings) must be creatable wherever the long one is."""
    room = NAME_MAX - len(suffix.encode("utf-8", "surrogateescape"))
    raw = stem.encode("utf-8", "surrogateescape")
    if len(raw) > room:
        stem = raw[:max(room, 0)].decode("utf-8", "ignore")
    return stem + suffix


def is_key_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def split_mirror_path(path: str | bytes) -> tuple[str, str] | None:
    """'by-project/<key>/memory/<rel>' -> ('by-project/<key>', '<rel>'); None for anything that may not be in a tree."""
    if isinstance(path, bytes):
        try:
            path = path.decode("utf-8")
        except UnicodeDecodeError:
            return None
    parts = path.split("/")
    if len(parts) < 4 or parts[0] not in KEY_ROOTS or not is_key_name(parts[1]) or parts[2] != MEMORY:
        return None
    rel = "/".join(parts[3:])
    return (f"{parts[0]}/{parts[1]}", rel) if is_memory_relpath(rel) else None


def is_mirror_path(path: str | bytes) -> bool:
    return split_mirror_path(path) is not None


def rsync_filter_rules() -> list[str]:
    """rsync filter for what is never copied out of a memory/ dir (transcripts, snapshots, todos, temp files,
    Claude's own files); rsync copies <project dir>/memory/..., so Claude's dirs are anchored two levels down."""
    rules = [f"- *{TEMP_MARKER}*"]
    rules += [f"- {pattern}" for pattern in EXCLUDED_FILES + CLAUDE_FILES]
    rules += [f"- /*/{MEMORY}/{name}/" for name in CLAUDE_DIRS]
    return rules + [f"- {name}/" for name in EXCLUDED_DIRS]
