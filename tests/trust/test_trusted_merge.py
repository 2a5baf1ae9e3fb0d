"""The authority merges trusted proposals as the merge step merges: MEMORY.md by entry, text by line; only a
proposal whose every file merges cleanly joins main, any other waits for a person."""
from __future__ import annotations

import pytest

from conftest import main_files, proposal_refs, seeded_authority
from pipeline.tools.git_formats import Stage, parse_merge_tree
from pipeline.trust.merge import Settled, settle

INDEX = "# Memory Index\n\n- [Old](old.md) — what we knew\n"
NOTES = "".join(f"line {i}\n--\n" for i in range(5))
A, B = "- [A](a.md) — alpha\n", "- [B](b.md) — beta\n"
MEMORY = b"by-project/finops/memory/MEMORY.md"
NOTES_PATH = b"by-project/finops/memory/notes.md"


def stages(path: bytes, base: str | bytes | None, main: str | bytes | None, proposal: str | bytes | None,
           proposal_mode: str = "100644") -> tuple[dict[int, Stage], dict[str, bytes]]:
    """The stages git gives a path it could not merge (a version None: absent on that side), and their blobs."""
    found, blobs = {}, {}
    for number, (version, mode) in enumerate(((base, "100644"), (main, "100644"), (proposal, proposal_mode)), 1):
        if version is not None:
            sha = f"{number:040d}"
            found[number] = Stage(mode, sha, number, path)
            blobs[sha] = version if isinstance(version, bytes) else version.encode()
    return found, blobs


@pytest.mark.parametrize(
    ("path", "base", "main", "proposal", "mode", "expected"),
    [
        pytest.param(MEMORY, INDEX, INDEX + A, INDEX + B, "100644", Settled((INDEX + B + A).encode()),
                     id="an entry added on each side: both, the proposal's where it stood"),
        pytest.param(MEMORY, None, INDEX + A, INDEX + B, "100644", Settled((INDEX + B + A).encode()),
                     id="an index new on both sides: the union"),
        pytest.param(MEMORY, INDEX + A, INDEX + A.replace("alpha", "first"), INDEX + A.replace("alpha", "second"),
                     "100644", Settled(None, "the entry for a.md was edited on both sides"),
                     id="one entry edited differently on both sides"),
        pytest.param(MEMORY, "v1\n", "a person's text\n", "build's text\n", "100644",
                     Settled(None, "lines that are not entries were edited at one place on both sides"),
                     id="prose of the index replaced on both sides"),
        pytest.param(NOTES_PATH, "one\n", "one, said main\n", "one, said the build\n", "100644",
                     Settled(None, "edits on both sides overlap"),
                     id="text: git already merged its lines, so a conflict is an overlap"),
        pytest.param(b"by-project/finops/memory/sub/MEMORY.md", INDEX, INDEX + A, INDEX + B, "100644",
                     Settled(None, "edits on both sides overlap"),
                     id="a MEMORY.md in a subfolder is no index: text"),
        pytest.param(b"by-project/finops/memory/pic.bin", b"\0base", b"\0main", b"\0build", "100644",
                     Settled(None, "binary content changed on both sides"), id="binary"),
        pytest.param(MEMORY, INDEX, None, INDEX + B, "100644",
                     Settled(None, "deleted on one side and changed on the other"), id="deleted on main"),
        pytest.param(MEMORY, INDEX, INDEX + A, None, "100644",
                     Settled(None, "deleted on one side and changed on the other"), id="deleted in the proposal"),
        pytest.param(MEMORY, INDEX, INDEX + A, INDEX + B, "100755", Settled(None, "its file mode changed"),
                     id="the proposal made the index executable"),
        pytest.param(b"README.md", "x\n", "y\n", "z\n", "100644", Settled(None, "not a memory file"),
                     id="outside a memory dir"),
    ],
)
def test_a_path_git_could_not_merge(path, base, main, proposal, mode, expected):
    found, blobs = stages(path, base, main, proposal, mode)
    assert settle(path, found, blobs) == expected


def test_merge_tree_output_is_read_as_a_tree_and_the_stages_of_each_conflict():
    data = b"\0".join([b"t" * 40, b"100644 " + b"1" * 40 + b" 1\t" + MEMORY,
                       b"100644 " + b"2" * 40 + b" 2\t" + MEMORY, b""])
    merged = parse_merge_tree(data, clean=False)
    assert (merged.tree, merged.clean) == ("t" * 40, False)
    assert merged.conflicts == (Stage("100644", "1" * 40, 1, MEMORY), Stage("100644", "2" * 40, 2, MEMORY))


def two_builders(make_machine, **files: str):
    """A seeded authority with `files` of finops (`notes_md` is notes.md), and the trusted build-1 and build-2
    holding them too."""
    laptop = seeded_authority(make_machine, INDEX)
    for rel, text in files.items():
        laptop.write("finops", rel.replace("_", "."), text)
    laptop.tick()
    builders = [make_machine(host, "trusted") for host in ("build-1", "build-2")]
    for builder in builders:
        builder.project("finops")
        builder.tick()
    return laptop, builders


def propose_all(builders) -> None:
    for builder in builders:
        builder.tick()
        builder.run("propose", check=True)


def siblings(machine) -> list[str]:
    return [name for name in machine.files("finops") if ".conflict-" in name]


def test_two_new_memories_proposed_at_once_are_both_merged_without_a_sibling(make_machine, origin):
    laptop, builders = two_builders(make_machine)
    entries = []
    for builder in builders:
        topic = f"{builder.hostname}.md"
        builder.write("finops", topic, f"what {builder.hostname} learned\n")
        entries.append(f"- [{builder.hostname}]({topic}) — from {builder.hostname}\n")
        builder.write("finops", "MEMORY.md", INDEX + entries[-1])
    propose_all(builders)
    result = laptop.tick()
    assert "merged proposal/build-1/" in result.stdout and "merged proposal/build-2/" in result.stdout
    on_main = main_files(origin)
    # the index of the proposal merged second has its entry where it stood, before the one merged first
    index = INDEX + entries[1] + entries[0]
    assert on_main["by-project/finops/memory/MEMORY.md"] == index
    assert {"by-project/finops/memory/build-1.md", "by-project/finops/memory/build-2.md"} <= set(on_main)
    for builder in builders:
        builder.tick()
    assert laptop.files("finops") == builders[0].files("finops") == builders[1].files("finops")
    assert laptop.files("finops")["MEMORY.md"] == index
    assert not any(siblings(machine) for machine in (laptop, *builders))
    assert not any(".conflict-" in path for path in main_files(origin))


def test_edits_to_different_lines_of_one_file_are_both_merged(make_machine, origin):
    laptop, builders = two_builders(make_machine, notes_md=NOTES)
    builders[0].write("finops", "notes.md", NOTES.replace("line 1\n", "line 1 by build-1\n"))
    builders[1].write("finops", "notes.md", NOTES.replace("line 3\n", "line 3 by build-2\n"))
    propose_all(builders)
    result = laptop.tick()
    assert "merged proposal/build-1/" in result.stdout and "merged proposal/build-2/" in result.stdout
    merged = NOTES.replace("line 1\n", "line 1 by build-1\n").replace("line 3\n", "line 3 by build-2\n")
    assert main_files(origin)["by-project/finops/memory/notes.md"] == merged
    for builder in builders:
        builder.tick()
    assert [machine.files("finops")["notes.md"] for machine in (laptop, *builders)] == [merged] * 3
    assert not any(siblings(machine) for machine in (laptop, *builders))


def test_overlapping_edits_leave_the_second_proposal_for_a_person_and_say_why(make_machine, origin):
    laptop, builders = two_builders(make_machine, notes_md=NOTES)
    for builder in builders:
        builder.write("finops", "notes.md", NOTES.replace("line 2\n", f"line 2 by {builder.hostname}\n"))
    propose_all(builders)
    result = laptop.tick()
    second = next(ref for ref in proposal_refs(origin) if "/build-2/" in ref)
    assert "merged proposal/build-1/" in result.stdout
    assert (f"fetch: by-project/finops/memory/notes.md does not merge with proposal "
            f"{proposal_refs(origin)[second][:12]}: edits on both sides overlap") in result.stdout
    assert f"left {second.removeprefix('refs/heads/')} for a person: it does not merge cleanly" in result.stdout
    assert main_files(origin)["by-project/finops/memory/notes.md"] == NOTES.replace("line 2\n",
                                                                                    "line 2 by build-1\n")
