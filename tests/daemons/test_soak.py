"""Soak: an authority, a trusted contributor and a consumer run their real daemons for minutes while users on
two of them write, edit and delete memory at random and the contributor's proposals are merged. Then it goes
quiet, and every machine must hold exactly main, with every text a user left in place there.

MEMORY_MIRROR_SOAK_SECONDS sets how long the writers go on (at least 120 in the suite).
"""
from __future__ import annotations

import os
import random
import time

import pytest

from conftest import main_files
from running import arrives, daemons_of

pytestmark = pytest.mark.slow
SOAK_SECONDS = max(120.0, float(os.environ.get("MEMORY_MIRROR_SOAK_SECONDS", "120")))
KEY = "by-project/finops/memory/"


class User:
    """Someone working on one machine: files of their own, edited and deleted at random; lines added to the index.

    `kept` is what they left in place: the last text of each file they did not delete, and every index line.
    """

    def __init__(self, machine, rng: random.Random):
        self.machine = machine
        self.rng = rng
        self.kept: dict[str, str] = {}
        self.index_lines: list[str] = []
        self.deleted: set[str] = set()
        self.count = 0

    def act(self) -> None:
        self.count += 1
        host = self.machine.hostname
        choice = self.rng.random()
        mine = sorted(self.kept)
        if choice < 0.45 or not mine:
            rel = f"{host}-{self.count}.md"
            self._write(rel, f"{host} wrote {rel} as its action {self.count}\n")
        elif choice < 0.75:
            rel = self.rng.choice(mine)
            self._write(rel, f"{host} rewrote {rel} at action {self.count}\n")
        elif choice < 0.9:
            rel = self.rng.choice(mine)
            (self.machine.memory("finops") / rel).unlink()
            del self.kept[rel]
            self.deleted.add(rel)
        elif host == "laptop":  # the authority's user keeps the index; the others' proposals never touch it
            line = f"- {host} note {self.count}"
            self.index_lines.append(line)
            index = self.machine.memory("finops") / "MEMORY.md"
            index.write_text(index.read_text() + line + "\n")

    def _write(self, rel: str, text: str) -> None:
        self.machine.write("finops", rel, text)
        self.kept[rel] = text
        self.deleted.discard(rel)


def test_three_daemons_under_random_edits_converge_and_lose_nothing(make_machine, origin):
    rng = random.Random(int(os.environ.get("MEMORY_MIRROR_SOAK_SEED", "7")))
    laptop = make_machine("laptop", "authority", MEMORY_MIRROR_INTERVAL_SEC="1")
    build = make_machine("build-1", "trusted", MEMORY_MIRROR_INTERVAL_SEC="1")
    pod = make_machine("pod-1", "consumer", MEMORY_MIRROR_INTERVAL_SEC="1")
    for machine in (laptop, build, pod):
        machine.project("finops")
    laptop.write("finops", "MEMORY.md", "# index\n")
    users = [User(laptop, rng), User(build, rng)]
    with daemons_of(laptop, build, pod):
        pids = {m.hostname: m.agentihooks.joinpath("sync-daemon.pid").read_text() for m in (laptop, build, pod)}
        started = time.monotonic()
        proposed_midway = False
        while time.monotonic() - started < SOAK_SECONDS:
            rng.choice(users).act()
            if not proposed_midway and time.monotonic() - started > SOAK_SECONDS / 2:
                build.run("propose", check=True, timeout=120)
                proposed_midway = True
            time.sleep(rng.uniform(0.05, 0.6))

        def converged() -> bool:
            if "nothing to propose" not in build.run("propose", check=True, timeout=120).stdout:
                return False  # a proposal went out; the authority merges it on one of its next ticks
            main = {path[len(KEY):]: text for path, text in main_files(origin).items() if path.startswith(KEY)}
            return all(machine.files("finops") == main for machine in (laptop, build, pod))

        assert arrives(converged, timeout=180)
        # the same processes ran the whole time
        assert pids == {m.hostname: m.agentihooks.joinpath("sync-daemon.pid").read_text() for m in (laptop, build, pod)}

    main = main_files(origin)
    for user in users:
        for rel, text in user.kept.items():
            assert main.get(KEY + rel) == text, rel
        for rel in user.deleted:
            assert KEY + rel not in main, rel
    index = main[KEY + "MEMORY.md"].splitlines()
    assert [line for line in index if line.startswith("- ")] == users[0].index_lines
    assert users[0].count + users[1].count > 100  # it was a soak, not a sip
    assert not any(".conflict-" in path for path in main)
