"""sweep-branches deletes only branches that are merged into main AND idle longer than the threshold."""
from __future__ import annotations

import os
import subprocess
import time

from conftest import git, origin_refs, seeded_authority


def push_branch(origin, work, name, parent, days_old, content=None):
    """Push a commit dated `days_old` days ago as branch `name`; returns its sha."""
    env_date = f"@{int(time.time()) - days_old * 86400} +0000"
    tree = git("rev-parse", f"{parent}^{{tree}}", cwd=work).strip()
    if content is not None:
        (work / "by-project" / "finops" / "memory" / "x.md").write_text(content)
        git("add", "-A", cwd=work)
        tree = git("write-tree", cwd=work).strip()
    env = {**os.environ, "GIT_COMMITTER_DATE": env_date, "GIT_AUTHOR_DATE": env_date, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    commit = subprocess.run(["git", "commit-tree", tree, "-p", parent, "-m", name], cwd=work, env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    git("push", "-q", "origin", f"{commit}:refs/heads/{name}", cwd=work)
    return commit


def test_sweep_deletes_merged_idle_and_keeps_merged_fresh_and_unmerged(make_machine, origin):
    laptop = seeded_authority(make_machine)
    work = origin.parent / "work"
    git("clone", "-q", "-b", "main", str(origin), str(work))
    old = push_branch(origin, work, "gitfoam/old-box/main", "HEAD", days_old=40)
    git("push", "-q", "origin", f"{old}:refs/heads/main", cwd=work)  # merged (main fast-forwards to it)
    push_branch(origin, work, "gitfoam/new-box/main", old, days_old=0)
    git("fetch", "-q", cwd=work)
    fresh = git("rev-parse", "origin/gitfoam/new-box/main", cwd=work).strip()
    git("push", "-q", "origin", f"{fresh}:refs/heads/main", cwd=work)
    unmerged = push_branch(origin, work, "proposal/y/20200101T000000Z-def", fresh, days_old=90, content="unmerged\n")
    laptop.tick()
    before = origin_refs(origin)
    dry = laptop.run("sweep-branches", "--idle-days", "30", "--dry-run", check=True)
    assert origin_refs(origin) == before
    assert "would delete 1 branch(es)" in dry.stdout
    result = laptop.run("sweep-branches", "--idle-days", "30", check=True)
    after = origin_refs(origin)
    assert "refs/heads/gitfoam/old-box/main" not in after
    assert "refs/heads/gitfoam/new-box/main" in after
    assert after["refs/heads/proposal/y/20200101T000000Z-def"] == unmerged
    assert "refs/heads/main" in after and "refs/heads/mirror/authority-lease" in after
    assert "delete gitfoam/old-box/main: merged and idle 40d (over 30d)" in result.stdout
    assert "keep   proposal/y/20200101T000000Z-def: not merged into main" in result.stdout


def test_a_consumer_may_not_sweep(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.tick()
    pod = make_machine("pod-1", "consumer")
    result = pod.run("sweep-branches")
    assert result.returncode == 1
    assert result.stderr.startswith("error: role consumer may not sweep branches")


def test_a_cron_sweep_on_a_fresh_machine_removes_a_squash_merged_proposal(make_machine, origin):
    """An ops box that never ticked: no mirror, no state. The proposal was squash-merged (as `propose
    --auto-merge` asks GitHub to), so main holds its change but not its commit."""
    seeded_authority(make_machine)
    work = origin.parent / "work"
    git("clone", "-q", "-b", "main", str(origin), str(work))
    proposal = push_branch(origin, work, "proposal/build-9/20200101T000000Z-abc", "HEAD", days_old=40,
                           content="from build-9\n")
    git("merge", "-q", "--squash", proposal, cwd=work)
    git("commit", "-q", "-m", "Squashed proposal (#7)", cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    assert not git("branch", "-r", "--contains", proposal, cwd=work).strip().endswith("main")
    ops = make_machine("ops", "contributor")

    before = origin_refs(origin)
    dry = ops.run("sweep-branches", "--idle-days", "30", "--dry-run", check=True)
    assert "delete proposal/build-9/20200101T000000Z-abc: merged and idle 40d (over 30d)" in dry.stdout
    assert "would delete 1 branch(es)" in dry.stdout
    assert origin_refs(origin) == before
    assert not ops.mirror.exists()

    ops.run("sweep-branches", "--idle-days", "30", check=True)
    assert "refs/heads/proposal/build-9/20200101T000000Z-abc" not in origin_refs(origin)
    assert not ops.mirror.exists()
