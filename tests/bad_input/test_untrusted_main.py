"""What comes from main is untrusted: bad entries are skipped and named, the rest of main still syncs."""
from __future__ import annotations

import os
import subprocess

from conftest import git


def commit_tree_on_main(origin, entries: list[tuple[str, str, bytes]]) -> None:
    """Put a hand-made tree on origin's main: (mode, path, content or symlink target)."""
    work = origin.parent / "crafted"
    git("clone", "-q", "-b", "main", str(origin), str(work))
    env = {**os.environ, "GIT_INDEX_FILE": str(work / ".git" / "crafted-index")}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=work, env=env, check=True)
    for mode, path, content in entries:
        sha = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=work, input=content, capture_output=True,
                             check=True).stdout.decode().strip()
        subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}"], cwd=work, env=env,
                       check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=work, env=env, capture_output=True, check=True).stdout.decode().strip()
    commit = git("commit-tree", tree, "-p", "HEAD", "-m", "crafted", cwd=work).strip()
    git("push", "-q", "origin", f"{commit}:refs/heads/main", cwd=work)


def test_symlinks_non_memory_paths_and_oversized_files_from_main_are_skipped(make_machine, origin, tmp_path):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    pod = make_machine("pod-1", "consumer", MEMORY_MIRROR_MAX_FILE_BYTES="1024")
    pod.project("finops")
    pod.tick()
    commit_tree_on_main(origin, [
        ("120000", "by-project/finops/memory/passwd.md", b"/etc/passwd"),
        ("100644", "by-project/finops/notes-outside-memory.md", b"outside\n"),
        ("100644", "by-project/finops/memory/big.md", b"x" * 2048),
        ("100644", "by-project/finops/memory/session.jsonl", b"{}\n"),
        ("100644", "by-project/finops/memory/fine.md", b"this one is fine\n"),
    ])
    result = pod.tick()
    assert pod.files("finops") == {"MEMORY.md": "v1\n", "fine.md": "this one is fine\n"}
    assert not (pod.memory("finops") / "passwd.md").is_symlink()
    assert "skipped by-project/finops/memory/passwd.md from main: not a regular file" in result.stdout
    assert "skipped by-project/finops/memory/big.md from main: 2048 bytes" in result.stdout
    log = (pod.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert "skipped by-project/finops/notes-outside-memory.md from main: not a memory file" in log
    assert "skipped by-project/finops/memory/session.jsonl from main: not a memory file" in log
    # a machine merging this main for the first time skips the same entries
    fresh = make_machine("pod-2", "consumer", MEMORY_MIRROR_MAX_FILE_BYTES="1024")
    fresh.project("finops")
    fresh.tick()
    assert fresh.files("finops") == {"MEMORY.md": "v1\n", "fine.md": "this one is fine\n"}


def test_a_subdir_symlinked_out_of_memory_is_never_written_through(make_machine, origin, tmp_path):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "notes/a.md", "through the link?\n")
    laptop.tick()
    pod = make_machine("pod-1", "consumer")
    memory = pod.project("finops")
    outside = tmp_path / "outside"
    outside.mkdir()
    memory.mkdir()
    (memory / "notes").symlink_to(outside)
    result = pod.tick()
    assert list(outside.iterdir()) == []
    assert "it would be written outside" in result.stdout
