"""An rsync too old for the copy's options (macOS ships 2.6.9 or openrsync) is never used with them."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import main_files
from pipeline.steps.snapshot import COPY_HERE_DIRS
from pipeline.tools.rsync import has_needed_options

OLD_RSYNC = """#!/bin/sh
echo "$*" >> "{calls}"
case "$*" in
  --version) echo "rsync  version 2.6.9  protocol version 29"; exit 0 ;;
  *--info=*|*--modify-window=-*) echo "rsync: unknown option" >&2; exit 1 ;;
esac
exec "{real}" "$@"
"""


@pytest.mark.parametrize(("output", "usable"), [
    ("rsync  version 3.2.7  protocol version 31\nCopyright (C) 1996-2022 by Andrew Tridgell", True),
    ("rsync  version v3.1.3  protocol version 31", True),
    ("rsync  version 3.1.2  protocol version 31", False),
    ("rsync  version 2.6.9  protocol version 29", False),  # macOS before 15
    ("openrsync: protocol version 29\nrsync version 2.6.9 compatible", False),  # macOS 15
    ("", False),
])
def test_only_an_rsync_with_every_needed_option_is_used(output, usable):
    assert has_needed_options(output) is usable


def test_snapshots_work_with_an_old_rsync_on_path(make_machine, origin, tmp_path):
    bin_dir = tmp_path / "old-bin"
    bin_dir.mkdir()
    calls = tmp_path / "rsync-calls"
    (bin_dir / "rsync").write_text(OLD_RSYNC.format(calls=calls, real=shutil.which("rsync")))
    (bin_dir / "rsync").chmod(0o755)
    laptop = make_machine("laptop", "authority", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    # each tick brings more dirs new to the mirror than a tick copies without rsync: it would use it if it could
    first = [f"app{n}" for n in range(COPY_HERE_DIRS)]
    for name in ["finops", *first]:
        laptop.project(name)
        laptop.write(name, "MEMORY.md", "v1\n")
    laptop.write("finops", "notes/deploy.md", "deploy on fridays\n")
    laptop.tick()
    second = [f"more{n}" for n in range(COPY_HERE_DIRS + 1)]
    for name in second:
        laptop.project(name)
    for name in ["finops", *first, *second]:
        laptop.write(name, "MEMORY.md", "v2\n")
    laptop.tick()
    files = main_files(origin)
    assert {path: text for path, text in files.items() if "/finops/" in path} == {
        "by-project/finops/memory/MEMORY.md": "v2\n", "by-project/finops/memory/notes/deploy.md": "deploy on fridays\n"}
    assert len(files) == 2 + len(first) + len(second) and set(files.values()) == {"v2\n", "deploy on fridays\n"}
    assert calls.read_text().splitlines() == ["--version", "--version"]  # once per tick's process, nothing else
