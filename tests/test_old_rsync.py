"""An rsync too old for the copy's options (macOS ships 2.6.9 or openrsync) is never used with them."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import main_files
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
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "notes/deploy.md", "deploy on fridays\n")
    laptop.tick()
    laptop.write("finops", "MEMORY.md", "v2\n")
    laptop.tick()
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v2\n",
                                  "by-project/finops/memory/notes/deploy.md": "deploy on fridays\n"}
    assert calls.read_text().splitlines() == ["--version", "--version"]  # once per tick's process, nothing else
