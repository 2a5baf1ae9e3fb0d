"""A main that no honest machine could have made: every bad entry is skipped by name, nothing is written outside a
memory dir, the tick succeeds, and the good files (and later changes) keep syncing."""
from __future__ import annotations

from conftest import main_files, seeded_authority
from test_bad_input import snapshot_of
from test_untrusted_main import commit_tree_on_main

from pipeline.rules.memory_only import is_mirror_path

MEMORY = "by-project/finops/memory"
ESCAPE = f"{MEMORY}/../../../../escaped.md"  # from a memory dir: ~/escaped.md
LONGEST = "n" * 252 + ".md"  # 255 bytes: the longest name a Linux or macOS filesystem takes
TOO_LONG = "m" * 253 + ".md"  # 256 bytes: no filesystem here can hold it
BIG = 200 * 1024 * 1024


def two_hundred_megabytes():
    chunk = bytes(1024 * 1024)
    for _ in range(BIG // len(chunk)):
        yield chunk


def outside_memory(machine) -> dict[str, bytes]:
    """Every file of the machine's HOME that is neither in a memory dir nor our own state under ~/.agentihooks."""
    return {path: data for path, data in snapshot_of(machine.home).items()
            if "/memory/" not in path and "/.agentihooks/" not in path}


def assert_skipped_by_name(machine, said: str) -> None:
    log = (machine.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert f"merge: skipped {MEMORY}/{TOO_LONG} from main: a name longer than 255 bytes" in said
    assert f"merge: skipped {MEMORY}/big.md from main: {BIG} bytes is over MEMORY_MIRROR_MAX_FILE_BYTES" in said
    assert f"merge: skipped {ESCAPE} from main: not a memory file" in log
    assert f"merge: skipped {MEMORY}/\\xff.md from main: its name is not valid UTF-8" in log
    assert f"merge: skipped {MEMORY}/.git/config from main: not a memory file" in log
    assert not (machine.memory("finops") / ".git").exists()  # a repo there would run its config in any shell


def test_dot_dot_non_utf8_overlong_and_huge_entries_are_skipped_by_name(make_machine, origin, tmp_path):
    laptop = seeded_authority(make_machine)
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    pod.write("finops", LONGEST, "pod's own\n")
    commit_tree_on_main(origin, [
        ("100644", ESCAPE, b"escaped\n"),
        ("100644", f"{MEMORY}/".encode() + b"\xff.md", b"not utf-8\n"),
        ("100644", f"{MEMORY}/{LONGEST}", b"main's long one\n"),
        ("100644", f"{MEMORY}/{TOO_LONG}", b"too long\n"),
        ("100644", f"{MEMORY}/big.md", two_hundred_megabytes()),
        ("100644", f"{MEMORY}/fine.md", b"fine\n"),
        ("100644", f"{MEMORY}/.git/config", b"[core]\n\tfsmonitor = touch pwned\n"),
    ])
    pod_outside, laptop_outside = outside_memory(pod), outside_memory(laptop)

    said = pod.tick().stdout
    assert_skipped_by_name(pod, said)
    files = pod.files("finops")
    sibling = next(name for name in files if ".conflict-pod-1-" in name)
    assert len(sibling.encode()) <= 255 and sibling.endswith(".md")  # the long name's conflict copy still fits
    assert files == {"MEMORY.md": "v1\n", "fine.md": "fine\n", LONGEST: "pod's own\n", sibling: "main's long one\n"}
    assert outside_memory(pod) == pod_outside

    said = laptop.tick().stdout
    assert_skipped_by_name(laptop, said)
    assert laptop.files("finops") == {"MEMORY.md": "v1\n", "fine.md": "fine\n", LONGEST: "main's long one\n"}
    assert outside_memory(laptop) == laptop_outside
    assert not list(tmp_path.rglob("escaped.md"))
    # the authority republishes its own memory for the key: the good files stay, the bad entries are gone
    published = main_files(origin)
    assert all(is_mirror_path(path) for path in published)
    assert {f"{MEMORY}/MEMORY.md", f"{MEMORY}/fine.md", f"{MEMORY}/{LONGEST}"} <= set(published)

    # and syncing goes on
    laptop.write("finops", "after.md", "later\n")
    laptop.tick()
    pod.tick()
    assert pod.files("finops")["after.md"] == "later\n"
    assert outside_memory(pod) == pod_outside
