"""Which paths inside a memory/ dir are memory: a table of what Claude Code and we write there."""
from __future__ import annotations

import pytest

from pipeline.rules.memory_only import is_memory_relpath


@pytest.mark.parametrize(("rel", "synced"), [
    ("MEMORY.md", True),
    ("feedback_testing.md", True),
    ("notes/deploy.md", True),
    ("notes.conflict-laptop-1700000000.md", True),
    (".consolidate-lock", False),  # Claude's lock: a pid, and its mtime is this machine's last consolidation
    ("MEMORY.md.tmp.4242.0123456789ab", False),  # Claude's atomic write in flight, or left by a failed one
    ("notes/x.md.tmp.1.abcdefabcdef", False),
    ("MEMORY.md.tmp.89abcdef", False),  # the other form of its temp files
    ("MEMORY.md.tmp.notatemp", True),
    (".MEMORY.md.mm-tmp-77", False),  # ours
    ("team/MEMORY.md", False),  # team memory: Anthropic's server syncs it
    ("logs/2026/05/2026-05-01.md", False),
    ("sessions/abc.md", False),
    ("proposals/skill.md", False),
    ("notes/team/x.md", True),  # only Claude's own top-level dirs are its own
    ("team", True),  # a file so named is a file like any other
    ("s.jsonl", False),
    ("todos/a.md", False),
    ("ctx_refresh_1.json", False),
])
def test_only_memory_is_synced(rel, synced):
    assert is_memory_relpath(rel) is synced
