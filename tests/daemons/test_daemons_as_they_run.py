"""The product as it runs: real daemons, started by install, each one process across many ticks.

Every assertion here is about a later tick of the same long-lived process: what a daemon remembers between ticks
is where its bugs live (a daemon that read origin once and never again passed every one-tick test).
"""
from __future__ import annotations

import subprocess

import pytest

from conftest import git, main_files, wait_for
from running import arrives, daemons_of, laptop_and, on_branch, status_json

pytestmark = pytest.mark.slow
KEY = "by-project/finops/memory"


def test_a_consumer_daemon_picks_up_each_of_several_successive_main_changes(make_machine, origin):
    laptop, pod = laptop_and(make_machine, "pod-1", "consumer")
    with daemons_of(laptop, pod):
        pid = status_json(pod)["daemons"]["sync"]["pid"]
        for version in range(1, 6):
            laptop.write("finops", "MEMORY.md", f"v{version}\n")
            assert arrives(lambda: pod.files("finops").get("MEMORY.md") == f"v{version}\n"), version
        assert status_json(pod)["daemons"]["sync"]["pid"] == pid  # one process saw all five


def test_an_authority_daemon_keeps_publishing_after_a_proposal_is_merged_on_origin(make_machine, origin, tmp_path):
    laptop, build = laptop_and(make_machine, "build-01", "contributor")
    with daemons_of(laptop, build):
        build.write("finops", "build.md", "from build-01\n")
        assert arrives(lambda: on_branch(origin, "gitfoam/build-01/main", f"{KEY}/build.md") == "from build-01\n")
        build.run("propose", check=True)
        # a person merges the proposal on origin, as a PR merge would, while both daemons run
        work = tmp_path / "person"
        git("clone", "-q", str(origin), str(work))
        proposal = next(ref for ref in git("branch", "-r", cwd=work).split() if "proposal/" in ref)
        git("merge", "-q", "--no-edit", proposal, cwd=work)
        git("push", "-q", "origin", "HEAD:main", cwd=work)
        assert arrives(lambda: laptop.files("finops").get("build.md") == "from build-01\n")
        for version in range(1, 4):
            laptop.write("finops", "MEMORY.md", f"laptop v{version}\n")
            assert arrives(lambda: main_files(origin).get(f"{KEY}/MEMORY.md") == f"laptop v{version}\n"), version
        assert main_files(origin)[f"{KEY}/build.md"] == "from build-01\n"
        assert status_json(laptop)["last_tick"]["ok"]


def test_a_contributors_edits_reach_its_host_branch_one_after_another_between_ticks(make_machine, origin):
    # ticks are a minute apart: only the watcher and the pusher can bring each edit over
    build = make_machine("build-01", "contributor", MEMORY_MIRROR_INTERVAL_SEC="60")
    build.project("finops")
    build.write("finops", "MEMORY.md", "v0\n")
    with daemons_of(build):
        for version in range(1, 11):
            build.write("finops", "notes.md", f"edit {version}\n")
            assert arrives(lambda: on_branch(origin, "gitfoam/build-01/main", f"{KEY}/notes.md") == f"edit {version}\n",
                           timeout=20), version


def test_status_of_a_daemon_whose_every_tick_fails_does_not_look_healthy(make_machine, origin, tmp_path):
    pod = make_machine("pod-1", "consumer", MEMORY_MIRROR_INTERVAL_SEC="1")
    pod.project("finops")
    with daemons_of(pod):
        assert status_json(pod)["healthy"]
        origin.rename(tmp_path / "away.git")
        assert arrives(lambda: (status_json(pod)["last_tick"] or {}).get("failures", 0) >= 3)
        info = status_json(pod)
        assert info["daemons"]["sync"]["running"] and not info["healthy"]
        assert info["last_tick"]["step"] == "fetch" and info["last_tick"]["exit"] == 1
        assert info["last_tick"]["message"].startswith(f"cannot reach MEMORY_MIRROR_REMOTE {origin}: ")
        assert info["origin"]["age_seconds"] >= 2
        text = pod.run("status", check=True).stdout
        assert "healthy: NO" in text
        assert "last tick: FAILED at fetch (" in text and "failures in a row]" in text
        (tmp_path / "away.git").rename(origin)
        assert arrives(lambda: status_json(pod)["healthy"])
        assert status_json(pod)["last_tick"]["failures"] == 0


def test_install_reports_a_daemon_that_dies_at_start_with_its_log_and_fails(make_machine, origin):
    build = make_machine("build-01", "contributor", MEMORY_MIRROR_CRASH="raise:daemon:start")
    build.project("finops")
    try:
        result = build.run("install", timeout=120)
        assert result.returncode == 1
        assert "sync daemon: running" not in result.stdout
        log = build.agentihooks / "logs" / "sync-daemon.log"
        assert result.stderr.startswith("error: sync-daemon did not start (")
        assert f"exited with status 70); the last lines of {log}:\n" in result.stderr
        assert "unexpected error in memory-sync daemon: InjectedFault: injected fault at daemon:start" in result.stderr
        info = status_json(build)
        assert not info["daemons"]["sync"]["running"] and not info["healthy"]
    finally:
        build.run("stop", timeout=60)


def test_the_pid_file_holds_the_bare_pid_and_a_second_copy_refuses(make_machine, origin):
    build = make_machine("build-01", "contributor")
    build.project("finops")
    with daemons_of(build):
        pid_file = build.agentihooks / "sync-daemon.pid"
        first_line = pid_file.read_text().splitlines()[0]
        assert first_line == str(status_json(build)["daemons"]["sync"]["pid"])
        # a foreground copy beside the running one refuses, and says which one runs
        second = build.run("daemon", "sync", timeout=60)
        assert second.returncode == 1
        assert second.stderr == f"error: sync-daemon is already running (PID {first_line}); " \
                                "`memory-sync stop` stops it.\n"
        subprocess.run(["kill", first_line], check=True)  # as the spec's users stop it
        assert wait_for(lambda: not status_json(build)["daemons"]["sync"]["running"], timeout=15)
