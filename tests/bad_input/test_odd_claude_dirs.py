"""Odd things under ~/.claude/projects: names that decode to nothing, a project dir deleted after Claude made its
dir, names at the filesystem's 255-byte limit, a memory dir symlinked elsewhere, a file name that is not UTF-8,
a file too large to publish, a name that is a file on one machine and a directory on another.
No crash, nothing lost, and `identities` or the tick's output says what happened."""
from __future__ import annotations

import os
import shutil

from conftest import encode, every_path_on, main_files, seeded_authority
from test_bad_input import snapshot_of


def identities_row(machine, encoded: str) -> str:
    out = machine.run("identities", check=True).stdout
    return next(line for line in out.splitlines() if line.startswith(encoded + " "))


def test_names_that_decode_to_nothing_or_run_to_255_bytes_still_sync(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    unresolvable = ["-", "---", "-nonexistent-path-zzz", "-" + "z" * 254]
    for name in unresolvable:
        (laptop.projects / name / "memory").mkdir(parents=True)
        (laptop.projects / name / "memory" / "notes.md").write_text(f"from {name}\n")
    # a real project whose encoded path is 255 bytes: the longest dir name older Claude versions made, which
    # today's cut to 200 characters and a hash
    deep = laptop.home / "deep"
    while len(str(deep)) < 255:
        room = 255 - len(str(deep)) - 1  # a byte goes to the '/'
        deep = deep / ("d" * (room if room <= 60 else 50))
    cut_name = encode(deep)
    assert len(cut_name) > 201 and cut_name[200] == "-"  # 200 characters, '-', then the hash in base36
    deep.mkdir(parents=True)
    (deep / "pyproject.toml").touch()
    (laptop.projects / encode(deep) / "memory").mkdir(parents=True)
    (laptop.projects / encode(deep) / "memory" / "deep.md").write_text("deep\n")

    laptop.tick()
    published = main_files(origin)
    for name in unresolvable:
        assert published[f"_unmapped/{name}/memory/notes.md"] == f"from {name}\n"
        assert f"_unmapped/{name}" in identities_row(laptop, name)
    assert published[f"by-project/{deep.name}/memory/deep.md"] == "deep\n"
    assert "(not found)" in identities_row(laptop, "-nonexistent-path-zzz")
    assert f"by-project/{deep.name}" in identities_row(laptop, encode(deep))


def test_a_deleted_project_dir_keeps_its_memory_syncing_under_unmapped(make_machine, origin):
    laptop = seeded_authority(make_machine)
    shutil.rmtree(laptop.home / "dev" / "finops")  # the checkout is gone; Claude's dir and its memory stay
    laptop.write("finops", "after.md", "written after the checkout was deleted\n")

    laptop.tick()
    encoded = encode(laptop.home / "dev" / "finops")
    assert laptop.files("finops") == {"MEMORY.md": "v1\n", "after.md": "written after the checkout was deleted\n"}
    assert main_files(origin) == {
        "by-project/finops/memory/MEMORY.md": "v1\n",  # what other machines merged under the old key stays
        f"_unmapped/{encoded}/memory/MEMORY.md": "v1\n",
        f"_unmapped/{encoded}/memory/after.md": "written after the checkout was deleted\n",
    }
    row = identities_row(laptop, encoded)
    assert f"_unmapped/{encoded}" in row and "(not found)" in row
    assert not laptop.trash.exists()


def test_a_memory_dir_symlinked_elsewhere_is_neither_read_nor_written(make_machine, origin, tmp_path):
    seeded_authority(make_machine)
    main_before = main_files(origin)
    build = make_machine("build-01", "contributor")
    memory = build.project("finops")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.md").write_text("not for the mirror\n")
    memory.symlink_to(elsewhere)

    said = build.tick().stdout
    assert f"resolve: not syncing {memory}: it is a symlink (to {elsewhere})" in said
    assert "Replace the link with a directory" in said
    assert snapshot_of(elsewhere) == {str(elsewhere / "private.md"): b"not for the mirror\n"}  # main not written
    assert not [path for path in every_path_on(origin) if "private.md" in path]
    assert main_files(origin) == main_before
    assert "NOT SYNCED: memory is a symlink to " + str(elsewhere) in identities_row(build, memory.parent.name)

    # replaced by a real dir, it syncs like any other
    memory.unlink()
    shutil.copytree(elsewhere, memory)
    build.tick()
    assert build.files("finops") == {"MEMORY.md": "v1\n", "private.md": "not for the mirror\n"}


def test_a_local_file_name_that_is_not_utf8_is_held_back_and_the_rest_syncs(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    memory = laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    odd = os.fsencode(memory) + b"/caf\xe9.md"  # latin-1, as an old editor might save it
    with open(odd, "wb") as handle:
        handle.write(b"latin-1 name\n")
    laptop.write("finops", "MEMORY.md", "v2\n")

    out = laptop.tick().stdout
    assert "held back by-project/finops/memory/caf\\xe9.md: its name is not valid UTF-8; rename it" in out
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v2\n"}
    assert os.path.exists(odd)  # held back, never taken for a deletion
    blocked = (laptop.agentihooks / "logs" / "blocked.log").read_text()
    assert blocked.count("caf\\xe9.md") == 1
    laptop.tick()
    assert (laptop.agentihooks / "logs" / "blocked.log").read_text() == blocked  # logged once per version

    os.rename(odd, memory / "cafe.md")
    laptop.tick()
    assert main_files(origin)["by-project/finops/memory/cafe.md"] == "latin-1 name\n"



def test_a_local_file_over_the_size_limit_is_held_back_and_kept(make_machine, origin):
    laptop = make_machine("laptop", "authority", MEMORY_MIRROR_MAX_FILE_BYTES="1000")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "dump.md", "x" * 5000)
    out = laptop.tick().stdout
    assert "held back by-project/finops/memory/dump.md: 5000 bytes is over MEMORY_MIRROR_MAX_FILE_BYTES" in out
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v1\n"}
    laptop.tick()
    assert laptop.files("finops") == {"MEMORY.md": "v1\n", "dump.md": "x" * 5000}  # never taken for a deletion


def test_a_name_that_is_a_file_on_main_and_a_directory_here_is_named_and_syncing_goes_on(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "notes.md", "main's notes file\n")
    laptop.write("finops", "topics/a.md", "a\n")
    laptop.tick()
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    pod.write("finops", "notes.md/kept.md", "the pod's dir of that name\n")
    pod.write("finops", "topics", "the pod's file of that name\n")

    out = pod.tick().stdout
    assert "skipped by-project/finops/memory/notes.md from main: the directory" in out
    assert "skipped by-project/finops/memory/topics/a.md from main: the file" in out
    laptop.write("finops", "later.md", "later\n")
    laptop.tick()
    pod.tick()
    assert pod.files("finops") == {"notes.md/kept.md": "the pod's dir of that name\n",
                                   "topics": "the pod's file of that name\n", "later.md": "later\n"}
