"""The per-file merge decision, one case per row of the table in DESIGN §3."""
from __future__ import annotations

import pytest

from pipeline.rules.merge_decision import (Action, Method, conflict_name, decide, how_to_merge, is_conflict_sibling_of,
                                           reconcile_copies, sibling_origin)

B, M, L, X = "base", "main", "local", "other"


@pytest.mark.parametrize(
    ("base", "main", "local", "expected"),
    [
        pytest.param(B, L, L, Action.NOTHING, id="main equals local"),
        pytest.param(None, None, None, Action.NOTHING, id="absent everywhere"),
        pytest.param(B, M, B, Action.WRITE_MAIN, id="unchanged here, changed on main: write main"),
        pytest.param(B, B, L, Action.KEEP_LOCAL, id="changed here only: keep local"),
        pytest.param(B, None, B, Action.TRASH_LOCAL, id="peer deleted an unchanged file: trash"),
        pytest.param(B, None, L, Action.KEEP_LOCAL, id="peer deleted what this machine edited: keep"),
        pytest.param(B, B, None, Action.NOTHING, id="deleted here: do not recreate"),
        pytest.param(B, M, None, Action.WRITE_MAIN, id="peer edited what this machine deleted: write main"),
        pytest.param(None, M, None, Action.WRITE_MAIN, id="new from a peer: write"),
        pytest.param(None, None, L, Action.KEEP_LOCAL, id="new here: keep"),
        pytest.param(B, M, L, Action.CONFLICT, id="changed on both sides: conflict sibling"),
        pytest.param(None, M, L, Action.CONFLICT, id="no base and different: conflict sibling"),
    ],
)
def test_decide(base, main, local, expected):
    assert decide(base, main, local) is expected


@pytest.mark.parametrize(
    ("rel", "base", "main", "local", "expected"),
    [
        pytest.param("notes.md", b"a\n", b"b\n", b"c\n", Method.LINES, id="text: merge the lines"),
        pytest.param("notes.md", None, b"b\n", b"c\n", Method.LINES, id="no base: lines against an empty file"),
        pytest.param("MEMORY.md", b"a\n", b"b\n", b"c\n", Method.ENTRIES, id="the index: by entry"),
        pytest.param("sub/MEMORY.md", b"a\n", b"b\n", b"c\n", Method.LINES, id="an index below the top: lines"),
        pytest.param("pic.png", b"\0a", b"\0b", b"\0c", Method.WHOLE_FILE, id="binary: whole file"),
        pytest.param("MEMORY.md", b"a\n", b"b\0", b"c\n", Method.WHOLE_FILE, id="one binary side: whole file"),
    ],
)
def test_how_a_file_changed_on_both_sides_is_merged(rel, base, main, local, expected):
    assert how_to_merge(rel, base, main, local) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MEMORY.md", "MEMORY.conflict-h-7.md"),
        ("a.b.md", "a.b.conflict-h-7.md"),
        ("README", "README.conflict-h-7"),
        (".hidden", ".hidden.conflict-h-7"),
    ],
)
def test_conflict_name_splits_at_the_last_dot(name, expected):
    assert conflict_name(name, "h", 7) == expected
    assert is_conflict_sibling_of(expected, name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.conflict-build-07-1712345678.md", ("notes.md", "build-07", 1712345678)),
        ("a.b.conflict-h-7.md", ("a.b.md", "h", 7)),
        ("README.conflict-h-7", ("README", "h", 7)),
        ("notes.md", None),
        ("notes.conflict-h.md", None),
    ],
)
def test_sibling_origin_names_the_file_the_host_and_the_time(name, expected):
    assert sibling_origin(name) == expected


def test_a_sibling_of_another_file_is_not_taken_for_ones_own():
    assert not is_conflict_sibling_of("notes.conflict-h-7.md", "MEMORY.md")


@pytest.mark.parametrize(
    ("base", "copies", "expected"),
    [
        (B, [B, B], (B, [])),
        (B, [B, L], (L, [])),
        (B, [L, X], (L, [X])),
        (B, [None, B], (None, [])),
        (B, [None, L], (L, [])),
        (None, [L, None], (L, [])),
        (None, [L, X, L], (L, [X])),
    ],
)
def test_reconcile_copies_of_one_key_keeps_every_changed_version(base, copies, expected):
    assert reconcile_copies(base, copies) == expected
