"""Which paths may leave the machine: the memory-only rule, as pure functions and as rsync filter rules."""
from __future__ import annotations

from fnmatch import fnmatchcase

MEMORY = "memory"
KEY_ROOTS = ("by-project", "_unmapped")
TEMP_MARKER = ".mm-tmp-"  # atomic writes go through ".<name>.mm-tmp-<pid>" beside the target
# never synced, even inside memory/: transcripts, context snapshots, todo lists
EXCLUDED_FILES = ("*.jsonl", "ctx_refresh_*.json")
EXCLUDED_DIRS = ("todos",)


def is_memory_relpath(rel: str) -> bool:
    """True when `rel` (a '/'-separated path inside a memory/ dir) may be synced."""
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    if any(part in EXCLUDED_DIRS for part in parts[:-1]):
        return False
    # like rsync's filter, a pattern excludes a directory of that name with everything in it
    return not any(
        TEMP_MARKER in part or any(fnmatchcase(part, pattern) for pattern in EXCLUDED_FILES) for part in parts
    )


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


def rsync_filter_rules(skipped_dirs: list[str]) -> list[str]:
    """rsync filter for ~/.claude/projects/ -> the mirror work tree: <encoded>/memory/** only, nothing excluded above.

    `skipped_dirs` are encoded dirs left out (the extra dirs of a fan-out key, merged into one before the copy).
    """
    rules = [f"- *{TEMP_MARKER}*"]
    rules += [f"- {pattern}" for pattern in EXCLUDED_FILES]
    rules += [f"- {name}/" for name in EXCLUDED_DIRS]
    rules += [f"- /{name}/" for name in skipped_dirs]
    rules += ["+ /*/", f"+ /*/{MEMORY}/", f"+ /*/{MEMORY}/**", "- *"]
    return rules
