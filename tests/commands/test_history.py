"""History on main you can read and bring back: log, restore, undo, and the trash."""
from __future__ import annotations

import pytest

from conftest import git, main_files
from pipeline.commands.history import restored_name


@pytest.fixture
def edited(fleet):
    """notes.md written, then edited and old.md deleted on the authority; the contributor merged both ticks."""
    laptop, build, pod = fleet
    laptop.write("finops", "notes.md", "v1\n")
    laptop.write("finops", "old.md", "obsolete\n")
    laptop.tick()
    build.tick()
    laptop.write("finops", "notes.md", "v2\n")
    (laptop.memory("finops") / "old.md").unlink()
    laptop.tick()
    build.tick()
    return laptop, build, pod


def test_log_shows_who_changed_what_on_main(edited):
    _, build, _ = edited
    out = build.run("log", "finops/notes.md", check=True).stdout.splitlines()
    assert [line.split("  ")[1] for line in out if not line.startswith("  ")] == ["laptop", "laptop"]
    assert [line for line in out if line.startswith("  ")] == ["  M finops/notes.md", "  A finops/notes.md"]
    everything = build.run("log", check=True).stdout
    assert "  D finops/old.md" in everything and "  A finops/old.md" in everything


def test_restore_brings_an_old_version_back_and_publishes_it(edited, origin):
    laptop, build, pod = edited
    first = build.run("log", "finops/notes.md", check=True).stdout.splitlines()[-2].split("  ")[2]
    result = laptop.run("restore", "finops/notes.md", "--at", first, check=True)
    assert result.stdout == f"restored finops/notes.md as of {first}; the next tick publishes it.\n"
    laptop.tick()
    pod.tick()
    assert main_files(origin)["by-project/finops/memory/notes.md"] == "v1\n"
    assert pod.files("finops")["notes.md"] == "v1\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["finops/notes.md", "--at", "2000-01-01"],
         "error: --at 2000-01-01: neither a commit nor a date with history on main before it. "
         "`memory-sync log` lists the changes with their commits and times.\n"),
        (["finops/never.md", "--at", "now"],
         "error: finops/never.md did not exist on main at {main}. `memory-sync log finops/never.md` lists its changes.\n"),
    ],
)
def test_restore_names_what_to_fix_and_changes_nothing(edited, origin, args, message):
    _, build, _ = edited
    before = build.files("finops")
    result = build.run("restore", *args)
    main = git("rev-parse", "main", cwd=origin).strip()[:12]
    assert (result.returncode, result.stderr) == (1, message.format(main=main))
    assert build.files("finops") == before


def test_undo_puts_back_what_the_last_merge_wrote_and_trashed(edited):
    laptop, build, _ = edited
    assert build.files("finops") == {"notes.md": "v2\n"}
    out = build.run("undo", check=True).stdout
    assert "2 of 2 files put back" in out
    assert build.files("finops") == {"notes.md": "v1\n", "old.md": "obsolete\n"}
    build.tick()  # an undo is a local edit: the next merge does not take it away again
    assert build.files("finops") == {"notes.md": "v1\n", "old.md": "obsolete\n"}
    assert build.run("undo", check=True).stdout == (
        "nothing to undo: no merge has written into this machine's memory since the last undo\n")


def test_a_file_deleted_by_a_peer_can_be_restored_from_the_trash(edited):
    _, build, _ = edited
    (entry,) = build.run("trash", "list", check=True).stdout.splitlines()
    assert entry.startswith("by-project/finops/") and entry.endswith("/old.md")
    result = build.run("trash", "restore", entry, check=True)
    assert result.stdout == "restored finops/old.md from the trash; the next tick publishes it.\n"
    assert build.files("finops")["old.md"] == "obsolete\n"
    assert build.run("trash", check=True).stdout.startswith("the trash (")


def test_a_file_in_a_subfolder_comes_back_from_the_trash_to_its_subfolder(fleet):
    laptop, build, _ = fleet
    laptop.write("finops", "topics/deep.md", "deep thought\n")
    laptop.write("finops", "deep.md", "shallow thought\n")
    laptop.tick()
    build.tick()
    (laptop.memory("finops") / "topics" / "deep.md").unlink()
    laptop.tick()
    build.tick()
    (entry,) = build.run("trash", "list", check=True).stdout.splitlines()
    assert entry.startswith("by-project/finops/") and entry.endswith("/topics/deep.md")
    result = build.run("trash", "restore", entry, check=True)
    assert result.stdout == "restored finops/topics/deep.md from the trash; the next tick publishes it.\n"
    assert build.files("finops") == {"deep.md": "shallow thought\n", "topics/deep.md": "deep thought\n"}


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("by-project/finops/20250101T000000/old.md", "old.md"),
        ("by-project/finops/20250101T000000/topics/deep.md", "topics/deep.md"),
        ("by-project/finops/20250101T000000/topics/deep.md.1", "topics/deep.md"),
        ("by-project/finops/20250101T000000/2025", "2025"),
    ],
    ids=["a file", "a file in a subfolder", "the second copy trashed in one second", "a name of digits"],
)
def test_a_trash_entry_goes_back_to_its_path_in_the_memory_dir(entry, name):
    assert restored_name(tuple(entry.split("/"))) == name
