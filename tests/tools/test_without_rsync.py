"""Without rsync on PATH the pure-Python copy does the same job."""
from __future__ import annotations

import os
import shutil

from conftest import every_path_on, main_files


def test_a_fleet_syncs_with_the_python_copy_when_rsync_is_absent(make_machine, origin, tmp_path):
    bin_dir = tmp_path / "bin-without-rsync"
    bin_dir.mkdir()
    for tool in ("git", "ssh"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    # git finds its helpers through its own exec path, so PATH needs only git itself and python
    path = f"{bin_dir}{os.pathsep}{os.path.dirname(os.path.realpath(shutil.which('python3')))}"
    laptop = make_machine("laptop", "authority", PATH=path)
    assert shutil.which("rsync", path=laptop.env()["PATH"]) is None
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "s.jsonl", "{}\n")
    laptop.tick()
    laptop.write("finops", "MEMORY.md", "v2\n")
    laptop.write("finops", "new.md", "n\n")
    laptop.tick()
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "v2\n",
                                  "by-project/finops/memory/new.md": "n\n"}
    assert not [p for p in every_path_on(origin) if p.endswith(".jsonl")]
