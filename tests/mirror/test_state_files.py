"""Every state file is named in one table (state_files.py): a name that is not there is refused, and a fleet's
ticks leave no other file in state/."""
from __future__ import annotations

import pytest

from conftest import authority_and
from pipeline.mirror.state import State
from pipeline.mirror.state_files import STATE_FILES


def test_a_state_name_that_is_not_in_the_table_is_refused(tmp_path):
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    with pytest.raises(ValueError, match="'snapshots' is not a state file of state_files.py"):
        State(state_dir).write("snapshots", {"commit": "0" * 40})
    assert not list(state_dir.iterdir())


def test_the_state_a_fleet_leaves_is_all_named_in_the_table(make_machine):
    laptop, build = authority_and(make_machine, "build-01", "contributor")
    build.write("finops", "notes.md", "from build\n")
    build.tick()
    assert build.run("propose").returncode == 0
    laptop.tick()
    for machine in (laptop, build):
        names = {path.stem for path in (machine.agentihooks / "state").glob("*.json")}
        assert {"base", "snapshot", "fetch", "identities"} <= names
        assert names <= set(STATE_FILES), names - set(STATE_FILES)
