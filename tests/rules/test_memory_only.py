"""The memory-only rule: which paths are memory paths."""
from __future__ import annotations


import pytest

from pipeline.rules.memory_only import split_mirror_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("by-project/finops/memory/MEMORY.md", ("by-project/finops", "MEMORY.md")),
        ("_unmapped/-srv-x/memory/a/b.md", ("_unmapped/-srv-x", "a/b.md")),
        ("by-project/finops/notes.md", None),
        ("by-project/finops/memory/s.jsonl", None),
        ("by-project/finops/memory/ctx_refresh_12.json", None),
        ("by-project/finops/memory/todos/x.md", None),
        ("by-project/../memory/x.md", None),
        ("elsewhere/finops/memory/x.md", None),
        ("README.md", None),
        (b"by-project/k/memory/\xff.md", None),
    ],
)
def test_split_mirror_path(path, expected):
    assert split_mirror_path(path) == expected
