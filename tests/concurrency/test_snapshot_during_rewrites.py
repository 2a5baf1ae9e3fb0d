"""A memory file rewritten while the snapshot copies it: a copy that a rewrite ran through is taken again (or
left for the next tick), so what gets committed is a state the file really had, never a mix of two versions or
a copy cut short, with rsync and with the pure-Python copy alike; once the writer stops, its last version is
committed.

Replaced by rename, the file only ever holds whole versions, so only whole versions may be committed. Rewritten
in place (truncate, then write), it holds a cut-off version for as long as the writer is held up in between,
which no reader can tell from a file that short on purpose: such a state may be committed, and the next tick
replaces it; anything else (bytes from two versions, a copy that lost bytes the file had) may not.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import git
from pipeline.steps.snapshot import COPY_HERE_DIRS

TICKS = 4


def version(tag: str, lines: int) -> bytes:
    body = b"".join(b"%s %06d the quick brown fox jumps over the lazy dog\n" % (tag.encode(), i) for i in range(lines))
    return f"version {tag}\n".encode() + body + f"end of version {tag}\n".encode()


# two sizes, so a copy cut short or mixed from both shows up whatever the interleaving
VERSIONS = {"A": version("A", 14000), "B": version("B", 21000)}

# rewrites two files over and over until told to stop, A and B in turn: MEMORY.md in place (truncate, then
# write in 64 KiB pieces, as an editor that keeps the inode does), notes.md by rename (a temp file beside the
# memory dir renamed over it); in short bursts with irregular pauses between, so some copies find them still
# and some find them mid-write. Both end on A.
WRITER = r"""
import os, random, sys, time
from pathlib import Path

memory, stop, count = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
versions = [Path(p).read_bytes() for p in sys.argv[4:]]
scratch = memory.parent / "rewrite.tmp"

def in_place(data):
    fd = os.open(memory / "MEMORY.md", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:65536]):]
    os.close(fd)

def by_rename(data):
    scratch.write_bytes(data)
    os.replace(scratch, memory / "notes.md")

n = 0
while not stop.exists():
    in_place(versions[n % len(versions)])
    by_rename(versions[(n + 1) % len(versions)])
    n += 1
    if n % 2 == 0:
        time.sleep(random.random() * 0.05)
in_place(versions[0])
by_rename(versions[0])
count.write_text(str(n))
"""


def blob_at(repo, ref: str, path: str) -> bytes | None:
    result = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=repo, capture_output=True)
    return result.stdout if result.returncode == 0 else None


def name_of(data: bytes | None) -> str:
    for name, expected in VERSIONS.items():
        if data == expected:
            return name
    return "none" if data is None else f"torn ({len(data)} bytes, starts {data[:10]!r}, ends {data[-20:]!r})"


def acceptable(data: bytes | None, rewritten_in_place: bool) -> bool:
    if data is None or data in VERSIONS.values():
        return True
    return rewritten_in_place and any(whole.startswith(data) for whole in VERSIONS.values())


@pytest.mark.parametrize("copier", ["rsync", "python"])
def test_what_is_committed_of_files_being_rewritten_is_a_state_they_had(make_machine, origin, tmp_path, copier):
    extra = {}
    if copier == "python":
        bin_dir = tmp_path / "bin-without-rsync"
        bin_dir.mkdir()
        os.symlink(shutil.which("git"), bin_dir / "git")
        extra["PATH"] = f"{bin_dir}{os.pathsep}{os.path.dirname(os.path.realpath(sys.executable))}"
    laptop = make_machine("laptop", "authority", **extra)
    assert (shutil.which("rsync", path=laptop.env()["PATH"]) is None) == (copier == "python")
    # with rsync, more dirs are new to the mirror every tick than a tick copies without it
    def others(tick: int) -> list[str]:
        return [f"app{tick}-{n}" for n in range(COPY_HERE_DIRS + 1)] if copier == "rsync" else []
    memory = laptop.project("finops")
    memory.mkdir()
    for name in ("MEMORY.md", "notes.md"):
        (memory / name).write_bytes(VERSIONS["B"])
    laptop.tick()
    sources = []
    for name, data in VERSIONS.items():
        sources.append(tmp_path / f"version-{name}")
        sources[-1].write_bytes(data)
    stop, count = tmp_path / "stop", tmp_path / "rewrites"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(memory), str(stop), str(count), *map(str, sources)])
    paths = {"by-project/finops/memory/MEMORY.md": True, "by-project/finops/memory/notes.md": False}
    seen = []
    try:
        for tick in range(TICKS):
            for name in others(tick):
                laptop.project(name)
                laptop.write(name, "MEMORY.md", f"tick {tick}\n")
            copies = (laptop.agentihooks / "logs" / "sync-daemon.log").read_text().count("run: rsync -rt")
            laptop.tick()
            assert (laptop.agentihooks / "logs" / "sync-daemon.log").read_text().count("run: rsync -rt") == \
                copies + (copier == "rsync")
            seen += [(path, blob_at(laptop.mirror, "gitfoam/laptop/main", path)) for path in paths]
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert int(count.read_text()) > TICKS  # it really was rewriting all along
    assert all(acceptable(data, paths[path]) for path, data in seen), [(p, name_of(d)) for p, d in seen]

    laptop.tick()
    for path, in_place in paths.items():
        assert blob_at(laptop.mirror, "gitfoam/laptop/main", path) == VERSIONS["A"]
        assert blob_at(origin, "main", path) == VERSIONS["A"]
        # every version main ever held, and the host branch as published
        for commit in git("rev-list", "--all", cwd=origin).split():
            data = blob_at(origin, commit, path)
            assert acceptable(data, in_place), (commit, path, name_of(data))
