"""Only memory travels: Claude's own files stay home, and so does whatever the user's mirrorignore names."""
from __future__ import annotations

from conftest import authority_and, every_path_on, git, main_files, seeded_authority

CLAUDE_OWN = {
    ".consolidate-lock": "4242",
    "MEMORY.md.tmp.4242.0123456789ab": "half a rewr",
    "notes.md.tmp.89abcdef": "half",
    "team/MEMORY.md": "team memory\n",
    "logs/2026/05/2026-05-01.md": "log\n",
    "sessions/s1.md": "session\n",
    "proposals/skill.md": "proposal\n",
}


def test_claude_s_lock_temp_files_and_own_dirs_never_reach_origin(make_machine, origin):
    laptop = seeded_authority(make_machine)
    for rel, text in CLAUDE_OWN.items():
        laptop.write("finops", rel, text)
    laptop.write("finops", "notes.md", "a real memory\n")
    laptop.tick()
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v1\n",
                                  "by-project/finops/memory/notes.md": "a real memory\n"}
    assert not [path for path in every_path_on(origin) if any(own in path for own in CLAUDE_OWN)]


def test_claude_s_own_files_on_main_are_never_written_here(make_machine, origin, tmp_path):
    laptop, build = authority_and(make_machine, "build-01", "contributor")
    # a main published by an older mirror that synced them
    clone = tmp_path / "clone"
    git("clone", "-q", "-b", "main", str(origin), str(clone))
    for rel, text in CLAUDE_OWN.items():
        path = clone / "by-project" / "finops" / "memory" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (clone / "by-project" / "finops" / "memory" / "MEMORY.md").write_text("v2\n")
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "older mirror", cwd=clone)
    git("push", "-q", "origin", "HEAD:main", cwd=clone)
    build.tick()
    assert build.files("finops") == {"MEMORY.md": "v2\n"}


def test_an_ignored_project_and_ignored_files_never_leave_and_are_never_deleted_here(make_machine, origin):
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "drafts/plan.md", "published before the ignore\n")
    laptop.tick()
    laptop.project("client-x")
    laptop.write("client-x", "MEMORY.md", "client work\n")
    laptop.write("finops", "salary.private.md", "private\n")
    (laptop.agentihooks / "mirrorignore").write_text("# client work stays here\nclient-x/\n*.private.md\n"
                                                      "by-project/finops/drafts/\n")
    laptop.write("finops", "drafts/plan.md", "edited after the ignore\n")
    laptop.tick()
    files = main_files(origin)
    assert files == {"by-project/finops/memory/MEMORY.md": "v1\n",
                     "by-project/finops/memory/drafts/plan.md": "published before the ignore\n"}
    assert not [path for path in every_path_on(origin) if "client-x" in path or "private" in path]
    assert laptop.files("finops")["drafts/plan.md"] == "edited after the ignore\n"
    assert laptop.files("client-x") == {"MEMORY.md": "client work\n"}


def test_main_deleting_an_ignored_file_leaves_the_local_copy(make_machine, origin):
    laptop, build = authority_and(make_machine, "build-01", "contributor")
    build.agentihooks.mkdir(parents=True, exist_ok=True)
    (build.agentihooks / "mirrorignore").write_text("MEMORY.md\n")
    laptop.write("finops", "MEMORY.md", "v2 from laptop\n")
    laptop.tick()
    build.tick()
    assert build.files("finops") == {"MEMORY.md": "v1\n"}  # ignored: main's edit is not written either
    laptop.memory("finops").joinpath("MEMORY.md").unlink()
    laptop.tick()
    build.tick()
    assert build.files("finops") == {"MEMORY.md": "v1\n"}

