"""What the last merge wrote into this machine's memory, kept so `memory-sync undo` can put it back."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from pipeline.mirror.state import State

JOURNAL = "last_merge"


@dataclass(frozen=True)
class Written:
    """One local file a merge changed: its blob before (None: it did not exist), after (None: moved to
    `trash`). Every `before` blob is in the mirror's object store."""

    path: str
    before: str | None
    after: str | None
    trash: str | None = None


def save(state: State, main: str, records: list[Written]) -> None:
    """Only a merge that wrote something replaces the journal: `undo` undoes the last one that did."""
    if records:
        state.write(JOURNAL, {"main": main, "time": int(time.time()), "files": [asdict(r) for r in records]})


def load(state: State) -> tuple[dict, list[Written]]:
    journal = state.read(JOURNAL) or {}
    return journal, [Written(**record) for record in journal.get("files", [])]
