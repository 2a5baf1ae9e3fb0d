"""Background processes: real daemons in a temp AGENTIHOOKS_HOME, started, found stale, and stopped safely."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import FatalError
from pipeline.services import supervise

NAME = "sync-daemon"
# every script is a daemon of ours: it holds the PID file and says it is ready (argv[1] is AGENTIHOOKS_HOME)
SERVE = "import sys, time\nfrom pathlib import Path\nfrom pipeline.services.supervise import serving\n" \
        "with serving(Path(sys.argv[1]), 'sync-daemon'):\n"
LOOP = SERVE + "    while True:\n        time.sleep(0.1)\n"
# a unit of work is 0.5 s between "begin" and "end" markers; the pause between units is argv[3]
UNITS = SERVE + """\
    from pipeline.services.supervise import install_sigterm_handler, interruptible_sleep
    markers, pause = Path(sys.argv[2]), float(sys.argv[3])
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
    supervise.stop(home, NAME, timeout=1)


@pytest.fixture
def script(tmp_path, home):
    def make(text: str) -> list[str]:
        path = tmp_path / "daemon.py"
        path.write_text(text)
        return [sys.executable, str(path), str(home)]

    return make


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


def test_start_status_stop(home, script):
    pid = supervise.start(home, NAME, script(LOOP))
    assert supervise.status(home, NAME) == (True, pid)
    # the bare pid on the first line: `kill $(cat ~/.agentihooks/sync-daemon.pid)` works
    assert (home / f"{NAME}.pid").read_text().splitlines()[0] == str(pid)
    assert os.getsid(pid) == pid

    assert supervise.stop(home, NAME) is True
    assert not exists(pid)
    assert not (home / f"{NAME}.pid").exists()
    assert supervise.status(home, NAME) == (False, None)
    assert supervise.stop(home, NAME) is False


def test_start_is_idempotent(home, script):
    argv = script(LOOP)
    pid = supervise.start(home, NAME, argv)
    assert supervise.start(home, NAME, argv) == pid
    assert supervise.status(home, NAME) == (True, pid)


def test_a_second_copy_refuses_while_the_first_holds_the_pid_file(home, script):
    pid = supervise.start(home, NAME, script(LOOP))
    second = subprocess.run(script(LOOP), capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert f"sync-daemon is already running (PID {pid})" in second.stderr
    assert supervise.status(home, NAME) == (True, pid)


def test_output_is_appended_to_the_log_and_env_is_passed(home, script):
    argv = script(SERVE + "    import os\n    print('out', os.environ['MARK'], flush=True)\n"
                          "    print('err', file=sys.stderr, flush=True)\n    time.sleep(30)\n")
    log = home / "logs" / f"{NAME}.log"
    for mark in ("one", "two"):
        supervise.start(home, NAME, argv, env={**os.environ, "MARK": mark})
        wait_for(lambda: log.read_text().count("err") == (1 if mark == "one" else 2))
        supervise.stop(home, NAME)
    assert log.read_text().splitlines() == ["out one", "err", "out two", "err"]


def test_a_daemon_that_dies_before_it_is_ready_is_reported_with_its_log(home, script):
    argv = script("import sys\nprint('loading the watcher')\nimport no_such_module_here\n")
    with pytest.raises(FatalError) as failure:
        supervise.start(home, NAME, argv)
    message = str(failure.value)
    assert message.startswith(f"sync-daemon did not start ({argv[0]} {argv[1]} {argv[2]} exited with status 1); "
                              f"the last lines of {home / 'logs' / 'sync-daemon.log'}:\n")
    assert "    loading the watcher" in message
    assert "    ModuleNotFoundError: No module named 'no_such_module_here'" in message
    assert supervise.status(home, NAME) == (False, None)


def test_a_program_that_never_says_it_is_ready_is_killed_and_reported(home, tmp_path):
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text("import time\nprint('up, but no handshake', flush=True)\ntime.sleep(60)\n")
    with pytest.raises(FatalError, match="sync-daemon did not start .* was killed by signal 9"):
        supervise.start(home, NAME, [sys.executable, str(sleeper)], ready_seconds=1)
    assert supervise.status(home, NAME) == (False, None)


def test_a_killed_daemon_is_stale_and_a_new_one_takes_its_pid_file(home, script):
    pid = supervise.start(home, NAME, script(LOOP))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: supervise.status(home, NAME) == (False, None))
    assert not exists(pid) or not running(pid)
    new = supervise.start(home, NAME, script(LOOP))
    assert new != pid
    assert (home / f"{NAME}.pid").read_text().splitlines()[0] == str(new)


def test_a_pid_file_nobody_holds_is_stale(home):
    home.mkdir()
    (home / f"{NAME}.pid").write_text("12345\n")
    assert supervise.status(home, NAME) == (False, None)
    assert supervise.stop(home, NAME) is False
    assert not (home / f"{NAME}.pid").exists()


def test_a_pid_file_naming_another_live_program_never_gets_it_killed(home):
    """As if our daemon had died and the kernel had handed its pid to a program started later."""
    home.mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (home / f"{NAME}.pid").write_text(f"{sleeper.pid}\n")
        assert supervise.status(home, NAME) == (False, None)
        assert supervise.stop(home, NAME, timeout=0.5) is False
        assert sleeper.poll() is None
        assert not (home / f"{NAME}.pid").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_sigterm_lets_the_current_unit_of_work_finish(home, script, tmp_path):
    markers = tmp_path / "markers"
    supervise.start(home, NAME, [*script(UNITS), str(markers), "0.05"])
    wait_for(lambda: markers.exists() and markers.read_text().endswith("begin\n"))

    assert supervise.stop(home, NAME, timeout=5) is True
    lines = markers.read_text().splitlines()
    assert lines[-1] == "end"
    assert lines.count("begin") == lines.count("end")
    assert "stopped cleanly" in (home / "logs" / f"{NAME}.log").read_text()


def test_sigterm_cuts_the_pause_between_units_short(home, script, tmp_path):
    markers = tmp_path / "markers"
    supervise.start(home, NAME, [*script(UNITS), str(markers), "30"])
    wait_for(lambda: markers.exists() and markers.read_text() == "begin\nend\n")

    started = time.monotonic()
    assert supervise.stop(home, NAME, timeout=5) is True
    assert time.monotonic() - started < 2
    assert markers.read_text() == "begin\nend\n"
    assert "stopped cleanly" in (home / "logs" / f"{NAME}.log").read_text()


def test_a_daemon_ignoring_sigterm_is_killed_with_what_it_started(home, script, tmp_path):
    child_file = tmp_path / "child"
    argv = script(SERVE + "    import signal, subprocess\n"
                          "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                          "    child = subprocess.Popen(['sleep', '30'])\n"
                          "    open(sys.argv[2], 'w').write(str(child.pid))\n"
                          "    while True:\n        time.sleep(0.1)\n")
    pid = supervise.start(home, NAME, [*argv, str(child_file)])
    wait_for(lambda: child_file.exists() and child_file.read_text())
    child = int(child_file.read_text())

    assert supervise.stop(home, NAME, timeout=0.5) is True
    assert not running(pid)
    wait_for(lambda: not running(child))
    assert supervise.status(home, NAME) == (False, None)


def test_a_program_that_cannot_run_is_a_fatal_error(home):
    with pytest.raises(FatalError, match="cannot start sync-daemon"):
        supervise.start(home, NAME, [str(home / "missing")])
    assert not (home / f"{NAME}.pid").exists()
