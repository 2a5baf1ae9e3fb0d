"""Background processes: real daemons in a temp AGENTIHOOKS_HOME, started, found stale, and stopped safely."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import daemon
from pipeline.errors import FatalError

NAME = "sync-daemon"
LOOP = "import time\nwhile True:\n    time.sleep(0.1)\n"
# a unit of work is 0.5 s between "begin" and "end" markers; the pause between units is argv[2]
UNITS = """\
import sys, time
from pathlib import Path
from pipeline.daemon import install_sigterm_handler, interruptible_sleep

markers, pause = Path(sys.argv[1]), float(sys.argv[2])
stop = install_sigterm_handler()
while not stop():
    with markers.open("a") as out:
        out.write("begin\\n")
        out.flush()
        time.sleep(0.5)
        out.write("end\\n")
    interruptible_sleep(pause, stop)
print("stopped cleanly", flush=True)
"""


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "agentihooks"
    yield home
    daemon.stop(home, NAME, timeout=1)


def script(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "daemon.py"
    path.write_text(text)
    return [sys.executable, str(path)]


def wait_for(predicate, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running(pid: int) -> bool:
    """Not a zombie either: an orphan waits as one until whichever process adopted it reaps it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_start_status_stop(home, tmp_path):
    pid = daemon.start(home, NAME, script(tmp_path, LOOP))
    assert daemon.status(home, NAME) == (True, pid)
    assert json.loads((home / f"{NAME}.pid").read_text())["pid"] == pid
    assert os.getsid(pid) == pid

    assert daemon.stop(home, NAME) is True
    assert not exists(pid)
    assert not (home / f"{NAME}.pid").exists()
    assert daemon.status(home, NAME) == (False, None)
    assert daemon.stop(home, NAME) is False


def test_start_is_idempotent(home, tmp_path):
    argv = script(tmp_path, LOOP)
    pid = daemon.start(home, NAME, argv)
    assert daemon.start(home, NAME, argv) == pid
    assert daemon.status(home, NAME) == (True, pid)


def test_output_is_appended_to_the_log_and_env_is_passed(home, tmp_path):
    argv = script(tmp_path, "import os, sys, time\nprint('out', os.environ['MARK'], flush=True)\n"
                            "print('err', file=sys.stderr, flush=True)\ntime.sleep(30)\n")
    log = home / "logs" / f"{NAME}.log"
    for mark in ("one", "two"):
        daemon.start(home, NAME, argv, env={**os.environ, "MARK": mark})
        wait_for(lambda: log.read_text().count("err") == (1 if mark == "one" else 2))
        daemon.stop(home, NAME)
    assert log.read_text().splitlines() == ["out one", "err", "out two", "err"]


def test_a_killed_daemon_is_stale_and_its_pid_file_removed(home, tmp_path):
    pid = daemon.start(home, NAME, script(tmp_path, LOOP))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: daemon.status(home, NAME) == (False, None))
    assert not (home / f"{NAME}.pid").exists()
    assert not exists(pid)
    assert daemon.start(home, NAME, script(tmp_path, LOOP)) != pid


def test_an_unreadable_pid_file_is_stale(home):
    home.mkdir()
    (home / f"{NAME}.pid").write_text("12345\n")
    assert daemon.status(home, NAME) == (False, None)
    assert not (home / f"{NAME}.pid").exists()


@pytest.mark.parametrize("other", ["sleep", "this test"])
def test_a_reused_pid_is_stale_and_that_process_is_not_killed(home, tmp_path, other):
    daemon.start(home, NAME, script(tmp_path, LOOP))
    pid_file = home / f"{NAME}.pid"
    record = json.loads(pid_file.read_text())
    daemon.stop(home, NAME)
    # as if our daemon had died and the kernel had given its pid to a program started later
    # (start times count 10 ms ticks)
    time.sleep(0.05)
    sleeper = subprocess.Popen(["sleep", "30"]) if other == "sleep" else None
    other_pid = sleeper.pid if sleeper else os.getpid()
    reused = json.dumps({**record, "pid": other_pid})
    try:
        pid_file.write_text(reused)
        assert daemon.status(home, NAME) == (False, None)
        assert not pid_file.exists()

        pid_file.write_text(reused)
        assert daemon.stop(home, NAME, timeout=0.5) is False
        assert not pid_file.exists()
        assert exists(other_pid)
        if sleeper:
            assert sleeper.poll() is None

        assert daemon.start(home, NAME, script(tmp_path, LOOP)) != other_pid
    finally:
        if sleeper:
            sleeper.kill()
            sleeper.wait()


def test_sigterm_lets_the_current_unit_of_work_finish(home, tmp_path):
    markers = tmp_path / "markers"
    daemon.start(home, NAME, [*script(tmp_path, UNITS), str(markers), "0.05"])
    wait_for(lambda: markers.exists() and markers.read_text().endswith("begin\n"))

    assert daemon.stop(home, NAME, timeout=5) is True
    lines = markers.read_text().splitlines()
    assert lines[-1] == "end"
    assert lines.count("begin") == lines.count("end")
    assert "stopped cleanly" in (home / "logs" / f"{NAME}.log").read_text()


def test_sigterm_cuts_the_pause_between_units_short(home, tmp_path):
    markers = tmp_path / "markers"
    daemon.start(home, NAME, [*script(tmp_path, UNITS), str(markers), "30"])
    wait_for(lambda: markers.exists() and markers.read_text() == "begin\nend\n")

    started = time.monotonic()
    assert daemon.stop(home, NAME, timeout=5) is True
    assert time.monotonic() - started < 2
    assert markers.read_text() == "begin\nend\n"
    assert "stopped cleanly" in (home / "logs" / f"{NAME}.log").read_text()


def test_a_daemon_ignoring_sigterm_is_killed_with_what_it_started(home, tmp_path):
    child_file = tmp_path / "child"
    argv = script(tmp_path, "import signal, subprocess, sys, time\n"
                            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                            "child = subprocess.Popen(['sleep', '30'])\n"
                            "open(sys.argv[1], 'w').write(str(child.pid))\n"
                            "while True:\n    time.sleep(0.1)\n")
    pid = daemon.start(home, NAME, [*argv, str(child_file)])
    wait_for(lambda: child_file.exists() and child_file.read_text())
    child = int(child_file.read_text())

    assert daemon.stop(home, NAME, timeout=0.5) is True
    assert not exists(pid)
    wait_for(lambda: not running(child))
    assert daemon.status(home, NAME) == (False, None)


def test_a_program_that_cannot_run_is_a_fatal_error(home):
    with pytest.raises(FatalError, match="cannot start sync-daemon"):
        daemon.start(home, NAME, [str(home / "missing")])
    assert not (home / f"{NAME}.pid").exists()
