"""logs/blocked.log: the files held back from publishing, by path and reason, never their content."""
from __future__ import annotations

import time

from pipeline.config.settings import Settings

BLOCKED_LOG = "blocked.log"


def record(settings: Settings, path: str, reason: str) -> None:
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {settings.hostname} held back {path}: {reason}"
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.logs_dir / BLOCKED_LOG, "a", encoding="utf-8") as log:
        log.write(line + "\n")
