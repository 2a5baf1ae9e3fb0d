"""Exactly one authority: a lease ref on the remote; a second authority stands down and says why."""
from __future__ import annotations

import subprocess

import pytest

from conftest import git, main_files, origin_refs
from pipeline.mirror.lease import Lease, Verdict, judge, parse


@pytest.mark.parametrize(
    ("lease", "expected"),
    [
        (None, Verdict.TAKE),
        (Lease("me", 1000), Verdict.HOLD),
        (Lease("me", 1000 - 60), Verdict.RENEW),
        (Lease("other", 1000 - 179), Verdict.STAND_DOWN),
        (Lease("other", 1000 - 180), Verdict.TAKE_OVER),
        # staleness is judged by the holder's own interval (300 s), not the reader's (60 s)
        (Lease("other", 1000 - 899, interval=300), Verdict.STAND_DOWN),
        (Lease("other", 1000 - 900, interval=300), Verdict.TAKE_OVER),
        (Lease("other", 1000 - 29, interval=10), Verdict.STAND_DOWN),
        (Lease("other", 1000 - 30, interval=10), Verdict.TAKE_OVER),
    ],
)
def test_lease_verdicts(lease, expected):
    assert judge(lease, "me", now=1000, interval=60) is expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("authority lease\n\nhost: laptop\nheartbeat: 1000\ninterval: 300\n", Lease("laptop", 1000, 300)),
        ("authority lease\n\nhost: laptop\nheartbeat: 1000\n", Lease("laptop", 1000, None)),
        ("authority lease\n\nhost: laptop\nheartbeat: 1000\ninterval: 0\n", Lease("laptop", 1000, None)),
        ("authority lease\n\nhost: laptop\n", None),
    ],
)
def test_lease_messages(message, expected):
    assert parse(message) == expected


def test_a_second_authority_does_not_push_main_exits_3_and_names_the_holder(make_machine, origin):
    first = make_machine("laptop", "authority")
    second = make_machine("desktop", "authority")
    for machine in (first, second):
        machine.project("finops")
    first.write("finops", "MEMORY.md", "laptop's\n")
    first.tick()
    second.write("finops", "desk.md", "desktop's own note\n")
    main_before = origin_refs(origin)["refs/heads/main"]
    result = second.run("sync-now")
    assert result.returncode == 3
    assert "standing down: laptop holds the authority lease" in result.stderr
    assert "standing down: laptop holds the authority lease" in (second.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert origin_refs(origin)["refs/heads/main"] == main_before
    # the rest of its tick happened: it merged main and published its host branch
    assert second.files("finops")["MEMORY.md"] == "laptop's\n"
    assert "by-project/finops/memory/desk.md" in main_files(origin, "gitfoam/desktop/main")
    # main does not ping-pong: the holder keeps ticking, the other keeps standing down
    for _ in range(2):
        first.tick()
        assert second.run("sync-now").returncode == 3
    lease_log = git("log", "--format=%B", "mirror/authority-lease", cwd=origin)
    assert "host: laptop" in lease_log and "host: desktop" not in lease_log


def test_a_stale_lease_is_taken_over_and_the_takeover_is_logged(make_machine, origin):
    first = make_machine("laptop", "authority", MEMORY_MIRROR_INTERVAL_SEC="1")
    second = make_machine("desktop", "authority", MEMORY_MIRROR_INTERVAL_SEC="1")
    for machine in (first, second):
        machine.project("finops")
    first.write("finops", "MEMORY.md", "v1\n")
    first.tick()
    subprocess.run(["sleep", "3.2"], check=True)
    second.write("finops", "MEMORY.md", "v2 from the new authority\n")
    result = second.run("sync-now")
    assert result.returncode == 0, result.stderr
    assert "took over the authority lease from laptop" in result.stdout
    assert "took over the authority lease from laptop" in (second.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert git("log", "-1", "--format=%B", "mirror/authority-lease", cwd=origin).count("host: desktop") == 1
