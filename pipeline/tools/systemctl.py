"""The systemctl wrapper, user units only."""
from __future__ import annotations

from pipeline.tools.run import Runner


def user_manager_running(runner: Runner) -> bool:
    """True when there is a systemd user instance to talk to (not so in most containers)."""
    if not runner.has("systemctl"):
        return False
    state = runner.run("systemctl", "--user", "is-system-running", check=False).out.strip()
    return state in ("running", "degraded", "starting")


def reload_and_enable(runner: Runner, units: list[str], start_now: bool) -> None:
    runner.run("systemctl", "--user", "daemon-reload", mutating=True)
    runner.run("systemctl", "--user", "enable", *(["--now"] if start_now else []), *units, mutating=True)
