"""The base a file is measured from when this machine proposed versions of it (a pure decision, as a table)."""
from __future__ import annotations

import pytest

from pipeline.fleet.propose import remember_proposed
from pipeline.steps.merge import Proposed, proposed_from
from pipeline.tools.git_formats import Change

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


OTHER = "by-project/finops/memory/y.md"


@pytest.mark.parametrize(
    ("files", "reached", "seen", "why"),
    [
        ([[PATH, ["b1", "b2"], "p2"]], {"p2", "m"}, {PATH: "b2"}, "its proposal reached main since the base"),
        ([[PATH, ["b1"], "p1"], [OTHER, ["y1"], "p2"]], {"p2"}, {OTHER: "y1"},
         "a file of an earlier proposal, in main before the base: the base is the common ground"),
        ([[PATH, ["b1"], "p1"]], set(), {}, "its proposal is not in main yet"),
        ([[PATH, ["b1"]]], {"p1"}, {}, "recorded without its proposal: the base is the common ground"),
    ],
)
def test_what_main_has_seen_from_here(files, reached, seen, why):
    proposed = proposed_from(files, reached)
    assert proposed.seen_by_main == seen, why
    assert proposed.versions == {(path, sha) for path, versions, *_ in files for sha in versions}


def test_each_file_remembers_the_proposal_that_carried_its_newest_version():
    def change(path, sha):
        return Change(path.encode(), "100644", None, "100644", sha)

    known = remember_proposed([[PATH, ["b1"]]], [change(OTHER, "y1")], "p1")
    known = remember_proposed(known, [change(PATH, "b2"), change(OTHER, None)], "p2")
    assert known == [[OTHER, ["y1"], "p1"], [PATH, ["b1", "b2"], "p2"]]
