"""propose: exactly this machine's changes, rebuilt on the current main; a PR through gh on GitHub remotes."""
from __future__ import annotations

import json
import os
import re

import pytest

from conftest import git, main_files, proposal_refs


def test_a_proposal_holds_exactly_the_contributors_edit_even_when_main_moved_on(fleet, origin):
    laptop, build, pod = fleet
    laptop.project("billing")
    laptop.write("billing", "MEMORY.md", "billing, which build-01 does not have\n")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.write("finops", "other.md", "o1\n")
    laptop.tick()
    build.tick()
    build.write("finops", "MEMORY.md", "build's improvement\n")
    laptop.write("finops", "other.md", "o2: main moved on after build-01's last tick\n")
    laptop.tick()
    result = build.run("propose", check=True)
    refs = proposal_refs(origin)
    assert len(refs) == 1
    (ref, sha), = refs.items()
    assert re.fullmatch(rf"refs/heads/proposal/build-01/\d{{8}}T\d{{6}}Z-{sha[:7]}", ref)
    changed = git("diff", "--name-only", "main", sha, cwd=origin).split()
    assert changed == ["by-project/finops/memory/MEMORY.md"]
    assert "this remote is not on GitHub, so no pull request was opened" in result.stdout
    assert f"git diff origin/main origin/{ref[len('refs/heads/'):]}" in result.stdout
    # merging it with plain git and ticking the consumer brings the edit there
    git("push", ".", f"{sha}:refs/heads/main", cwd=origin)
    pod.tick()
    assert pod.files("finops")["MEMORY.md"] == "build's improvement\n"
    assert main_files(origin)["by-project/billing/memory/MEMORY.md"] == "billing, which build-01 does not have\n"


def test_nothing_to_propose(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    build.tick()
    result = build.run("propose")
    assert result.returncode == 0, result.stderr
    assert "nothing to propose" in result.stdout
    assert proposal_refs(origin) == {}


def test_roles_that_may_not_propose_are_refused_by_name(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    pod.write("finops", "MEMORY.md", "pod edit\n")
    result = pod.run("propose")
    assert result.returncode == 1
    assert result.stderr.startswith("error: role consumer may not propose")
    assert proposal_refs(origin) == {}


@pytest.fixture
def github_fleet(make_machine, origin, tmp_path):
    """Machines whose remote is a github.com URL, redirected by git's insteadOf to the local bare repo,
    with a stand-in `gh` on PATH that records its arguments (GitHub is not reachable here)."""
    url = "git@github.com:acme/claude-memory-mirror.git"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls.jsonl"
    gh = bin_dir / "gh"
    gh.write_text(f"#!/usr/bin/env python3\nimport json, sys\nopen({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                  "print('https://github.com/acme/claude-memory-mirror/pull/7')\n")
    gh.chmod(0o755)
    machines = []
    for host, role in (("laptop", "authority"), ("build-01", "contributor")):
        machine = make_machine(host, role, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        machine.remote = url
        (machine.home / ".gitconfig").write_text(f'[url "{origin}"]\n\tinsteadOf = {url}\n')
        machine.project("finops")
        machines.append(machine)
    return machines, calls


def test_on_a_github_remote_propose_opens_a_pr_and_auto_merge_arms_it(github_fleet, origin):
    (laptop, build), calls = github_fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    build.tick()
    build.write("finops", "MEMORY.md", "v2 from build\n")
    build.write("finops", "new.md", "new\n")
    result = build.run("propose", "--auto-merge", check=True)
    (ref,) = proposal_refs(origin)
    branch = ref[len("refs/heads/"):]
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    assert recorded == [
        ["pr", "create", "--repo", "acme/claude-memory-mirror", "--base", "main", "--head", branch,
         "--title", "memory from build-01: 2 files",
         "--body", "Changed memory files:\n\n- by-project/finops/memory/MEMORY.md\n"
                   "- by-project/finops/memory/new.md\n"],
        ["pr", "merge", branch, "--repo", "acme/claude-memory-mirror", "--auto", "--squash"],
    ]
    assert "opened https://github.com/acme/claude-memory-mirror/pull/7" in result.stdout


def test_gh_missing_on_a_github_remote_says_what_to_install(github_fleet, origin):
    (laptop, build), calls = github_fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    build.tick()
    build.write("finops", "MEMORY.md", "v2\n")
    build.extra_env["PATH"] = os.path.dirname(os.path.realpath(git_path())) + os.pathsep + "/bin"
    result = build.run("propose")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: gh CLI not found. Install GitHub CLI: https://cli.github.com/"
    assert proposal_refs(origin) == {}


def git_path():
    import shutil
    return shutil.which("git")


def test_a_file_deleted_after_it_was_proposed_stays_deleted_when_the_proposal_is_merged(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    build.tick()
    build.write("finops", "draft.md", "a thought build-01 later drops\n")
    build.run("propose", check=True)
    (build.memory("finops") / "draft.md").unlink()  # the user changes their mind before anyone merges it
    (ref, sha), = proposal_refs(origin).items()
    git("push", ".", f"{sha}:refs/heads/main", cwd=origin)  # a person merges the proposal
    build.tick()
    assert "draft.md" not in build.files("finops")
    build.run("propose", check=True)
    newest, = (later for name, later in proposal_refs(origin).items() if name != ref)
    git("push", ".", f"{newest}:refs/heads/main", cwd=origin)
    assert "by-project/finops/memory/draft.md" not in main_files(origin)
    pod.tick()
    assert "draft.md" not in pod.files("finops")
