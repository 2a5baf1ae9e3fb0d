"""The tick as a doit task graph: `doit list`, partial chains, single steps, dry runs, and `memory-sync plan`."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT, encode, main_files, origin_refs, seeded_authority


def doit(machine, *args):
    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=REPO_ROOT, env=machine.env(),
                          capture_output=True, text=True)


def test_doit_list_shows_one_task_per_step_of_the_role(make_machine):
    contributor = make_machine("build-01", "contributor")
    listing = doit(contributor, "list", "--all").stdout
    names = [line.split()[0] for line in listing.splitlines()]
    assert names == ["check", "migrate", "propose", "sweep", "tick", "tick:commit", "tick:fetch", "tick:merge", "tick:push",
                     "tick:resnapshot", "tick:resolve", "tick:seed", "tick:snapshot"]
    consumer = make_machine("pod-1", "consumer")
    names = [line.split()[0] for line in doit(consumer, "list", "--all").stdout.splitlines()]
    assert names == ["check", "migrate", "propose", "sweep", "tick", "tick:fetch", "tick:merge", "tick:resolve"]


def test_doit_list_shows_every_action_the_authority_takes_as_a_step(make_machine):
    laptop = make_machine("laptop", "authority")
    listing = doit(laptop, "list", "--all").stdout.splitlines()
    steps = {line.split()[0]: line.split(None, 1)[1] for line in listing if line.startswith("tick:")}
    assert set(steps) == {f"tick:{step}" for step in ("resolve", "snapshot", "commit", "seed", "fetch",
                                                       "accept-trusted", "merge", "resnapshot", "push")}
    assert "as main when origin has none" in steps["tick:seed"]
    assert "proposals of rostered hosts" in steps["tick:accept-trusted"]
    tick = next(line for line in listing if line.startswith("tick "))
    assert "seed -> fetch -> accept-trusted -> merge" in tick


def test_a_task_runs_the_chain_up_to_it_and_s_runs_one_step_alone(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    assert doit(laptop, "tick").returncode == 0
    laptop.write("finops", "MEMORY.md", "v2\n")
    partial = doit(laptop, "tick:merge")
    assert partial.returncode == 0, partial.stderr
    assert [line.split(":")[0] for line in partial.stdout.splitlines()] == \
        ["resolve", "snapshot", "commit", "seed", "fetch", "accept-trusted", "merge"]
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "v1\n"  # push did not run
    alone = doit(laptop, "-s", "tick:fetch")
    assert alone.returncode == 0, alone.stderr
    assert [line.split(":")[0] for line in alone.stdout.splitlines()] == ["fetch"]


def test_a_dry_run_prints_every_mutating_command_and_changes_nothing(make_machine, origin):
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "MEMORY.md", "v2\n")
    refs = origin_refs(origin)
    mirror_head = (laptop.mirror / ".git" / "refs").stat().st_mtime_ns
    objects = sorted((laptop.mirror / ".git" / "objects").rglob("*"))
    result = doit(laptop, "tick", "dry_run=1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "would run: rsync" in out
    assert f"would write: the tree of {laptop.mirror / 'projects' / encode(laptop.home / 'dev' / 'finops')}" in out
    assert "would write: commit of" in out and "would write: refs refs/heads/" in out
    assert "would run: git --no-pager" in out and " push " in out
    assert origin_refs(origin) == refs
    assert (laptop.mirror / ".git" / "refs").stat().st_mtime_ns == mirror_head
    assert sorted((laptop.mirror / ".git" / "objects").rglob("*")) == objects
    assert "v1" in (laptop.mirror / "projects").joinpath(
        *[p.name for p in [laptop.memory("finops").parent]], "memory", "MEMORY.md").read_text()


def test_plan_shows_the_roles_steps_and_commands_on_a_fresh_machine(make_machine, origin):
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    result = pod.run("plan", "--role", "contributor")
    assert result.returncode == 0, result.stderr
    assert "role: contributor" in result.stdout
    assert "steps: resolve -> snapshot -> commit -> seed -> fetch -> merge -> resnapshot -> push" in result.stdout
    assert "would run: git init" in result.stdout
    assert not pod.mirror.exists()


def test_identities_lists_keys_markers_paths_and_flags_collisions(make_machine):
    machine = make_machine("laptop", "contributor")
    machine.project("publisher", where="org-a")
    machine.project("publisher", where="org-b")
    machine.project("finops", marker="agent.yml")
    result = machine.run("identities")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ENCODED", "DIR", "KEY", "MARKER", "REAL", "PATH", "NOTE"]
    finops = next(line for line in lines if "finops" in line)
    assert "by-project/finops" in finops and "agent.yml" in finops
    collided = [line for line in lines if "COLLISION" in line]
    assert len(collided) == 1 and "_unmapped/" in collided[0] and "org-a" in collided[0]
    assert "gives it a key" in result.stdout


def test_agentihooks_memory_sync_works_as_the_spec_writes_it(make_machine):
    machine = make_machine("laptop", "off")
    result = subprocess.run(["agentihooks", "memory-sync", "plan"], env=machine.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "role: off" in result.stdout
