"""Machines whose daemons run for real: started by `install`, left running across many ticks, stopped at the end."""
from __future__ import annotations

import json
from contextlib import contextmanager

from conftest import git, origin_refs, wait_for


def status_json(machine) -> dict:
    return json.loads(machine.run("status", "--json", check=True).stdout)


@contextmanager
def daemons_of(*machines):
    """Install (which starts the daemons) on each machine in turn; stop them all however the test ends."""
    try:
        for machine in machines:
            machine.run("install", check=True, timeout=120)
        yield machines
    finally:
        for machine in machines:
            machine.run("stop", timeout=60)


def laptop_and(make_machine, host: str, role: str) -> tuple:
    """The authority `laptop` (its MEMORY.md at v0) and one more machine, both with finops, ticking every second."""
    laptop = make_machine("laptop", "authority", MEMORY_MIRROR_INTERVAL_SEC="1")
    other = make_machine(host, role, MEMORY_MIRROR_INTERVAL_SEC="1")
    for machine in (laptop, other):
        machine.project("finops")
    laptop.write("finops", "MEMORY.md", "v0\n")
    return laptop, other


def on_branch(origin, branch: str, path: str) -> str | None:
    if f"refs/heads/{branch}" not in origin_refs(origin):
        return None
    try:
        return git("show", f"{branch}:{path}", cwd=origin)
    except Exception:  # not there (yet)
        return None


def arrives(predicate, timeout: float = 30.0) -> bool:
    """The bound only stops a broken run; it is no speed target (the benchmarks measure speed)."""
    return wait_for(predicate, timeout=timeout, step=0.05)
