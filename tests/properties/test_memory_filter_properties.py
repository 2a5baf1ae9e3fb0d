"""The memory-only rule as properties over random trees: nothing but memory is ever copied or committed."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import every_path_on
from pipeline.rules.memory_only import is_memory_relpath, is_mirror_path
from pipeline.tools import localcopy, rsync
from pipeline.tools.run import Runner

names = st.sampled_from(["memory", "todos", "notes.md", "s.jsonl", "ctx_refresh_1.json", "MEMORY.md", "a.b.md",
                         "x", ".hidden", "sub", "team", "logs", "sessions", "proposals", ".consolidate-lock",
                         "a.md.tmp.12.0123456789ab", "a.md.tmp.0123abcd", "a.md.tmp.x"])
trees = st.lists(st.lists(names, min_size=1, max_size=4).map("/".join), min_size=1, max_size=12)


def _build(claude_dir: Path, files: list[str]) -> None:
    for rel in files:
        path = claude_dir / rel
        if any(parent.is_file() for parent in [*path.parents][:-1]) or path.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


def _copied(target: Path) -> set[str]:
    return {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=trees)
def test_no_non_memory_path_is_ever_copied_and_rsync_agrees_with_the_python_copy(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("src")
    _build(root / "-proj", files)
    by_rsync = tmp_path_factory.mktemp("rsync")
    by_python = tmp_path_factory.mktemp("python")
    dirs = ["-proj"] if (root / "-proj" / "memory").is_dir() else []
    if dirs:
        rsync.mirror_tree(Runner(), root, by_rsync, dirs)
    localcopy.mirror_tree({name: root / name / "memory" for name in dirs}, by_python)
    copied = _copied(by_rsync)
    assert copied == _copied(by_python)
    for path in copied:
        project, rel = path.split("/", 1)
        assert rel.startswith("memory/") and is_memory_relpath(rel[len("memory/"):])
        assert is_mirror_path(f"by-project/k/{rel}")


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=trees)
def test_no_non_memory_path_ever_reaches_a_commit_on_origin(make_fleet, files):
    (laptop, *_), origin = make_fleet()
    _build(laptop.memory("finops").parent, ["memory/MEMORY.md", *files])
    laptop.tick()
    paths = every_path_on(origin)
    assert "by-project/finops/memory/MEMORY.md" in paths
    assert all(is_mirror_path(path) for path in paths), paths


@given(st.text(min_size=1, max_size=30))
def test_a_relpath_with_dot_segments_is_never_a_memory_path(text):
    rel = f"{text}/../x.md"
    assert not is_memory_relpath(rel)
