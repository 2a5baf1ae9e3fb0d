"""MEMORY.md merged by entry (keyed by link target), one case per rule."""
from __future__ import annotations

import pytest

from pipeline.rules.index_merge import IndexMerge, load_limit_note, merge_index, topic_targets

HEAD = "# Memory Index\n\n"
A, B, C = "- [A](a.md) — alpha\n", "- [B](b.md) — beta\n", "- [C](c.md) — gamma\n"
A2, A3 = "- [A](a.md) — alpha, revised\n", "- [A](a.md) — alpha, otherwise\n"


@pytest.mark.parametrize(
    ("base", "main", "local", "expected"),
    [
        pytest.param(HEAD + A, HEAD + A + B, HEAD + A + C, IndexMerge(HEAD + A + C + B, ()),
                     id="added on both sides: both kept, this machine's where it stood"),
        pytest.param(HEAD + A + B, HEAD + B, HEAD + A + B + C, IndexMerge(HEAD + B + C, ()),
                     id="removed on main, unchanged here: removed"),
        pytest.param(HEAD + A + B, HEAD + A + B + C, HEAD + B, IndexMerge(HEAD + B + C, ()),
                     id="removed here, unchanged on main: removed"),
        pytest.param(HEAD + A + B, HEAD + A2 + B, HEAD + A + B + C, IndexMerge(HEAD + A2 + B + C, ()),
                     id="edited on main: main's text"),
        pytest.param(HEAD + A + B, HEAD + A + B + C, HEAD + A2 + B, IndexMerge(HEAD + A2 + B + C, ()),
                     id="edited here: this machine's text"),
        pytest.param(HEAD + A + B, HEAD + A2 + B, HEAD + B, IndexMerge(HEAD + A2 + B, ()),
                     id="edited on main, removed here: the edit wins"),
        pytest.param(HEAD + A + B, HEAD + B + C, HEAD + A2 + B, IndexMerge(HEAD + A2 + B + C, ()),
                     id="removed on main, edited here: the edit wins"),
        pytest.param(HEAD + A, HEAD + A2 + B, HEAD + A3, IndexMerge(HEAD + A3 + B, ("a.md",)),
                     id="edited differently on both sides: this machine's text, a conflict"),
        pytest.param(HEAD + A, HEAD + B + A, HEAD + A + C, IndexMerge(HEAD + B + A + C, ()),
                     id="main's order"),
        pytest.param(HEAD + A, "# Index\n\n" + A, HEAD + A + B, IndexMerge("# Index\n\n" + A + B, ()),
                     id="a heading changed on one side is taken"),
        pytest.param(None, HEAD + A, HEAD + B, IndexMerge(HEAD + B + A, ()),
                     id="no base: the union"),
        pytest.param(A + "\n" + B, A + "\n" + B + "\n" + C, A + B, IndexMerge(A + B + "\n" + C, ()),
                     id="a repeated blank line counts per occurrence"),
        pytest.param(A, A + "- [A again](a.md) — twice\n", A + B, IndexMerge(A + B + "- [A again](a.md) — twice\n", ()),
                     id="a second entry for one target is an ordinary line"),
        pytest.param(A, A + B.rstrip("\n"), A + C, IndexMerge(A + C + B, ()),
                     id="a final newline on either side is kept"),
        pytest.param(HEAD + A, "# Index\n\n" + A, "# Our index\n\n" + A + B,
                     IndexMerge("# Our index\n\n" + A + B, (), overlapping_text=True),
                     id="one heading edited on both sides: a conflict, this machine's index kept"),
        pytest.param("v1\n", "laptop's text\n", "build's text\n",
                     IndexMerge("build's text\n", (), overlapping_text=True),
                     id="prose replaced on both sides: a conflict"),
        pytest.param(HEAD + A + "\nnotes\n", "# Index\n\n" + A + "\nnotes\n", HEAD + A + "\nmore notes\n",
                     IndexMerge("# Index\n\n" + A + "\nmore notes\n", ()),
                     id="prose edited at two places: both taken"),
    ],
)
def test_merge_index(base, main, local, expected):
    assert merge_index(base, main, local) == expected


def test_topic_targets_are_the_entries_that_name_a_memory_file():
    text = HEAD + A + "- [Docs](https://example.com/x) — a link\n* [Sub](notes/b.md#part) — section\nprose [x](c.md)\n"
    assert topic_targets(text) == ["a.md", "notes/b.md"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x\n" * 200, None),
        ("x\n" * 201, "201 lines, 402 bytes: Claude loads only the first 200 lines / 25000 bytes"),
        ("x" * 25_001, "1 lines, 25001 bytes: Claude loads only the first 200 lines / 25000 bytes"),
    ],
)
def test_load_limit_note(text, expected):
    assert load_limit_note(text) == expected
