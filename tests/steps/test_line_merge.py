"""A file changed on two machines merges line by line against the base; MEMORY.md merges by entry."""
from __future__ import annotations

from conftest import main_files, round_trip, trusted_pair

NOTES = "one\ntwo\nthree\nfour\nfive\n"
INDEX = "# Memory Index\n\n- [Old](old.md) — what we knew\n"


def test_edits_to_different_lines_reach_every_machine_without_a_sibling(make_machine, origin):
    laptop, builder = trusted_pair(make_machine, notes_md=NOTES)
    laptop.write("finops", "notes.md", NOTES.replace("one", "ONE by laptop"))
    builder.write("finops", "notes.md", NOTES.replace("five", "FIVE by build"))
    round_trip(laptop, builder)
    merged = "ONE by laptop\ntwo\nthree\nfour\nFIVE by build\n"
    assert laptop.files("finops") == builder.files("finops") == {"MEMORY.md": "v1\n", "notes.md": merged}
    assert main_files(origin)["by-project/finops/memory/notes.md"] == merged


def test_two_new_memories_are_both_in_every_index(make_machine, origin):
    laptop, builder = trusted_pair(make_machine, MEMORY_md=INDEX, old_md="old\n")
    laptop.write("finops", "a.md", "laptop learned\n")
    laptop.write("finops", "MEMORY.md", INDEX + "- [A](a.md) — from the laptop\n")
    builder.write("finops", "b.md", "build learned\n")
    builder.write("finops", "MEMORY.md", INDEX + "- [B](b.md) — from the build\n")
    round_trip(laptop, builder)
    index = INDEX + "- [B](b.md) — from the build\n- [A](a.md) — from the laptop\n"
    expected = {"MEMORY.md": index, "old.md": "old\n", "a.md": "laptop learned\n", "b.md": "build learned\n"}
    assert laptop.files("finops") == builder.files("finops") == expected
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == index


def test_overlapping_edits_keep_yours_and_give_one_sibling_with_mains(make_machine):
    laptop, builder = trusted_pair(make_machine, notes_md=NOTES)
    laptop.write("finops", "notes.md", NOTES.replace("three", "three, said the laptop"))
    builder.write("finops", "notes.md", NOTES.replace("three", "three, said the build"))
    laptop.tick()
    result = builder.tick()
    builder.tick()
    files = builder.files("finops")
    siblings = sorted(name for name in files if ".conflict-build-07-" in name)
    assert files["notes.md"] == NOTES.replace("three", "three, said the build")
    assert len(siblings) == 1 and siblings[0].startswith("notes.conflict-build-07-")
    assert files[siblings[0]] == NOTES.replace("three", "three, said the laptop")
    assert f"main's version written to {siblings[0]}" in result.stdout


def test_binary_files_changed_on_both_sides_keep_the_whole_file_rule(make_machine):
    laptop, builder = trusted_pair(make_machine)
    for machine in (laptop, builder):
        (machine.memory("finops") / "diagram.bin").write_bytes(b"\0base\n")
    laptop.tick()
    builder.tick()
    (laptop.memory("finops") / "diagram.bin").write_bytes(b"\0laptop\n")
    (builder.memory("finops") / "diagram.bin").write_bytes(b"\0build\n")
    laptop.tick()
    builder.tick()
    memory = builder.memory("finops")
    assert (memory / "diagram.bin").read_bytes() == b"\0build\n"
    assert [p.read_bytes() for p in memory.glob("diagram.conflict-build-07-*.bin")] == [b"\0laptop\n"]


def test_status_names_an_index_entry_without_its_file_and_an_index_too_long_to_load(make_machine):
    laptop, _ = trusted_pair(make_machine)
    laptop.write("finops", "MEMORY.md", "- [Gone](gone.md) — lost\n" + "line\n" * 200)
    out = laptop.run("status", check=True).stdout.splitlines()
    assert "index: finops/MEMORY.md names gone.md, which is missing" in out
    assert ("index: finops/MEMORY.md: 201 lines, 1027 bytes: Claude loads only the first 200 lines / "
            "25000 bytes") in out


def test_a_file_proposed_before_is_merged_from_the_base_once_a_later_proposal_is_in(make_machine, origin):
    laptop, builder = trusted_pair(make_machine, notes_md=NOTES)
    builder.write("finops", "notes.md", NOTES.replace("five", "FIVE by build"))
    builder.tick()
    builder.run("propose", check=True)
    laptop.write("finops", "notes.md", NOTES.replace("three", "THREE by laptop"))
    laptop.tick()
    builder.tick()  # takes the laptop's edit: the builder's notes.md is now main's
    builder.write("finops", "learned.md", "build learned\n")
    builder.run("propose", check=True)
    laptop.write("finops", "notes.md", laptop.files("finops")["notes.md"].replace("THREE", "THREE again"))
    laptop.tick()
    builder.tick()
    merged = "one\ntwo\nTHREE again by laptop\nfour\nFIVE by build\n"
    assert builder.files("finops") == {"MEMORY.md": "v1\n", "notes.md": merged, "learned.md": "build learned\n"}
    assert main_files(origin)["by-project/finops/memory/notes.md"] == merged
