"""Bad input: one clear line, a non-zero exit, and nothing changed on disk or on the remote."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO_ROOT, commit_by_hand, origin_refs, seeded_authority


def snapshot_of(*roots: Path) -> dict[str, bytes]:
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_file() and "logs" not in path.parts:
                found[str(path)] = path.read_bytes()
    return found


@pytest.fixture
def seeded(make_machine, origin):
    seeded_authority(make_machine)
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    pod.write("finops", "MEMORY.md", "pod's own\n")
    return pod


def one_error_line(result) -> str:
    """A failed command's whole story: a non-zero exit and one line on stderr (no traceback)."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def write_own_file(machine, name: str, text: str) -> None:
    """A file of ours in ~/.agentihooks (roles.yaml, .env), as a user would write it."""
    machine.agentihooks.mkdir(parents=True, exist_ok=True)
    (machine.agentihooks / name).write_text(text)


def assert_rejected_cleanly(machine, origin, expected: str, timeout: float | None = None):
    refs = origin_refs(origin)
    before = snapshot_of(machine.home / ".claude")
    lines = [one_error_line(machine.run("sync-now", timeout=timeout))]
    assert expected in lines[0]
    assert snapshot_of(machine.home / ".claude") == before
    assert not machine.mirror.exists()
    assert origin_refs(origin) == refs
    return lines[0]


def _set(**values):
    def bad(machine, origin):
        for name, value in values.items():
            setattr(machine, name, value)
    return bad


def _file(name: str, text: str):
    return lambda machine, origin: write_own_file(machine, name, text)


def _unknown_role(machine, origin):
    write_own_file(machine, "roles.yaml", (REPO_ROOT / "roles.yaml").read_text())  # the message names its file
    machine.role = "supervisor"


# (what is wrong, the exact line a user sees): our own texts, each naming what to fix. {agentihooks} is the machine's
# ~/.agentihooks.
BAD_INPUT = [
    pytest.param(_file("roles.yaml", "version: 2\nroles:\n  consumer: {steps: [resolve, merge]}\n"),
                 "error: {agentihooks}/roles.yaml:3: roles -> consumer -> steps: role 'consumer': step 'merge' needs "
                 "'fetch' before it in steps.", id="roles.yaml: a step without the step it needs"),
    pytest.param(_file("roles.yaml", "roles: {consumer: [\n"),
                 "error: {agentihooks}/roles.yaml:2: not valid YAML (did not find expected node content). Fix the "
                 "syntax.",
                 id="roles.yaml: not YAML"),
    pytest.param(_file("roles.yaml", "version: 1\nroles:\n  consumer: {steps: [resolve, seed, fetch]}\n"),
                 "error: {agentihooks}/roles.yaml:3: roles -> consumer -> steps: role 'consumer': the steps seed and "
                 "accept-trusted need `version: 2` at the top of the file.", id="roles.yaml: a step of version 2 in 1"),
    pytest.param(_file("identities.yaml", "version: 1\nidentities:\n  - path: ~/dev/finops\n    dir: -x\n    key: x\n"),
                 "error: {agentihooks}/identities.yaml:3: identities -> 0: give either path (a project root) or dir (a "
                 "dir name under Claude's projects/), not both.", id="identities.yaml: path and dir"),
    pytest.param(_file("mirrorignore", "client-x/\n!\n"),
                 "error: {agentihooks}/mirrorignore:2: '!' is not a gitignore pattern (Invalid git pattern: '!'). Fix "
                 "or remove the line.", id="mirrorignore: not a pattern"),
    pytest.param(_file(".env", "MEMORY_MIRROR_ROLE=consumer\n!!! garbage\n"),
                 "error: {agentihooks}/.env:2: cannot parse '!!! garbage'. Each line must be KEY=value (or a # "
                 "comment).", id=".env: a line that is not KEY=value"),
    pytest.param(_unknown_role,
                 "error: unknown role 'supervisor': {agentihooks}/roles.yaml defines off, consumer, offline, "
                 "contributor, authority, trusted. Set MEMORY_MIRROR_ROLE to one of them, or add the role to that "
                 "file.", id="an unknown role"),
    pytest.param(_set(remote=""),
                 "error: MEMORY_MIRROR_REMOTE is not set. Set it in {agentihooks}/.env (e.g. "
                 "MEMORY_MIRROR_REMOTE=git@github.com:<org>/claude-memory-mirror.git), then re-run install.",
                 id="no remote"),
    pytest.param(_set(hostname="lap top"),
                 "error: MEMORY_MIRROR_HOSTNAME='lap top' is not valid: use letters, digits, '.', '_' or '-' (it "
                 "becomes part of a branch name).", id="a hostname git cannot name a branch after"),
]


@pytest.mark.parametrize("make_bad, first_line", BAD_INPUT)
def test_bad_input_gets_one_exact_line_and_changes_nothing(seeded, origin, make_bad, first_line):
    make_bad(seeded, origin)
    line = assert_rejected_cleanly(seeded, origin, "error: ")
    assert line == first_line.format(agentihooks=seeded.agentihooks)


def test_roles_yaml_edited_after_it_worked_is_read_again_each_time(make_machine, origin):
    laptop = seeded_authority(make_machine)
    shipped = (REPO_ROOT / "pipeline" / "data" / "roles.yaml").read_text()
    write_own_file(laptop, "roles.yaml", shipped)
    assert laptop.run("sync-now").returncode == 0  # this text is now known to be valid
    assert "may: propose, sweep" in laptop.run("plan", "--role", "contributor").stdout
    refs = origin_refs(origin)
    write_own_file(laptop, "roles.yaml", shipped.replace("steps: [resolve, fetch, merge]", "steps: [resolve, merge]"))
    assert "step 'merge' needs 'fetch' before it in steps" in one_error_line(laptop.run("sync-now"))
    assert origin_refs(origin) == refs
    write_own_file(laptop, "roles.yaml", shipped.replace("may: [propose, sweep]", "may: [propose]"))
    assert laptop.run("sync-now").returncode == 0
    assert "may: propose\n" in laptop.run("plan", "--role", "contributor").stdout


def test_unreachable_remote(seeded, origin):
    seeded.remote = str(origin.parent / "no-such-repo.git")
    line = assert_rejected_cleanly(seeded, origin, f"error: cannot reach MEMORY_MIRROR_REMOTE {seeded.remote}: ")
    assert "Check that the repo exists" in line  # after git's own words, which vary with its version


def test_credentials_in_the_remote_url_never_appear_in_output_or_logs(seeded, origin):
    seeded.remote = "https://alice:s3cr3t-token@127.0.0.1:9/org/repo.git"
    result = seeded.run("sync-now")
    assert result.returncode != 0
    assert "s3cr3t-token" not in result.stdout + result.stderr
    assert "https://***@127.0.0.1:9/org/repo.git" in result.stderr
    logs = seeded.agentihooks / "logs"
    for log in logs.rglob("*") if logs.exists() else []:
        assert "s3cr3t-token" not in log.read_text()


def test_a_missing_claude_projects_dir_is_not_an_error(make_machine, origin):
    pod = make_machine("pod-new", "contributor")
    result = pod.run("sync-now")
    assert result.returncode == 0, result.stderr
    assert "no Claude projects dir" in result.stdout
    assert not (pod.home / ".claude").exists()


def test_role_off_does_nothing(make_machine, origin):
    machine = make_machine("idle", "off")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "x\n")
    result = machine.run("sync-now")
    assert result.returncode == 0
    assert "nothing to do" in result.stdout
    assert origin_refs(origin) == {} and not machine.mirror.exists()


def test_a_mirror_missing_its_objects_is_named_damaged_and_nothing_is_pushed(make_machine, origin):
    laptop = seeded_authority(make_machine)
    laptop.write("finops", "MEMORY.md", "v2\n")
    published = origin_refs(origin)
    for obj in (laptop.mirror / ".git" / "objects").glob("??"):
        for loose in obj.iterdir():
            loose.unlink()  # as a disk failure or an overeager cleanup would
    line = one_error_line(laptop.run("sync-now"))
    assert line.startswith("error: the mirror has no tree ") and "it is damaged: move it away and run again" in line
    assert origin_refs(origin) == published


def test_a_failing_git_command_is_one_line_naming_the_log_that_holds_its_output(make_machine, origin):
    laptop = seeded_authority(make_machine)
    commit_by_hand(origin, "by-project/finops/memory/MEMORY.md", "from a merged PR\n")  # main moved: a fetch
    tracking = laptop.mirror / ".git" / "refs" / "remotes" / "origin"
    shutil.rmtree(tracking, ignore_errors=True)
    tracking.write_text("")  # as a bad hand edit would leave it: git cannot write the ref it fetches into
    line = one_error_line(laptop.run("sync-now"))
    log = laptop.agentihooks / "logs" / "sync-daemon.log"
    assert line.startswith("error: command failed: git ")
    assert line.endswith(f"; the whole output is in {log}")
    assert "  stderr:" in log.read_text() and "return code: " in log.read_text()
