"""File events for the daemons: inotify through watchdog, polling when inotify is not available."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver


class Changes(FileSystemEventHandler):
    """Collects the paths of events that `wanted` accepts; `wait` blocks until there is one."""

    def __init__(self, wanted: Callable[[str], bool]):
        self.wanted = wanted
        self._paths: set[str] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [p for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        hits = [str(p) for p in paths if self.wanted(str(p))]
        if hits:
            with self._lock:
                self._paths.update(hits)
            self._event.set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    def take(self) -> set[str]:
        with self._lock:
            paths, self._paths = self._paths, set()
            self._event.clear()
        return paths


def watch(root: Path, changes: Changes, recursive: bool = True):
    """Start watching `root`; returns the running observer (inotify, or polling once a second as fallback)."""
    for make in (Observer, lambda: PollingObserver(timeout=1)):
        observer = make()
        try:
            observer.schedule(changes, str(root), recursive=recursive)
            observer.start()
            return observer
        except OSError:  # inotify watch or instance limits reached
            continue
    raise OSError(f"cannot watch {root}")
