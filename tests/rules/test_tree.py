"""Snapshot tree composition and the guard, as pure functions."""
from __future__ import annotations

import pytest

from pipeline.rules.tree import TreeEntry, case_collisions, compose_key_root, forbidden_entries, is_repo_file


def tree(name: str, sha: str) -> TreeEntry:
    return TreeEntry("040000", "tree", sha, name.encode())


def names(entries):
    return {e.path.decode(): e.sha for e in entries}


def test_keys_this_machine_lacks_are_carried_over_untouched():
    base = {"billing": tree("billing", "b1"), "finops": tree("finops", "f1")}
    result = compose_key_root(base, {"finops": "f2"}, replace={"finops"})
    assert names(result) == {"billing": "b1", "finops": "f2"}


def test_a_merged_key_with_no_memory_left_is_deleted():
    base = {"finops": tree("finops", "f1")}
    assert compose_key_root(base, {"finops": None}, replace={"finops"}) == []


def test_a_key_not_merged_yet_only_fills_in_what_the_base_lacks():
    base = {"finops": tree("finops", "f1")}
    result = compose_key_root(base, {"finops": None, "new": "n1"}, replace=set())
    assert names(result) == {"finops": "f1", "new": "n1"}


def test_the_guard_names_every_path_that_must_not_leave():
    entries = [
        TreeEntry("100644", "blob", "a", b"by-project/k/memory/ok.md"),
        TreeEntry("100644", "blob", "b", b"by-project/k/memory/t.jsonl"),
        TreeEntry("120000", "blob", "c", b"by-project/k/memory/link.md"),
        TreeEntry("100644", "blob", "d", b"secrets.txt"),
        TreeEntry("160000", "commit", "e", b"by-project/k/memory/sub"),
    ]
    assert forbidden_entries(entries) == [
        "by-project/k/memory/t.jsonl (not a memory file)",
        "by-project/k/memory/link.md (a symlink)",
        "secrets.txt (not a memory file)",
        "by-project/k/memory/sub (a submodule)",
    ]


@pytest.mark.parametrize("paths, changed, pairs", [
    (["k/memory/Notes.md", "k/memory/notes.md"], {"k/memory/notes.md"}, [("k/memory/Notes.md", "k/memory/notes.md")]),
    # a collision the change did not make is not this change's problem
    (["k/memory/Notes.md", "k/memory/notes.md", "k/memory/new.md"], {"k/memory/new.md"}, []),
    # a file and a dir
    (["k/memory/ideas", "k/memory/Ideas/one.md"], {"k/memory/Ideas/one.md"}, [("k/memory/Ideas", "k/memory/ideas")]),
    # two dirs: named once, not again for each file they both hold
    (["by-project/Alpha/memory/MEMORY.md", "by-project/alpha/memory/MEMORY.md"], {"by-project/alpha/memory/MEMORY.md"},
     [("by-project/Alpha", "by-project/alpha")]),
    (["k/memory/a.md", "k/memory/b.md"], {"k/memory/a.md"}, []),
    (["k/memory/straße.md", "k/memory/STRASSE.md"], {"k/memory/straße.md"}, [("k/memory/STRASSE.md", "k/memory/straße.md")]),
])
def test_case_collisions(paths, changed, pairs):
    assert case_collisions(paths, changed) == pairs


@pytest.mark.parametrize("path, repo_file", [
    (b"README.md", True), (b".github/workflows/ci.yml", True), (b"LICENSE", True),
    (b"by-project/k/memory/a.md", False), (b"_unmapped/x/memory/a.md", False), (b"by-project/README.md", False),
])
def test_the_repos_own_files_are_those_outside_the_key_roots(path, repo_file):
    assert is_repo_file(path) is repo_file
