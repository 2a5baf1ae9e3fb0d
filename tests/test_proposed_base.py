"""The base a file is measured from when this machine proposed versions of it (a pure decision, as a table)."""
from __future__ import annotations

import pytest

from pipeline.steps.merge import Proposed

PATH = "by-project/finops/memory/x.md"
PROPOSED = Proposed(frozenset({(PATH, "b1"), (PATH, "b2")}), {PATH: "b2"})
NOT_MERGED = Proposed(frozenset({(PATH, "b1"), (PATH, "b2")}), {})


@pytest.mark.parametrize(
    ("proposed", "base", "main", "local", "expected", "why"),
    [
        (PROPOSED, "a", "b2", "c", "b2", "main came back with this machine's version: its later edit stays"),
        (PROPOSED, "a", "b1", None, "b1", "main came back with an older proposed version: the local deletion stays"),
        (PROPOSED, "a", "m", "b2", "b2", "main has seen the proposed version and moved on: take main's"),
        (PROPOSED, "a", "m", "b1", "b2", "local went back to an older version: an edit since what main saw"),
        (PROPOSED, "a", "m", "c", "b2", "an edit after the proposal: both sides measured from what main saw"),
        (NOT_MERGED, "a", "m", "b2", "a", "the proposal is not in main's history: the local file diverges"),
        (PROPOSED, None, None, "b2", "b2", "main deleted the version it had seen from here: a peer's deletion"),
        (PROPOSED, "a", "m", None, "b2", "deleted here after main saw it, changed on main: an edit beats a deletion"),
    ],
)
def test_base_for(proposed, base, main, local, expected, why):
    assert proposed.base_for(PATH, base, main, local) == expected, why
