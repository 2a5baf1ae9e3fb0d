"""The same benchmark on an earlier commit, for a before/after table: that commit's `pipeline` package, measured
by this checkout's bench scripts in a child process (one Python process cannot import two versions of it)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def export(rev: str, into: Path) -> Path:
    """`rev`'s files (not a checkout: nothing of this work tree changes) under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(rev: str, script: str, argv: list[str]) -> list[dict]:
    """Run `script` (a bench of this checkout) with `--code` set to `rev`'s files; returns its `--json` results."""
    with tempfile.TemporaryDirectory(prefix="mm-bench-before-") as tmp:
        code = export(rev, Path(tmp))
        out = Path(tmp) / "results.json"
        subprocess.run([sys.executable, str(REPO / "bench" / script), *argv, "--code", str(code), "--json", str(out)],
                       check=True, stdout=sys.stderr)
        return json.loads(out.read_text())
