"""Overlapping edits leave one sibling; `conflicts` shows it, `resolve` settles it on every machine."""
from __future__ import annotations

import pytest

from conftest import main_files, round_trip, trusted_pair

NOTES = "one\ntwo\nthree\nfour\n"
LAPTOPS = NOTES.replace("three", "three, said the laptop")
BUILDS = NOTES.replace("three", "three, said the build")


@pytest.fixture
def conflicted(make_machine):
    laptop, builder = trusted_pair(make_machine, notes_md=NOTES)
    laptop.write("finops", "notes.md", LAPTOPS)
    builder.write("finops", "notes.md", BUILDS)
    laptop.tick()
    builder.tick()
    return laptop, builder


def sibling_of(machine) -> str:
    (name,) = [name for name in machine.files("finops") if ".conflict-" in name]
    return name


def test_conflicts_lists_the_sibling_with_a_diff_against_your_file(conflicted):
    _, builder = conflicted
    sibling = sibling_of(builder)
    out = builder.run("conflicts", check=True).stdout.splitlines()
    assert out[0].startswith(f"finops/{sibling}: main's version of finops/notes.md, from build-07 at ")
    assert "  -three, said the build" in out and "  +three, said the laptop" in out
    assert out[-1].startswith("1 pending; settle one with `memory-sync resolve <file>")


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (["--keep", "main"], LAPTOPS),
        (["--keep", "local"], BUILDS),
        (["--keep", "both"], BUILDS + "three, said the laptop\n"),
    ],
)
def test_resolve_settles_the_conflict_on_every_machine(conflicted, origin, choice, expected):
    laptop, builder = conflicted
    result = builder.run("resolve", "finops/notes.md", *choice, check=True)
    assert result.stdout.startswith("resolved finops/notes.md: ")
    round_trip(laptop, builder)
    round_trip(laptop, builder)
    assert laptop.files("finops") == builder.files("finops") == {"MEMORY.md": "v1\n", "notes.md": expected}
    assert main_files(origin)["by-project/finops/memory/notes.md"] == expected
    assert builder.run("conflicts", check=True).stdout == "no conflicts pending\n"


def test_resolve_merged_keeps_the_file_you_edited(conflicted):
    _, builder = conflicted
    builder.write("finops", "notes.md", "three, said both\n")
    builder.run("resolve", str(builder.memory("finops") / sibling_of(builder)), "--merged", check=True)
    assert builder.files("finops") == {"MEMORY.md": "v1\n", "notes.md": "three, said both\n"}
    assert len(list(builder.trash.rglob("notes.conflict-build-07-*.md"))) == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("finops/MEMORY.md", "error: finops/MEMORY.md: no conflict is pending for it. "
                             "`memory-sync conflicts` lists the pending ones.\n"),
        ("ledger/notes.md", "error: ledger/notes.md: no project on this machine has the key ledger. "
                            "`memory-sync identities` lists the keys; name a file as <key>/<file>.\n"),
        ("finops", "error: finops: name a file of the key, as <key>/<file> (e.g. finops/MEMORY.md).\n"),
    ],
)
def test_resolve_names_what_to_fix_and_changes_nothing(conflicted, spec, message):
    _, builder = conflicted
    before = builder.files("finops")
    result = builder.run("resolve", spec, "--keep", "main")
    assert (result.returncode, result.stderr) == (1, message)
    assert builder.files("finops") == before


def test_status_hook_speaks_only_when_something_waits(conflicted):
    laptop, builder = conflicted
    assert builder.run("status", "--hook", check=True).stdout == (
        "memory mirror: 1 memory conflict(s) to resolve (memory-sync conflicts)\n")
    builder.run("resolve", "finops/notes.md", "--keep", "local", check=True)
    assert builder.run("status", "--hook", check=True).stdout == ""
