"""Ticks on one machine never overlap: a second one waits, or with --no-wait skips, and says which."""
from __future__ import annotations

import fcntl
import os


def hold_lock(machine):
    machine.agentihooks.mkdir(parents=True, exist_ok=True)
    fd = os.open(machine.agentihooks / "tick.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, b"4242", 0)
    return fd


def test_a_second_tick_skips_with_no_wait_and_says_who_holds_the_lock(make_machine, origin):
    machine = make_machine("laptop", "authority")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "v1\n")
    fd = hold_lock(machine)
    try:
        result = machine.run("sync-now", "--no-wait")
    finally:
        os.close(fd)
    assert result.returncode != 0
    assert "another tick is running (pid 4242); skipped this one" in result.stderr
    assert not machine.mirror.exists()


def test_a_second_tick_waits_and_then_runs(make_machine, origin):
    import subprocess
    import sys
    import time

    machine = make_machine("laptop", "authority")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "v1\n")
    fd = hold_lock(machine)
    waiting = subprocess.Popen([sys.executable, "-m", "pipeline", "sync-now", "--wait", "60"], env=machine.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # its first words, once it has reached the lock (however long a loaded machine takes to get there)
    assert waiting.stdout.readline() == "another tick is running (pid 4242); waiting for it to finish\n"
    time.sleep(0.5)
    assert waiting.poll() is None
    os.close(fd)
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "push: main" in out
