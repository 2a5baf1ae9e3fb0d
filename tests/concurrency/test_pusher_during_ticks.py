"""The pusher publishes the host branch while ticks commit, fetch and push in the same mirror: neither one
trips over the other (a pusher that starts before the mirror exists leaves its creation to the first tick; a
push of the host branch by both at the same moment is no failure), and origin ends up with exactly what the
machine committed."""
from __future__ import annotations

import signal
import subprocess
import sys
from functools import partial

from conftest import git, main_files, origin_refs, wait_for as poll

TICKS = 6
# what a git lock collision looks like when it surfaces in output
LOCK_TROUBLE = ("index.lock", "cannot lock ref", "Unable to create", "failed to lock", "unable to lock")


wait_for = partial(poll, timeout=30.0)


def test_ticks_in_a_row_with_the_pusher_running_never_fail_and_lose_nothing(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.project("billing")
    laptop.write("finops", "MEMORY.md", "v0\n")

    # started before there is a mirror at all, as `memory-sync start` on a new machine does: the first tick
    # creates the mirror while the pusher already waits for it
    log_path = laptop.root / "pusher.out"
    with open(log_path, "w") as out:
        pusher = subprocess.Popen([sys.executable, "-m", "pipeline", "daemon", "pusher"], env=laptop.env(),
                                  cwd=laptop.home, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: "started: publishing" in log_path.read_text())
        laptop.tick()
        host = "refs/heads/gitfoam/laptop/main"
        outputs = []
        for i in range(TICKS):
            # the commit step moves the host branch mid-tick: the pusher pushes while the tick fetches,
            # merges and pushes the same branch itself
            laptop.write("finops", "MEMORY.md", f"v{i + 1}\n")
            laptop.write("finops", f"note-{i}.md", f"note {i}\n")
            laptop.write("billing", "MEMORY.md", f"billing {i}\n")
            result = laptop.tick()
            outputs.append(result.stdout + result.stderr)
        local_tip = git("rev-parse", host, cwd=laptop.mirror).strip()
        # the pusher may land a push it started just before the last tick's own push: it then pushes again
        assert wait_for(lambda: origin_refs(origin).get(host) == local_tip), "origin's host branch is not the local tip"
        assert pusher.poll() is None, "the pusher died"
    finally:
        pusher.send_signal(signal.SIGTERM)
        pusher.wait(timeout=30)

    for output in outputs:
        assert not any(trouble in output for trouble in LOCK_TROUBLE), output
    expected = {"by-project/finops/memory/MEMORY.md": f"v{TICKS}\n",
                "by-project/billing/memory/MEMORY.md": f"billing {TICKS - 1}\n",
                **{f"by-project/finops/memory/note-{i}.md": f"note {i}\n" for i in range(TICKS)}}
    assert main_files(origin, "gitfoam/laptop/main") == expected
    assert main_files(origin) == expected
    pusher_log = log_path.read_text()
    assert "pushed gitfoam/laptop/main" in pusher_log
    assert pusher_log.rstrip().endswith("stopped")
    assert not any(word in pusher_log for word in ("failed", "refused", "Traceback", *LOCK_TROUBLE)), pusher_log
    gitfoam_log = laptop.agentihooks / "logs" / "gitfoam.log"
    assert not gitfoam_log.exists() or "ERROR" not in gitfoam_log.read_text()
    tick_log = (laptop.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert not any(trouble in tick_log for trouble in LOCK_TROUBLE)
    assert " failed" not in tick_log
