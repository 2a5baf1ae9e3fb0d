"""install, status, the daemons and the fast pusher, stop, start, uninstall: as a user runs them."""
from __future__ import annotations

import json
import os
import shutil
import signal
from functools import partial

import pytest

from conftest import git, origin_refs, wait_for as poll


wait_for = partial(poll, timeout=15.0)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def status_json(machine) -> dict:
    return json.loads(machine.run("status", "--json", check=True).stdout)


@pytest.fixture
def installed(make_machine, origin):
    machine = make_machine("build-01", "contributor", MEMORY_MIRROR_INTERVAL_SEC="3600")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "v1\n")
    yield machine
    machine.run("stop")


def branch_has(origin, branch: str, path: str, text: str) -> bool:
    if f"refs/heads/{branch}" not in origin_refs(origin):
        return False
    try:
        return git("show", f"{branch}:{path}", cwd=origin) == text
    except Exception:
        return False


def test_install_then_an_edit_reaches_the_host_branch_without_waiting_for_a_tick(installed, origin):
    result = installed.run("install", check=True)
    assert "using the built-in pusher" in result.stdout
    info = status_json(installed)
    assert info["role"] == "contributor" and info["pusher"] == "built-in"
    assert info["daemons"]["sync"]["running"] and info["daemons"]["pusher"]["running"]
    assert info["last_tick"]["ok"] and info["base"]["commit"]
    installed.write("finops", "fresh.md", "written after install\n")
    # ticks are an hour apart here: only the watcher and the pusher can bring it over
    assert wait_for(lambda: branch_has(origin, "gitfoam/build-01/main", "by-project/finops/memory/fresh.md",
                                       "written after install\n"))
    assert "pushed gitfoam/build-01/main" in (installed.agentihooks / "logs" / "gitfoam.log").read_text()


def test_stop_start_and_uninstall_purge(installed, origin):
    installed.run("install", check=True)
    pids = [d["pid"] for d in status_json(installed)["daemons"].values()]
    installed.run("stop", check=True)
    assert wait_for(lambda: not any(alive(pid) for pid in pids))
    info = status_json(installed)
    assert not info["daemons"]["sync"]["running"] and not info["daemons"]["pusher"]["running"]
    assert "daemon: stopped" in installed.run("status", check=True).stdout
    installed.run("start", check=True)
    assert all(d["running"] for d in status_json(installed)["daemons"].values())
    claude_before = sorted(p.relative_to(installed.home) for p in (installed.home / ".claude").rglob("*"))
    result = installed.run("uninstall", "--purge", check=True)
    assert "removed" in result.stdout
    assert not installed.mirror.exists()
    assert sorted(p.relative_to(installed.home) for p in (installed.home / ".claude").rglob("*")) == claude_before
    assert not any(d["running"] for d in status_json(installed)["daemons"].values())


def test_kill_9_of_either_daemon_is_seen_and_start_recovers(installed, origin):
    installed.run("install", check=True)
    for name in ("sync", "pusher"):
        pid = status_json(installed)["daemons"][name]["pid"]
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: not status_json(installed)["daemons"][name]["running"])
        assert not status_json(installed)["healthy"]
        assert "healthy: NO" in installed.run("status", check=True).stdout
    installed.run("start", check=True)
    assert status_json(installed)["healthy"]
    assert all(d["running"] for d in status_json(installed)["daemons"].values())


def test_a_failing_tick_is_logged_and_the_daemon_keeps_going(make_machine, origin, tmp_path):
    machine = make_machine("pod-1", "consumer", MEMORY_MIRROR_INTERVAL_SEC="1")
    machine.project("finops")
    machine.run("install", check=True)
    try:
        moved = tmp_path / "origin-away.git"
        origin.rename(moved)
        log = machine.agentihooks / "logs" / "sync-daemon.log"
        assert wait_for(lambda: "tick failed" in log.read_text())
        moved.rename(origin)
        failures = log.read_text().count("tick failed")
        assert wait_for(lambda: log.read_text().count("tick ok") >= 2 and status_json(machine)["last_tick"]["ok"])
        assert status_json(machine)["daemons"]["sync"]["running"]
        assert failures >= 1
    finally:
        machine.run("stop")


def test_a_consumer_needs_no_pusher_and_off_installs_nothing(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.tick()
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    try:
        result = pod.run("install", check=True)
        assert "pusher" not in result.stdout
        info = status_json(pod)
        assert info["daemons"]["sync"]["running"] and not info["daemons"]["pusher"]["running"]
        assert info["pusher"] is None
    finally:
        pod.run("stop")
    idle = make_machine("idle", "off")
    result = idle.run("install", check=True)
    assert "memory sync is off on this machine; nothing installed" in result.stdout
    assert not idle.mirror.exists()


@pytest.fixture
def stand_ins(tmp_path):
    """`gitfoam` and `systemctl` stand-ins that record their arguments (neither can run here)."""
    bin_dir = tmp_path / "stand-ins"
    bin_dir.mkdir()
    calls = tmp_path / "calls.jsonl"
    for name, body in (("gitfoam", "import time\nif sys.argv[1:] == ['daemon']:\n    time.sleep(3600)\n"),
                       ("systemctl", "print('running' if 'is-system-running' in sys.argv else '')\n")):
        script = bin_dir / name
        script.write_text(f"#!/usr/bin/env python3\nimport json, os, sys\n"
                          f"open({str(calls)!r}, 'a').write(json.dumps([{name!r}, os.getcwd(), *sys.argv[1:]]) + '\\n')\n"
                          + body)
        script.chmod(0o755)
    return bin_dir, calls


def recorded(calls) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"GITFOAM_BINARY": "{bin}/gitfoam"},
         "error: GITFOAM_BINARY={bin}/gitfoam does not run (command failed: {bin}/gitfoam config-path). Point it at "
         "a working gitfoam binary, or unset it to use one on PATH, GITFOAM_LOCAL_SOURCE, or the built-in pusher."),
        ({"GITFOAM_BINARY": "{bin}/missing"},
         "error: GITFOAM_BINARY={bin}/missing does not run (not an executable file). Point it at a working gitfoam "
         "binary, or unset it to use one on PATH, GITFOAM_LOCAL_SOURCE, or the built-in pusher."),
        ({"GITFOAM_LOCAL_SOURCE": "{bin}"},
         "error: GITFOAM_LOCAL_SOURCE={bin} has no Cargo.toml: point it at a gitfoam checkout, or set GITFOAM_BINARY, "
         "or unset both to use the built-in pusher."),
        ({"GITFOAM_LOCAL_SOURCE": "{src}", "PATH": "{git_dir}"},
         "error: GITFOAM_LOCAL_SOURCE={src} is set, but cargo is not on PATH to build it: install Rust "
         "(https://rustup.rs), or set GITFOAM_BINARY to a built gitfoam."),
    ],
)
def test_a_gitfoam_that_cannot_run_is_refused_before_anything_is_written(make_machine, origin, stand_ins, tmp_path,
                                                                         setting, message):
    bin_dir, _ = stand_ins
    (bin_dir / "gitfoam").write_text("#!/bin/sh\necho 'cannot execute: wrong architecture' >&2\nexit 126\n")
    source = tmp_path / "gitfoam-src"
    source.mkdir()
    (source / "Cargo.toml").write_text("[package]\nname = 'gitfoam'\n")
    only_git = tmp_path / "only-git"  # a PATH with git and no cargo
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git"))
    values = {"bin": bin_dir, "src": source, "git_dir": only_git}
    machine = make_machine("build-01", "contributor", **{k: v.format(**values) for k, v in setting.items()})
    machine.project("finops")
    result = machine.run("install")
    assert result.returncode == 1
    assert result.stderr.strip() == message.format(**values)
    assert not machine.mirror.exists()
    assert origin_refs(origin) == {}


def test_install_systemd_writes_and_enables_user_units(make_machine, origin, stand_ins):
    bin_dir, calls = stand_ins
    machine = make_machine("build-01", "contributor", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    machine.project("finops")
    (bin_dir / "gitfoam").unlink()
    result = machine.run("install", "--systemd", check=True)
    units = machine.home / ".config" / "systemd" / "user"
    assert (units / "memory-mirror-sync.service").read_text().count("daemon sync") == 1
    assert "ExecStart=" in (units / "memory-mirror-pusher.service").read_text()
    systemctl = [call[2:] for call in recorded(calls) if call[0] == "systemctl"]
    assert ["--user", "enable", "--now", "memory-mirror-sync.service", "memory-mirror-pusher.service"] in systemctl
    assert "wrote and enabled" in result.stdout
    assert not any(d["running"] for d in status_json(machine)["daemons"].values())


def test_install_systemd_without_systemd_says_so(make_machine, origin):
    machine = make_machine("build-01", "contributor", PATH=os.path.dirname(os.path.realpath(
        __import__("shutil").which("git"))))
    machine.project("finops")
    result = machine.run("install", "--systemd", check=True)
    assert "no systemd user instance here" in result.stdout


def test_reinstalling_after_purge_rebuilds_everything(installed, origin):
    installed.run("install", "--no-start", check=True)
    installed.run("uninstall", "--purge", check=True)
    installed.write("finops", "after.md", "written after the purge\n")
    installed.run("install", "--no-start", check=True)
    assert branch_has(origin, "gitfoam/build-01/main", "by-project/finops/memory/after.md",
                      "written after the purge\n")
    assert branch_has(origin, "gitfoam/build-01/main", "by-project/finops/memory/MEMORY.md", "v1\n")


def test_a_mirror_deleted_by_hand_is_rebuilt_from_scratch(installed, origin):
    import shutil
    installed.run("install", "--no-start", check=True)
    shutil.rmtree(installed.mirror)  # state/ still remembers the old mirror
    installed.write("finops", "later.md", "later\n")
    installed.tick()
    assert branch_has(origin, "gitfoam/build-01/main", "by-project/finops/memory/later.md", "later\n")
    assert branch_has(origin, "gitfoam/build-01/main", "by-project/finops/memory/MEMORY.md", "v1\n")
