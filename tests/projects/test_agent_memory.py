"""Subagent memory (~/.claude/agent-memory/<agent>/) travels under by-agent/<agent>/memory/, by the same rules as a
project's memory."""
from __future__ import annotations

from conftest import authority_and, every_path_on, main_files


def agent_memory(machine, agent: str):
    path = machine.home / ".claude" / "agent-memory" / agent
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_a_subagent_s_memory_reaches_the_machines_that_have_that_subagent(make_machine, origin):
    laptop, build = authority_and(make_machine, "build-01", "contributor")
    mine = agent_memory(laptop, "code-reviewer")
    (mine / "MEMORY.md").write_text("- [style](style.md)\n")
    (mine / "style.md").write_text("prefer small functions\n")
    (mine / ".consolidate-lock").write_text("4242")
    laptop.tick()
    assert {k: v for k, v in main_files(origin).items() if k.startswith("by-agent/")} == {
        "by-agent/code-reviewer/memory/MEMORY.md": "- [style](style.md)\n",
        "by-agent/code-reviewer/memory/style.md": "prefer small functions\n",
    }
    theirs = agent_memory(build, "code-reviewer")
    build.tick()
    assert sorted(p.name for p in theirs.iterdir()) == ["MEMORY.md", "style.md"]
    (theirs / "style.md").write_text("prefer small functions\nand short names\n")
    build.tick()
    assert main_files(origin, "gitfoam/build-01/main")["by-agent/code-reviewer/memory/style.md"] == \
        "prefer small functions\nand short names\n"
    assert ".consolidate-lock" not in "".join(every_path_on(origin))


def test_subagent_memory_syncs_on_a_machine_with_no_claude_projects_yet(make_machine, origin):
    laptop, _ = authority_and(make_machine, "build-01", "contributor")
    pod = make_machine("pod-1", "consumer", CLAUDE_CONFIG_DIR=str(origin.parent / "pod-claude"))
    memory = origin.parent / "pod-claude" / "agent-memory" / "triage"
    memory.mkdir(parents=True)
    (agent_memory(laptop, "triage") / "MEMORY.md").write_text("triage notes\n")
    laptop.tick()
    pod.tick()
    assert (memory / "MEMORY.md").read_text() == "triage notes\n"
