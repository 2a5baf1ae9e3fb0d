"""The gitfoam wrapper: find the binary (GITFOAM_BINARY, PATH, or build it from GITFOAM_LOCAL_SOURCE), register
the mirror with it. Without one, the built-in pusher does its job."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import FatalError
from pipeline.tools.run import Runner


def locate(settings: Settings, runner: Runner) -> Path | None:
    """The gitfoam binary to use, or None for the built-in pusher."""
    if settings.gitfoam_binary:
        binary = settings.gitfoam_binary
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise FatalError(f"GITFOAM_BINARY={binary} is not an executable file. Fix the path or unset it.")
        return binary
    found = shutil.which("gitfoam")
    if found:
        return Path(found)
    if settings.gitfoam_local_source and runner.has("cargo"):
        runner.run("cargo", "install", "--path", str(settings.gitfoam_local_source), mutating=True,
                   hint="building gitfoam from GITFOAM_LOCAL_SOURCE failed")
        cargo_home = Path(os.environ.get("CARGO_HOME") or settings.user_home / ".cargo")
        built = cargo_home / "bin" / "gitfoam"
        return built if built.exists() else None
    return None


def init(runner: Runner, binary: Path, mirror: Path) -> None:
    runner.run(str(binary), "init", cwd=mirror, mutating=True,
               hint=f"`gitfoam init` failed in {mirror}; see its output below")


def daemon_argv(binary: Path) -> list[str]:
    return [str(binary), "daemon"]
