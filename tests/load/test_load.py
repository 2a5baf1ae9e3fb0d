"""Load: 30 machines with 200 projects each tick at once against one origin for a few rounds; nothing is lost
and the fleet converges. Timings are reported by bench/load_bench.py (same fleet, tests/load/loadfleet.py),
never asserted here.

The small scenarios below are what the load runs into, on one or two machines: a host proposes again before
its last proposal reached main; it edits a file again before it merged the main that took its last proposal
of that file; the authority pushes main at the moment a merged PR moves it."""
from __future__ import annotations

import pytest

from conftest import authority_and, main_files, proposal_refs, seeded_authority
from loadfleet import Config, Fleet


@pytest.mark.slow
def test_thirty_machines_ticking_at_once_lose_nothing_and_converge(tmp_path):
    # one file per project and two rounds keep this within a few minutes on two cores; the bench runs more
    config = Config(machines=30, projects=200, files=1, rounds=2, edits=2, new_files=1)
    fleet = Fleet(tmp_path / "fleet", config)
    fleet.build()
    fleet.run()

    jobs = [job for phase in fleet.phases for job in phase.jobs]
    failed = [f"{job.phase} {job.host} {job.verb} exit {job.code}: {job.err[-800:]}" for job in jobs if job.failed]
    assert not failed, "\n".join(failed[:5])
    standby_ticks = [job for job in jobs if job.kind == "standby" and job.verb == "sync-now"]
    assert standby_ticks and all(job.code == 3 and "standing down" in job.err for job in standby_ticks)
    assert not any("standing down" in job.err for job in jobs if job.kind == "authority")

    state = fleet.check()
    assert not state.lost, state.summary()
    assert state.converged, state.summary()
    assert not state.conflict_siblings, state.summary()  # every file has one editor: a sibling is spurious
    assert fleet.reviewer.merged > 0 and fleet.reviewer.left == 0 and not fleet.reviewer.errors
    editors = [host for host in fleet.hosts if host.edits]
    assert fleet.edit_count == len(editors) * config.rounds * (config.edits + config.new_files)
    assert all(host.wrote for host in editors)


def test_a_proposal_made_before_the_last_one_reached_main_still_merges(make_machine, origin):
    laptop, builder = authority_and(make_machine, "build-07", "trusted", seed="v0\n")
    for text in ("v0\nfirst\n", "v0\nfirst\nsecond\n"):
        builder.write("finops", "MEMORY.md", text)
        builder.tick()
        builder.run("propose", check=True)
    result = laptop.tick()
    assert "for a person" not in result.stdout
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "v0\nfirst\nsecond\n"
    assert len(proposal_refs(origin)) == 2


def test_main_coming_back_with_this_machines_proposal_is_not_a_conflict(make_machine, origin):
    laptop, builder = authority_and(make_machine, "build-07", "trusted", seed="v0\n")
    builder.write("finops", "MEMORY.md", "v0\nmine\n")
    builder.tick()
    builder.run("propose", check=True)
    laptop.tick()  # main takes the proposal
    builder.write("finops", "MEMORY.md", "v0\nmine\nmore of mine\n")  # before its next tick merged that main
    result = builder.tick()
    assert "conflict" not in result.stdout.replace("0 conflicts", "")
    assert builder.files("finops") == {"MEMORY.md": "v0\nmine\nmore of mine\n"}
    builder.run("propose", check=True)
    laptop.tick()
    assert laptop.files("finops") == {"MEMORY.md": "v0\nmine\nmore of mine\n"}


def test_a_push_of_main_refused_by_another_push_at_that_moment_is_retried_next_tick(make_machine, origin):
    laptop = seeded_authority(make_machine, "v0\n")
    laptop.write("finops", "MEMORY.md", "v1\n")
    lock = origin / "refs" / "heads" / "main.lock"  # what a push moving main holds while it does
    lock.touch()
    result = laptop.run("sync-now")
    lock.unlink()
    assert result.returncode == 0, result.stderr
    assert "authority push lease invalidated" in result.stdout
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "v0\n"
    laptop.tick()
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "v1\n"
