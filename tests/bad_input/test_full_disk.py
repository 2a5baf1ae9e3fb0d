"""A full disk: the tick stops with one line saying so, every file keeps its old content (no truncated file, no temp
file left beside it), origin loses nothing, and the first tick after space is freed finishes the job.

The real thing needs a small filesystem to fill (a tmpfs, so root or CAP_SYS_ADMIN); where none can be mounted
those tests skip and say why, and the same failure is injected at the one place local memory is written
(MEMORY_MIRROR_DISK_FULL, see pipeline/faults.py), which runs everywhere.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import main_files, origin_refs
from test_bad_input import one_error_line, snapshot_of

from pipeline.rules.memory_only import TEMP_MARKER

FREE_AND_RETRY = "Free some space, then re-run `memory-sync sync-now`; no file was left half-written."


@pytest.fixture
def small_filesystem():
    """mount(dir, size): a tmpfs of `size` on `dir`, unmounted after the test."""
    mounted: list[Path] = []

    def mount(directory: Path, size: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        if shutil.which("mount") is None:
            pytest.skip("no mount command here to make a small filesystem; the injected full-disk test covers this")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); "
                        "the injected full-disk test covers this")
        mounted.append(directory)
        return directory

    yield mount
    for directory in reversed(mounted):
        subprocess.run(["umount", "-l", str(directory)], check=True)


def fill(directory: Path) -> Path:
    """Write a file into `directory` until its filesystem has no byte left; delete it to free the space."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, bytes(65536))
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def no_temp_files(directory: Path) -> bool:
    return not [path for path in directory.rglob("*") if TEMP_MARKER in path.name]


@pytest.fixture
def fleet_of_two(make_machine):
    """An authority that published v1 and a file it deletes later, and a consumer that has not synced yet."""
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "gone.md", "deleted on the laptop later\n")
    laptop.tick()
    return laptop, make_machine("pod-1", "consumer")


def assert_merge_stops_and_resumes(laptop, pod, origin, fill_disk, free_space) -> None:
    pod.project("finops")
    pod.tick()
    before = pod.files("finops")
    assert before == {"MEMORY.md": "v1\n", "gone.md": "deleted on the laptop later\n"}
    fill_disk()
    laptop.write("finops", "MEMORY.md", "v2 " * 4000 + "\n")
    laptop.write("finops", "new.md", "new on the laptop\n")
    (laptop.memory("finops") / "gone.md").unlink()
    laptop.tick()
    published = origin_refs(origin)

    line = one_error_line(pod.run("sync-now"))
    assert line.startswith("error: merge: no space left on device writing ")
    assert str(pod.memory("finops")) in line and FREE_AND_RETRY in line
    assert pod.files("finops") == before
    assert no_temp_files(pod.memory("finops"))
    assert origin_refs(origin) == published

    free_space()
    pod.tick()
    assert pod.files("finops") == {"MEMORY.md": "v2 " * 4000 + "\n", "new.md": "new on the laptop\n"}
    trashed = [path for path in pod.trash.rglob("gone.md*")]
    assert [path.read_text() for path in trashed] == ["deleted on the laptop later\n"]


def test_a_full_disk_under_claude_stops_the_merge_and_the_next_tick_finishes(fleet_of_two, origin, small_filesystem):
    laptop, pod = fleet_of_two
    claude = small_filesystem(pod.home / ".claude", "256k")
    assert_merge_stops_and_resumes(laptop, pod, origin, lambda: fill(claude), (claude / "filler").unlink)


def test_an_injected_full_disk_under_claude_stops_the_merge_and_the_next_tick_finishes(fleet_of_two, origin):
    laptop, pod = fleet_of_two
    assert_merge_stops_and_resumes(laptop, pod, origin,
                                   lambda: pod.extra_env.update(MEMORY_MIRROR_DISK_FULL=str(pod.home / ".claude")),
                                   lambda: pod.extra_env.pop("MEMORY_MIRROR_DISK_FULL"))


def test_a_full_disk_under_the_mirror_stops_the_snapshot_and_the_next_tick_finishes(make_machine, origin, tmp_path,
                                                                                   small_filesystem):
    mirror_disk = small_filesystem(tmp_path / "mirror-disk", "1m")
    laptop = make_machine("laptop", "authority", MEMORY_MIRROR_DIR=str(mirror_disk / "mirror"))
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    filler = fill(mirror_disk)
    laptop.write("finops", "notes.md", "the quick brown fox jumps over the lazy dog\n" * 200)
    local, published = snapshot_of(laptop.home / ".claude"), origin_refs(origin)

    line = one_error_line(laptop.run("sync-now"))
    # one changed dir is copied without rsync: the line names the file it was writing
    assert line.startswith("error: snapshot: no space left on device writing ") and FREE_AND_RETRY in line
    assert snapshot_of(laptop.home / ".claude") == local
    assert origin_refs(origin) == published

    filler.unlink()
    laptop.tick()
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v1\n",
                                  "by-project/finops/memory/notes.md": laptop.files("finops")["notes.md"]}
