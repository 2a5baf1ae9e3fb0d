"""`install --systemd`: the two daemons as systemd user units, when a user instance of systemd runs."""
from __future__ import annotations

import shlex
from pathlib import Path

from pipeline.mirror.context import Context
from pipeline.services.supervise import daemon_argv
from pipeline.tools import systemctl

UNITS = {"sync": "memory-mirror-sync.service", "pusher": "memory-mirror-pusher.service"}
DESCRIPTIONS = {"sync": "Memory Mirror sync daemon", "pusher": "Memory Mirror pusher"}


def unit_text(description: str, argv: list[str], ctx: Context, cwd: Path) -> str:
    env = {"HOME": str(ctx.settings.user_home), "AGENTIHOOKS_HOME": str(ctx.settings.home)}
    return "\n".join([
        "[Unit]",
        f"Description={description}",
        "After=network-online.target",
        "",
        "[Service]",
        f"ExecStart={shlex.join(argv)}",
        f"WorkingDirectory={cwd}",
        *(f"Environment={key}={value}" for key, value in env.items()),
        "Restart=on-failure",
        "RestartSec=10",
        "KillSignal=SIGTERM",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ])


def install_units(ctx: Context, no_start: bool) -> list[str]:
    """Write and enable the units; returns what to tell the user. Without systemd, says so and changes nothing."""
    if not systemctl.user_manager_running(ctx.runner):
        return ["systemd: no systemd user instance here (systemctl missing or not running); "
                "run `memory-sync start` to start the daemons as background processes instead"]
    unit_dir = ctx.settings.user_home / ".config" / "systemd" / "user"
    unit_dir.mkdir(parents=True, exist_ok=True)
    wanted = []
    for which in ctx.role.daemons:
        (unit_dir / UNITS[which]).write_text(unit_text(DESCRIPTIONS[which], daemon_argv(which), ctx, ctx.settings.home))
        wanted.append(UNITS[which])
    systemctl.reload_and_enable(ctx.runner, wanted, start_now=not no_start)
    return [f"systemd: wrote and enabled {', '.join(wanted)} in {unit_dir}"
            + ("" if no_start else " (started)")]
