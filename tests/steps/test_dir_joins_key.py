"""A project dir new to this machine's mirror joins its key as a new machine would: main's files come first."""
from __future__ import annotations

import shutil

from conftest import main_files, seeded_authority, trashed

NOTES = "by-project/finops/memory/notes.md"


def authority_and_pod(make_machine):
    """A seeded authority that published notes.md, and a consumer that merged it."""
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "notes.md", "what we learned\n")
    laptop.tick()
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    pod.tick()
    return laptop, pod


def test_a_moved_project_with_a_fresh_index_deletes_nothing_anywhere(make_machine, origin):
    laptop, pod = authority_and_pod(make_machine)
    # the project moves: Claude Code starts a new memory dir for the new path with a fresh index
    shutil.rmtree(laptop.memory("finops").parent)
    moved = laptop.project("finops", where="src")
    moved.mkdir()
    (moved / "MEMORY.md").write_text("- [fresh](fresh.md)\n")
    result = laptop.tick()
    assert "joins by-project/finops: 1 files of main written, 1 merged" in result.stdout
    assert main_files(origin)[NOTES] == "what we learned\n"
    assert (moved / "notes.md").read_text() == "what we learned\n"
    assert "v1" in main_files(origin)["by-project/finops/memory/MEMORY.md"]
    pod.tick()
    assert pod.files("finops")["notes.md"] == "what we learned\n"
    assert trashed(pod) == [] and trashed(laptop) == []


def test_a_dir_that_comes_back_with_an_older_version_takes_mains_without_a_conflict(make_machine, origin):
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "notes.md", "first\n")
    laptop.tick()
    old = laptop.root / "old-memory"
    shutil.copytree(laptop.memory("finops"), old)
    laptop.write("finops", "notes.md", "second\n")
    laptop.tick()
    shutil.rmtree(laptop.memory("finops").parent)
    laptop.tick()
    shutil.copytree(old, laptop.memory("finops"))
    laptop.tick()
    assert laptop.files("finops") == {"MEMORY.md": "v1\n", "notes.md": "second\n"}
    assert main_files(origin)[NOTES] == "second\n"


def test_a_consumers_moved_project_gets_its_memory_back(make_machine, origin):
    _laptop, pod = authority_and_pod(make_machine)
    shutil.rmtree(pod.memory("finops").parent)
    moved = pod.project("finops", where="src")  # Claude Code starts a new, empty memory dir for the new path
    pod.tick()
    assert {p.name: p.read_text() for p in moved.iterdir()} == {"MEMORY.md": "v1\n", "notes.md": "what we learned\n"}
