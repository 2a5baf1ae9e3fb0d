"""Two real ticks on one machine at once (not a lock held by hand): while the first is held up in its push,
a second with --no-wait skips and a third waits, each naming the first by its pid, and the waiting one's
edit still gets out once it runs."""
from __future__ import annotations

import subprocess
import sys
from functools import partial

from conftest import main_files, seeded_authority, wait_for as poll


wait_for = partial(poll, timeout=60.0, step=0.02)


def hold_the_next_push(origin, root) -> tuple:
    """Origin's pre-receive hook parks the next push until `release` exists; `entered` says it is parked."""
    armed, entered, release = root / "armed", root / "entered", root / "release"
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(f"""#!{sys.executable}
import os, sys, time
sys.stdin.read()
if os.path.exists({str(armed)!r}):
    os.unlink({str(armed)!r})
    open({str(entered)!r}, "w").close()
    while not os.path.exists({str(release)!r}):
        time.sleep(0.02)
""")
    hook.chmod(0o755)
    armed.touch()
    return entered, release


def test_a_tick_started_during_another_skips_or_waits_and_names_the_one_running(make_machine, origin, tmp_path):
    laptop = seeded_authority(make_machine)
    log = laptop.agentihooks / "logs" / "sync-daemon.log"

    entered, release = hold_the_next_push(origin, tmp_path)
    laptop.write("finops", "MEMORY.md", "v2, the first tick's\n")
    argv = [sys.executable, "-m", "pipeline", "sync-now"]
    first = subprocess.Popen(argv, env=laptop.env(), cwd=laptop.home, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    waiting = None
    try:
        assert wait_for(entered.exists), "the first tick never reached its push"
        skipped = laptop.run("sync-now", "--no-wait")
        assert skipped.returncode != 0
        assert f"another tick is running (pid {first.pid}); skipped this one" in skipped.stderr

        laptop.write("finops", "MEMORY.md", "v3, the waiting tick's\n")
        waiting = subprocess.Popen(argv, env=laptop.env(), cwd=laptop.home, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        said = f"another tick is running (pid {first.pid}); waiting for it to finish"
        assert wait_for(lambda: said in log.read_text()), "the second tick never said it was waiting"
        assert first.poll() is None  # still parked in its push: the wait really overlapped it
    finally:
        release.touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "push: main ->" in out
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert said in out
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "v3, the waiting tick's\n"
