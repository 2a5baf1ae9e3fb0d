"""A bug is reported, never hidden: one line naming a crash log, exit 70, and the outcome in status. Output into
a pipe whose reader has gone ends quietly, and a command killed by a signal is an ordinary failure."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import main_files, seeded_authority
from pipeline.errors import FatalError
from pipeline.tools.run import Runner


def test_an_unexpected_error_in_a_step_gives_one_line_a_crash_log_and_exit_70(make_machine, origin):
    seeded_authority(make_machine)
    build = make_machine("build-01", "contributor", MEMORY_MIRROR_CRASH="raise:before:merge")
    build.project("finops")
    result = build.run("sync-now")
    assert result.returncode == 70
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    logs = build.agentihooks / "logs"
    crash_log, = logs.glob("crash-*.log")
    assert lines[0] == (f"error: unexpected error in merge: InjectedFault: injected fault at before:merge. This is a "
                        f"bug in memory-mirror; the details are in {crash_log} (please include that file when you "
                        "report it)")
    text = crash_log.read_text()
    assert text.startswith("memory-mirror 0.1.0 crashed in merge\n")
    assert "Traceback (most recent call last):" in text and "pipeline/faults.py" in text
    del build.extra_env["MEMORY_MIRROR_CRASH"]
    last = json.loads(build.run("status", "--json", check=True).stdout)["last_tick"]
    assert (last["ok"], last["step"], last["exit"], last["failures"]) == (False, "merge", 70, 1)
    assert last["message"] == lines[0][len("error: "):]
    assert build.run("sync-now").returncode == 0  # the next tick finishes the job
    assert json.loads(build.run("status", "--json", check=True).stdout)["last_tick"]["ok"]


def test_output_into_a_closed_pipe_ends_quietly_and_the_tick_still_runs(make_machine, origin):
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "later.md", "written while nobody reads the output\n")
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head` does once it has its lines
    try:
        for verb in ("status", "sync-now", "identities"):
            result = subprocess.run([sys.executable, "-m", "pipeline", verb], env=laptop.env(), cwd=laptop.home,
                                    stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
            assert result.stderr == "", verb
            assert result.returncode in (0, 141), verb
    finally:
        os.close(write_end)
    assert main_files(origin)["by-project/finops/memory/later.md"] == "written while nobody reads the output\n"


def test_a_command_killed_by_a_signal_is_an_ordinary_failure():
    runner = Runner()
    assert runner.run("sh", "-c", "kill -9 $$", check=False).code == -9
    with pytest.raises(FatalError) as failure:
        runner.run("sh", "-c", "kill -TERM $$")
    assert str(failure.value) == "command failed: sh -c 'kill -TERM $$'\n  killed by signal 15\n  stderr:\n    (none)"
