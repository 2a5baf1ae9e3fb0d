"""What Claude Code's user settings and environment say about auto-memory: on or off, and where it lives."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DISABLE = "CLAUDE_CODE_DISABLE_AUTO_MEMORY"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class AutoMemory:
    off_because: str | None = None  # why Claude writes no auto-memory here; None when it does
    relocated: str | None = None  # autoMemoryDirectory: one memory dir for every project, as is


def auto_memory(user_settings: Mapping, environ: Mapping[str, str], settings_file: str, home: str) -> AutoMemory:
    """Claude Code's own reading: the variable wins either way, then autoMemoryEnabled; `~` is the user's home."""
    flag = (environ.get(DISABLE) or "").strip().lower()
    off = None
    if flag in _TRUE:
        off = f"{DISABLE}={environ[DISABLE]}"
    elif flag not in _FALSE and user_settings.get("autoMemoryEnabled") is False:
        off = f"autoMemoryEnabled is false in {settings_file}"
    where = user_settings.get("autoMemoryDirectory")
    if not isinstance(where, str) or not where.strip():
        where = None
    elif where == "~" or where.startswith("~/"):
        where = home + where[1:]
    return AutoMemory(off, os.path.normpath(where) if where else None)


def read_user_settings(path: Path) -> dict:
    """Claude Code's settings.json; one it cannot read is Claude's to report, so it counts as empty here."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
