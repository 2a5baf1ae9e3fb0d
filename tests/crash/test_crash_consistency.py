"""A tick killed (SIGKILL) at any step boundary or in the middle of snapshot, commit or merge is finished by the
next tick: every local file holds its old or its new content, no temp file is left, nothing on origin is
lost, and the fleet converges."""
from __future__ import annotations

import signal

import pytest

from conftest import main_files
from pipeline.rules.memory_only import TEMP_MARKER

STEPS = ["resolve", "snapshot", "commit", "fetch", "merge", "resnapshot", "push"]
POINTS = [f"before:{s}" for s in STEPS] + ["after:push", "snapshot:mid", "commit:mid", "merge:mid"]


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_tick_is_finished_by_the_next_one(fleet, origin, point):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "a.md", "a1\n")
    laptop.tick()
    build.tick()
    laptop.write("finops", "MEMORY.md", "v2\n")
    laptop.write("finops", "b.md", "b1\n")
    (laptop.memory("finops") / "a.md").unlink()
    laptop.tick()
    build.write("finops", "mine.md", "build's own\n")
    before = main_files(origin)
    build.extra_env["MEMORY_MIRROR_CRASH"] = point
    crashed = build.run("sync-now")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    del build.extra_env["MEMORY_MIRROR_CRASH"]
    # whatever the moment, local files are old or new content, never partial, and no temp file lingers
    for name, text in build.files("finops").items():
        assert TEMP_MARKER not in name
        assert text in ("v1\n", "v2\n", "a1\n", "b1\n", "build's own\n"), (name, text)
    assert main_files(origin) == before
    build.tick()
    build.tick()
    assert build.files("finops") == {"MEMORY.md": "v2\n", "b.md": "b1\n", "mine.md": "build's own\n"}
    assert [p for p in build.trash.rglob("a.md")]
    assert main_files(origin, "gitfoam/build-01/main")["by-project/finops/memory/mine.md"] == "build's own\n"
