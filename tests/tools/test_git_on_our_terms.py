"""Our git calls ignore the user's settings that change content or run code: what a memory file holds arrives
byte for byte, and no hook, filter or signing program of theirs runs on a mirror command."""
from __future__ import annotations

import stat

from conftest import git, main_files, origin_refs

CRLF = b"first line\r\nsecond line\r\n\xe2\x9c\x93 done\r\n"


def hostile_git_config(machine, marker) -> None:
    """A global git config that would rewrite line endings, run a hook and a filter, hide *.md files and sign."""
    hooks = machine.home / "hooks"
    hooks.mkdir()
    for hook in ("pre-push", "pre-commit", "post-commit", "post-checkout", "pre-auto-gc"):
        path = hooks / hook
        path.write_text(f"#!/bin/sh\necho {hook} >> {marker}\nexit 1\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    (machine.home / "global-ignore").write_text("*.md\n")
    (machine.home / "global-attributes").write_text("* filter=shout text eol=crlf\n")
    (machine.home / ".gitconfig").write_text(
        "[core]\n\tautocrlf = true\n\teol = crlf\n\tsafecrlf = true\n"
        f"\thooksPath = {hooks}\n\texcludesFile = {machine.home / 'global-ignore'}\n"
        f"\tattributesFile = {machine.home / 'global-attributes'}\n"
        f"[filter \"shout\"]\n\tclean = sh -c 'echo filter >> {marker}; tr a-z A-Z'\n\tsmudge = cat\n"
        "[commit]\n\tgpgSign = true\n[push]\n\tgpgSign = true\n[gpg]\n\tprogram = false\n"
    )


def test_a_crlf_file_arrives_byte_identical_and_no_user_hook_or_filter_runs(make_machine, origin, tmp_path):
    marker = tmp_path / "ran"
    laptop = make_machine("laptop", "authority")
    pod = make_machine("pod-1", "consumer")
    for machine in (laptop, pod):
        machine.project("finops")
        hostile_git_config(machine, marker)
    laptop.memory("finops").mkdir()
    (laptop.memory("finops") / "windows.md").write_bytes(CRLF)
    # a memory dir's own .gitattributes and .gitignore are memory files like any other, never rules for the mirror
    (laptop.memory("finops") / ".gitattributes").write_text("*.md filter=shout\n")
    (laptop.memory("finops") / ".gitignore").write_text("*.md\n")
    laptop.tick()
    pod.tick()
    assert (pod.memory("finops") / "windows.md").read_bytes() == CRLF
    blob = git("rev-parse", "main:by-project/finops/memory/windows.md", cwd=origin).strip()
    assert git("cat-file", "-s", blob, cwd=origin).strip() == str(len(CRLF))
    assert set(main_files(origin)) >= {"by-project/finops/memory/windows.md",
                                       "by-project/finops/memory/.gitignore"}
    assert not marker.exists(), marker.read_text()
    assert "refs/heads/gitfoam/laptop/main" in origin_refs(origin)
