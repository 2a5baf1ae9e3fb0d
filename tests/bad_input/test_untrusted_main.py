"""What comes from main is untrusted: bad entries are skipped and named, the rest of main still syncs."""
from __future__ import annotations

import subprocess
from typing import Iterable

from conftest import git, seeded_authority


def commit_tree_on_main(origin, entries: list[tuple[str, str | bytes, bytes | Iterable[bytes]]]) -> None:
    """Put a hand-made tree on origin's main: (mode, path, content or symlink target; chunks for a big blob).

    Trees are built with git's plumbing (hash-object, mktree), which takes any entry name, so paths git's own
    index refuses (a `..` component, bytes that are not UTF-8) reach main as a hostile machine would put them.
    """
    tree = git("rev-parse", "main^{tree}", cwd=origin).strip()
    for mode, path, content in entries:
        parts = (path.encode() if isinstance(path, str) else path).split(b"/")
        tree = _graft(origin, tree, parts, mode, _hash_object(origin, content))
    commit = git("commit-tree", tree, "-p", "main", "-m", "crafted", cwd=origin).strip()
    git("update-ref", "refs/heads/main", commit, cwd=origin)


def _hash_object(repo, content: bytes | Iterable[bytes]) -> str:
    with subprocess.Popen(["git", "hash-object", "-w", "--stdin"], cwd=repo, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE) as proc:
        for chunk in [content] if isinstance(content, bytes) else content:
            proc.stdin.write(chunk)
        proc.stdin.close()
        sha = proc.stdout.read().decode().strip()
    assert proc.returncode == 0 and sha
    return sha


def _graft(repo, tree: str | None, parts: list[bytes], mode: str, sha: str) -> str:
    """`tree` with the entry at `parts` set to (mode, sha), every tree on the way rewritten."""
    listing = subprocess.run(["git", "ls-tree", "-z", tree], cwd=repo, capture_output=True,
                             check=True).stdout if tree else b""
    entries = dict(reversed(record.split(b"\t", 1)) for record in listing.split(b"\0") if record)
    if len(parts) == 1:
        entries[parts[0]] = f"{mode} {'commit' if mode == '160000' else 'blob'} {sha}".encode()
    else:
        below = entries.get(parts[0], b"").split()
        entries[parts[0]] = f"040000 tree {_graft(repo, below[2].decode() if below else None, parts[1:], mode, sha)}".encode()
    data = b"".join(meta + b"\t" + name + b"\0" for name, meta in entries.items())
    return subprocess.run(["git", "mktree", "-z"], cwd=repo, input=data, capture_output=True,
                          check=True).stdout.decode().strip()


def test_symlinks_non_memory_paths_and_oversized_files_from_main_are_skipped(make_machine, origin, tmp_path):
    seeded_authority(make_machine)
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
