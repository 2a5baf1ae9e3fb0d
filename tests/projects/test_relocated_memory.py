"""Claude Code's autoMemoryDirectory (one memory dir for every project) and auto-memory turned off."""
from __future__ import annotations

import json

import pytest

from conftest import main_files, seeded_authority
from pipeline.projects.claude_settings import AutoMemory, auto_memory

FILE = "/h/.claude/settings.json"


@pytest.mark.parametrize(("settings", "environ", "expected"), [
    ({}, {}, AutoMemory()),
    ({"autoMemoryEnabled": False}, {}, AutoMemory(f"autoMemoryEnabled is false in {FILE}")),
    ({}, {"CLAUDE_CODE_DISABLE_AUTO_MEMORY": "1"}, AutoMemory("CLAUDE_CODE_DISABLE_AUTO_MEMORY=1")),
    ({"autoMemoryEnabled": False}, {"CLAUDE_CODE_DISABLE_AUTO_MEMORY": "0"}, AutoMemory()),  # the variable wins
    ({"autoMemoryDirectory": "~/notes/memory/"}, {}, AutoMemory(relocated="/h/notes/memory")),
    ({"autoMemoryDirectory": "/srv/mem"}, {}, AutoMemory(relocated="/srv/mem")),
    ({"autoMemoryDirectory": ""}, {}, AutoMemory()),
])
def test_auto_memory_is_read_as_claude_code_reads_it(settings, environ, expected):
    assert auto_memory(settings, environ, FILE, "/h") == expected


def claude_settings(machine, **values):
    path = machine.home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return path


def test_relocated_memory_is_named_until_mapped_then_syncs_under_the_chosen_key(make_machine, origin):
    laptop = seeded_authority(make_machine)
    relocated = laptop.home / "notes" / "claude-memory"
    relocated.mkdir(parents=True)
    (relocated / "MEMORY.md").write_text("shared notes\n")
    settings = claude_settings(laptop, autoMemoryDirectory="~/notes/claude-memory")
    first = laptop.tick().stdout
    note = (f"resolve: not syncing {relocated}: Claude Code keeps the memory of every project there "
            f"(autoMemoryDirectory in {settings}). To sync it, give it a key in "
            f"{laptop.agentihooks / 'identities.yaml'}:"
            f"\n  - path: {relocated}\n    key: <a name>")
    assert note in first
    assert note not in laptop.tick().stdout  # said once
    assert note.removeprefix("resolve: ") in laptop.run("identities", check=True).stdout
    (laptop.agentihooks / "identities.yaml").write_text(
        "version: 1\nidentities:\n  - path: ~/notes/claude-memory\n    key: notes\n")
    laptop.tick()
    assert main_files(origin)["by-project/notes/memory/MEMORY.md"] == "shared notes\n"


def test_auto_memory_turned_off_is_said_once_and_the_tick_succeeds(make_machine, origin):
    laptop = seeded_authority(make_machine)
    claude_settings(laptop, autoMemoryEnabled=False)
    said = laptop.tick().stdout
    assert (f"resolve: Claude Code's auto-memory is off here (autoMemoryEnabled is false in "
            f"{laptop.home / '.claude' / 'settings.json'}): it writes no new memory on this machine; the memory "
            "already here and on main still syncs") in said
    assert "auto-memory is off" not in laptop.tick().stdout
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v1\n"}
