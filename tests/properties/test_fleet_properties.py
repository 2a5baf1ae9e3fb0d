"""Property: for random edits and deletions on three machines, no text written is ever lost (it is on main, in a
working file or in a conflict sibling after every round), and once edits stop, two more rounds of ticks (with the
trusted contributors proposing) make every machine's memory equal."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import main_files

FILES = ("a.md", "b.md", "notes/c.md")
HOSTS = ("laptop", "build-1", "build-2")  # build-* is on the shipped trusted roster

operation = st.tuples(st.sampled_from(range(3)), st.sampled_from(FILES), st.booleans())
rounds = st.lists(st.lists(operation, min_size=1, max_size=4), min_size=1, max_size=3)


def settle(machines):
    laptop, *builders = machines
    for builder in builders:
        builder.tick()
        builder.run("propose", check=True)
    laptop.tick()


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=rounds)
def test_no_edit_is_lost_and_the_fleet_converges(make_fleet, plan):
    machines, origin = make_fleet()
    counter = 0
    standing: set[str] = set()  # texts written and not yet consciously replaced or deleted by a user
    for ops in plan:
        for who, name, delete in ops:
            path = machines[who].memory("finops") / name
            # overwriting or deleting a copy you hold replaces that text on purpose: it is not lost
            if path.exists():
                standing.discard(path.read_text())
            if delete:
                path.unlink(missing_ok=True)
            else:
                counter += 1
                text = f"edit {counter} by {HOSTS[who]}\n"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                standing.add(text)
        settle(machines)
        assert standing <= kept_texts(machines, origin)
    for _ in range(2):
        settle(machines)
    everywhere = [machine.files("finops") for machine in machines]
    assert everywhere[0] == everywhere[1] == everywhere[2]
    assert standing <= kept_texts(machines, origin)


def kept_texts(machines, origin) -> set[str]:
    """Every text on main or in any machine's memory, conflict siblings included."""
    texts = set(main_files(origin).values())
    for machine in machines:
        texts.update(machine.files("finops").values())
    return texts
