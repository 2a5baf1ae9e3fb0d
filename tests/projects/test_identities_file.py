"""identities.yaml: schema-checked, and a mapping resolves a basename collision between machines."""
from __future__ import annotations

from conftest import main_files, seeded_authority


def test_a_mapping_keeps_two_same_named_projects_apart(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("publisher", where="org-a")
    laptop.project("publisher", where="org-b")
    (laptop.memory("publisher", where="org-a") / "a.md").parent.mkdir(parents=True, exist_ok=True)
    (laptop.memory("publisher", where="org-a") / "a.md").write_text("org a\n")
    laptop.memory("publisher", where="org-b").mkdir(parents=True, exist_ok=True)
    (laptop.memory("publisher", where="org-b") / "b.md").write_text("org b\n")
    warned = laptop.tick()
    assert "has the same name as" in warned.stdout
    before = main_files(origin)
    assert before["by-project/publisher/memory/a.md"] == "org a\n"
    assert "by-project/publisher/memory/b.md" not in before  # never pooled, even before a mapping exists
    assert [name for name in before if name.endswith("/memory/b.md")] == [
        f"_unmapped/{laptop.memory('publisher', where='org-b').parent.name}/memory/b.md"]
    laptop.agentihooks.mkdir(parents=True, exist_ok=True)
    (laptop.agentihooks / "identities.yaml").write_text(
        "version: 1\nidentities:\n  - path: ~/org-b/publisher\n    key: publisher-b\n")
    listing = laptop.run("identities", check=True).stdout
    assert "by-project/publisher-b" in listing and "identities.yaml" in listing and "COLLISION" not in listing
    laptop.tick()
    files = main_files(origin)
    assert files["by-project/publisher-b/memory/b.md"] == "org b\n"
    assert files["by-project/publisher/memory/a.md"] == "org a\n"
    assert "by-project/publisher/memory/b.md" not in files
    # the copy under _unmapped/ was folded into the new key: main keeps no orphan of it
    assert [name for name in files if name.startswith("_unmapped/")] == []


def test_a_bad_identities_file_stops_the_tick_with_one_line(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.agentihooks.mkdir(parents=True, exist_ok=True)
    (laptop.agentihooks / "identities.yaml").write_text("version: 1\nidentities:\n  - path: relative/dir\n    key: x\n")
    result = laptop.run("sync-now")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {laptop.agentihooks / 'identities.yaml'}:3: identities -> 0 -> path: 'relative/dir' does not match "
        "'^[~/]'. See schemas/identities.schema.json for the allowed shape."
    ]
    assert not laptop.mirror.exists()


def test_a_fixed_claude_dir_name_is_mapped_by_name_and_shares_the_project_s_memory(make_machine, origin):
    seeded_authority(make_machine)  # main holds the project, seeded by the authority
    # CLAUDE_CODE_PROJECT_DIR_NAME gives a pod's project dir a fixed name that decodes to nothing
    pod = make_machine("pod-1", "contributor", CLAUDE_CONFIG_DIR=str(origin.parent / "pod-claude"))
    fixed = origin.parent / "pod-claude" / "projects" / "finops-pod" / "memory"
    fixed.mkdir(parents=True)
    (fixed / "pod.md").write_text("from the pod\n")
    pod.agentihooks.mkdir(parents=True, exist_ok=True)
    (pod.agentihooks / "identities.yaml").write_text("version: 1\nidentities:\n  - dir: finops-pod\n    key: finops\n")
    pod.tick()
    assert sorted(p.name for p in fixed.iterdir()) == ["MEMORY.md", "pod.md"]
    assert main_files(origin, "gitfoam/pod-1/main") == {"by-project/finops/memory/MEMORY.md": "v1\n",
                                                        "by-project/finops/memory/pod.md": "from the pod\n"}
