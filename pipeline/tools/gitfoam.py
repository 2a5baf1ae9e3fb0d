"""The gitfoam wrapper: find the binary (GITFOAM_BINARY, PATH, or build it from GITFOAM_LOCAL_SOURCE), check that
it runs, register our publish tree with it, ask it for its status. Without one, the built-in pusher does its job.

gitfoam keeps one config for every repo it mirrors (`~/.gitfoam.json`) and its private index and blocked.log
under `$HOME/.gitfoam/`. Everything of ours lives under `$AGENTIHOOKS_HOME/gitfoam/` instead: every call gets
GITFOAM_CONFIG and a HOME of our own there, so the user's gitfoam config, daemon and repos are never read,
started, stopped or changed.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.config.settings import Settings
from pipeline.errors import FatalError
from pipeline.tools.run import Runner


def config_file(settings: Settings) -> Path:
    return settings.gitfoam_dir / "config.json"


def private_home(settings: Settings) -> Path:
    """gitfoam's $HOME: where it keeps its private index and blocked.log (under .gitfoam/)."""
    return settings.gitfoam_dir / "home"


def blocked_log(settings: Settings) -> Path:
    return private_home(settings) / ".gitfoam" / "blocked.log"


def env(settings: Settings) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in ("GIT_SSH", "GIT_SSH_COMMAND")}
    environ.update(GITFOAM_CONFIG=str(config_file(settings)), HOME=str(private_home(settings)),
                   HOSTNAME=settings.hostname, RUST_LOG=os.environ.get("RUST_LOG", "info"))
    return environ


def _not_runnable(binary: Path, why: str) -> FatalError:
    return FatalError(f"GITFOAM_BINARY={binary} does not run ({why}). Point it at a working gitfoam binary, or unset "
                      "it to use one on PATH, GITFOAM_LOCAL_SOURCE, or the built-in pusher.")


def check_runs(runner: Runner, binary: Path, settings: Settings) -> None:
    """`gitfoam config-path` under our config: it must run and name our config file, not the user's."""
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise _not_runnable(binary, "not an executable file")
    try:
        out = runner.run(str(binary), "config-path", env=env(settings)).out.strip()
    except (FatalError, OSError) as exc:
        raise _not_runnable(binary, str(exc).splitlines()[0]) from None
    if out != str(config_file(settings)):
        raise _not_runnable(binary, f"it reads {out or 'no config'} instead of the GITFOAM_CONFIG it is given")


def _build(settings: Settings, runner: Runner) -> Path:
    source = settings.gitfoam_local_source
    if not (source / "Cargo.toml").is_file():
        raise FatalError(f"GITFOAM_LOCAL_SOURCE={source} has no Cargo.toml: point it at a gitfoam checkout, or set "
                         "GITFOAM_BINARY, or unset both to use the built-in pusher.")
    if not runner.has("cargo"):
        raise FatalError(f"GITFOAM_LOCAL_SOURCE={source} is set, but cargo is not on PATH to build it: install Rust "
                         "(https://rustup.rs), or set GITFOAM_BINARY to a built gitfoam.")
    # into our own dir, never the user's cargo bin
    root = settings.gitfoam_dir / "cargo"
    runner.run("cargo", "install", "--quiet", "--path", str(source), "--root", str(root), mutating=True,
               hint="building gitfoam from GITFOAM_LOCAL_SOURCE failed; cargo says why below")
    return root / "bin" / "gitfoam"


def locate(settings: Settings, runner: Runner) -> Path | None:
    """The gitfoam binary to use, checked to run; None for the built-in pusher."""
    if settings.gitfoam_binary:
        binary = settings.gitfoam_binary
    elif found := shutil.which("gitfoam"):
        binary = Path(found)
    elif settings.gitfoam_local_source:
        binary = _build(settings, runner)
        if runner.dry_run:
            return binary
    else:
        return None
    check_runs(runner, binary, settings)
    return binary


def register(runner: Runner, binary: Path, settings: Settings, tree: Path, branch: str) -> None:
    """Mirror `tree` to `branch` on its origin (gitfoam `add` replaces an entry that is already there)."""
    runner.run(str(binary), "add", str(tree), "--target", branch, "--remote", "origin", env=env(settings),
               mutating=True, hint=f"`gitfoam add` of {tree} failed; see its output below")


def status_lines(runner: Runner, binary: Path, settings: Settings) -> list[str]:
    """What `gitfoam status` says under our config, or why it could not say."""
    try:
        return runner.run(str(binary), "status", env=env(settings)).out.splitlines()
    except (FatalError, OSError) as exc:
        return [f"(gitfoam status failed: {str(exc).splitlines()[0]})"]


def daemon_argv(binary: Path) -> list[str]:
    return [str(binary), "daemon"]
