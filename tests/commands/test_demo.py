"""The README's first command: the three-machine demo passes all of its own checks."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT


def test_the_demo_runs_and_every_check_passes(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "demo.py"), "--dir", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "all 39 checks passed" in result.stdout
