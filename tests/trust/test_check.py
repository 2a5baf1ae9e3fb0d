"""`memory-sync check <ref>` (and `doit check ref=<ref>`) in a plain clone of the mirror repo, as a CI job on every PR
runs it: it names each problem a commit brings to main and exits non-zero, and passes memory and the repo's own
files (README, .github/). The repo's own files are carried over by every tick and never become memory."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import authority_and, commit_by_hand, git, main_files, seeded_authority

MEMORY = "by-project/finops/memory"


@pytest.fixture
def clone(make_machine, origin, tmp_path):
    """A seeded main, and a clone of the mirror repo with nothing of memory-mirror's in it."""
    laptop = seeded_authority(make_machine)
    work = tmp_path / "ci" / "clone"
    git("clone", "-q", str(origin), str(work))
    return laptop, work


def branch_with(work: Path, name: str, files: dict[str, str | None], links: dict[str, str] = {}) -> str:
    """A branch off origin/main with `files` written (None: removed) and `links` as symlinks; returns its name."""
    git("checkout", "-q", "-b", name, "origin/main", cwd=work)
    for path, text in files.items():
        target = work / path
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    for path, to in links.items():
        (work / path).symlink_to(to)
    git("add", "-A", cwd=work)
    git("commit", "-qm", name, cwd=work)
    git("checkout", "-q", "--detach", "origin/main", cwd=work)
    return name


def check(machine, work: Path, ref: str, **env: str):
    machine.extra_env.update(env)
    return machine.run("check", ref, cwd=work)


def test_memory_and_the_repos_own_files_pass(clone):
    laptop, work = clone
    ref = branch_with(work, "good", {f"{MEMORY}/notes.md": "a note\n", f"{MEMORY}/sub/deeper.md": "more\n",
                                     "README.md": "our fleet's memory\n", ".github/workflows/check.yml": "on: push\n"})
    result = check(laptop, work, ref)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check: good: nothing but memory" in result.stdout


@pytest.mark.parametrize("files, links, problem", [
    ({f"{MEMORY}/../../finops/transcript.jsonl": "{}\n"}, {},
     "by-project/finops/transcript.jsonl: not a memory file"),
    ({f"{MEMORY}/abc.jsonl": "{}\n"}, {}, f"{MEMORY}/abc.jsonl: not a memory file"),
    ({f"{MEMORY}/todos/x.md": "todo\n"}, {}, f"{MEMORY}/todos/x.md: not a memory file"),
    ({}, {f"{MEMORY}/passwd.md": "/etc/passwd"}, f"{MEMORY}/passwd.md: a symlink"),
    ({f"{MEMORY}/big.md": "x" * 2000}, {}, f"{MEMORY}/big.md: 2000 bytes is over MEMORY_MIRROR_MAX_FILE_BYTES (1000)"),
    ({f"{MEMORY}/db.md": "postgres://admin:S3cr3tPassw0rd!@db:5432/prod\n"}, {},
     f"{MEMORY}/db.md: looks like it holds a secret (password in a URL)"),
    ({f"{MEMORY}/ghp_0123456789abcdefABCDEF0123456789abcd.md": "fine\n"}, {},
     f"{MEMORY}/ghp_…: its name looks like it holds a secret"),
    ({f"{MEMORY}/Notes.md": "one\n", f"{MEMORY}/notes.md": "two\n"}, {},
     f"{MEMORY}/Notes.md: {MEMORY}/notes.md is the same name on a case-insensitive disk"),
    ({"README.md": "token: ghp_0123456789abcdefABCDEF0123456789abcd\n"}, {}, "README.md: looks like it holds a secret"),
])
def test_each_problem_is_named_and_fails_the_check(clone, files, links, problem):
    laptop, work = clone
    ref = branch_with(work, "bad", files, links)
    result = check(laptop, work, ref, MEMORY_MIRROR_MAX_FILE_BYTES="1000")
    assert result.returncode == 1
    assert any(line.startswith(problem) for line in result.stdout.splitlines()), result.stdout + result.stderr
    assert "S3cr3t" not in result.stdout + result.stderr and "0123456789abcdef" not in result.stdout + result.stderr


def test_a_rostered_hosts_proposal_must_be_signed_by_its_key(make_machine, origin, tmp_path):
    laptop, builder = authority_and(make_machine, "build-07", "trusted")
    builder.write("finops", "learned.md", "what build-07 learned\n")
    builder.run("propose", check=True)
    work = tmp_path / "ci" / "clone"
    git("clone", "-q", str(origin), str(work))
    (signed,) = [ref.strip() for ref in git("branch", "-r", "--list", "origin/proposal/*", cwd=work).splitlines()]
    forged = branch_with(work, "proposal/build-07/20260101T000000Z-forged1", {f"{MEMORY}/x.md": "x\n"})
    assert check(laptop, work, signed).returncode == 0
    result = check(laptop, work, forged)
    assert result.returncode == 1 and "not signed by build-07's key on the roster of role trusted" in result.stdout
    # the same check as a doit task, from the repo root, on the clone
    assert "nothing unsigned" in laptop.doit("check", f"ref={signed}", f"repo={work}").stdout


def test_a_ref_that_is_not_there_is_one_clear_error(clone):
    laptop, work = clone
    result = check(laptop, work, "origin/proposal/nobody/x")
    assert result.returncode == 1
    assert "origin/proposal/nobody/x is not a commit in" in result.stderr and "Traceback" not in result.stderr


def test_the_repos_own_files_stay_on_main_and_never_become_memory(make_machine, origin):
    laptop, contributor = authority_and(make_machine, "build-07", "contributor")
    commit_by_hand(origin, "README.md", "our fleet's memory\n")
    commit_by_hand(origin, ".github/workflows/check.yml", "on: pull_request\n")
    laptop.write("finops", "notes.md", "the authority's note\n")
    ticks = [laptop.tick().stdout, contributor.tick().stdout, laptop.tick().stdout]
    files = main_files(origin)
    assert files["README.md"] == "our fleet's memory\n"
    assert files[".github/workflows/check.yml"] == "on: pull_request\n"
    assert files[f"{MEMORY}/notes.md"] == "the authority's note\n"
    assert not any("README" in out or ".github" in out for out in ticks)
    for machine in (laptop, contributor):
        assert set(machine.files("finops")) == {"MEMORY.md", "notes.md"}
        assert "README" not in (machine.agentihooks / "logs" / "sync-daemon.log").read_text()
    # a proposal is the contributor's memory changes, and takes nothing of the repo's away
    contributor.write("finops", "mine.md", "the contributor's note\n")
    contributor.run("propose", check=True)
    proposal = git("for-each-ref", "--format=%(refname)", "refs/heads/proposal/", cwd=origin).split()[0]
    changed = git("diff", "--name-only", "main", proposal, cwd=origin).split()
    assert changed == [f"{MEMORY}/mine.md"]
