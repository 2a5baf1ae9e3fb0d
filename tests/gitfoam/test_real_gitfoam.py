"""The real gitfoam binary as the pusher: it publishes exactly this machine's snapshot on <prefix>/<host>/live,
never a held-back file, and never touches the user's own gitfoam config, daemon or repos."""
from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess

import pytest

from conftest import git, origin_refs, wait_for
from fake_secrets import aws_key, every_blob_on

pytestmark = pytest.mark.slow
LIVE = "gitfoam/build-01/live"
HOST = "gitfoam/build-01/main"


def tree_of(origin, ref: str) -> str | None:
    if f"refs/heads/{ref}" not in origin_refs(origin):
        return None
    return git("rev-parse", f"{ref}^{{tree}}", cwd=origin).strip()


def file_on(origin, ref: str, path: str) -> str | None:
    try:
        return git("show", f"{ref}:{path}", cwd=origin)
    except subprocess.CalledProcessError:
        return None


@pytest.fixture
def users_own_gitfoam(make_machine, gitfoam_binary, tmp_path):
    """A user who mirrors a repo of their own with gitfoam: their ~/.gitfoam.json and their daemon."""
    machine = make_machine("build-01", "contributor", GITFOAM_BINARY=str(gitfoam_binary),
                           MEMORY_MIRROR_INTERVAL_SEC="3600")
    machine.project("finops")
    machine.write("finops", "MEMORY.md", "v1\n")
    app, app_origin = machine.home / "code" / "app", tmp_path / "app-origin.git"
    git("init", "-q", "--bare", str(app_origin))
    git("init", "-q", str(app))
    (app / "README").write_text("the user's own work\n")
    git("add", "-A", cwd=app)
    git("commit", "-q", "-m", "mine", cwd=app)
    git("remote", "add", "origin", str(app_origin), cwd=app)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITFOAM_")} | {"HOME": str(machine.home)}
    subprocess.run([str(gitfoam_binary), "add", str(app), "--target", "gitfoam/me/app"], env=env, check=True,
                   capture_output=True)
    daemon = subprocess.Popen([str(gitfoam_binary), "daemon"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    yield machine, (machine.home / ".gitfoam.json").read_bytes(), daemon
    machine.run("stop", timeout=60)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(10)


def test_gitfoam_publishes_the_snapshot_and_leaves_the_users_own_gitfoam_alone(users_own_gitfoam, origin,
                                                                                  gitfoam_binary):
    machine, users_config, users_daemon = users_own_gitfoam
    result = machine.run("install", check=True, timeout=120)
    live_dir = machine.agentihooks / "gitfoam" / "live"
    assert f"gitfoam: {gitfoam_binary} publishes {LIVE} from {live_dir}" in result.stdout
    # the live branch holds exactly the snapshot the tick published on the host branch
    assert wait_for(lambda: tree_of(origin, LIVE) == tree_of(origin, HOST), timeout=20)
    for version in range(1, 4):
        machine.write("finops", "notes.md", f"edit {version}\n")
        assert wait_for(lambda: file_on(origin, LIVE, "by-project/finops/memory/notes.md") == f"edit {version}\n",
                        timeout=20), version
    machine.tick()  # the host branch catches up; both name the same tree
    assert wait_for(lambda: tree_of(origin, LIVE) == tree_of(origin, HOST), timeout=20)
    # nothing but memory, in the by-project layout, and only ours
    assert all(path.startswith("by-project/finops/memory/") for path in
               git("ls-tree", "-r", "--name-only", LIVE, cwd=origin).split())
    ours = json.loads((machine.agentihooks / "gitfoam" / "config.json").read_text())
    assert [(repo["path"], repo["target_branch"]) for repo in ours["repos"]] == [(str(live_dir), LIVE)]
    assert (machine.agentihooks / "gitfoam" / "home" / ".gitfoam").is_dir()  # its private index is ours too
    status = machine.run("status", check=True).stdout
    assert f"  {live_dir} → {LIVE}" in status and "code/app" not in status
    assert "gitfoam" in (machine.agentihooks / "logs" / "gitfoam.log").read_text()

    machine.run("stop", check=True)
    machine.run("start", check=True)
    machine.run("uninstall", "--purge", check=True)
    assert (machine.home / ".gitfoam.json").read_bytes() == users_config
    assert users_daemon.poll() is None  # the user's own gitfoam still runs


def test_a_held_back_secret_never_reaches_any_ref_through_gitfoam(users_own_gitfoam, origin):
    machine, _, _ = users_own_gitfoam
    machine.write("finops", "aws.md", f"the deploy key is {aws_key()}\n")
    machine.run("install", check=True, timeout=120)
    machine.write("finops", "later.md", "written after install\n")
    assert wait_for(lambda: file_on(origin, LIVE, "by-project/finops/memory/later.md") == "written after install\n",
                    timeout=20)
    machine.write("finops", "aws.md", f"still the key {aws_key()}, edited\n")
    machine.write("finops", "later.md", "written again\n")
    assert wait_for(lambda: file_on(origin, LIVE, "by-project/finops/memory/later.md") == "written again\n",
                    timeout=20)
    assert aws_key() not in every_blob_on(origin)
    assert "by-project/finops/memory/aws.md" not in git("ls-tree", "-r", "--name-only", LIVE, cwd=origin)
    assert "held back by-project/finops/memory/aws.md" in (machine.agentihooks / "logs" / "blocked.log").read_text()


def test_propose_and_sweep_work_with_gitfoam_as_the_pusher(make_machine, origin, gitfoam_binary):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    build = make_machine("build-01", "contributor", GITFOAM_BINARY=str(gitfoam_binary),
                         MEMORY_MIRROR_INTERVAL_SEC="3600")
    build.project("finops")
    try:
        build.run("install", check=True, timeout=120)
        build.write("finops", "idea.md", "build-01's idea\n")
        assert wait_for(lambda: file_on(origin, LIVE, "by-project/finops/memory/idea.md") == "build-01's idea\n",
                        timeout=20)
        build.run("propose", check=True)
        proposal, = (ref for ref in origin_refs(origin) if ref.startswith("refs/heads/proposal/build-01/"))
        assert git("diff", "--name-only", "main", proposal, cwd=origin).split() == ["by-project/finops/memory/idea.md"]
        swept = build.run("sweep-branches", "--dry-run", check=True).stdout
        assert f"keep   {LIVE}: not merged into main" in swept
        assert "nothing to sweep" in swept
    finally:
        build.run("stop", timeout=60)


def test_a_file_gitfoam_alone_held_back_is_published_once_it_changes(make_machine, origin, gitfoam_binary):
    """gitfoam's entropy rule also takes a base64 image for a secret (ours knows better, so the host branch has the
    file): once the file changes, a gitfoam started anew looks at it again instead of holding it back forever."""
    machine = make_machine("build-01", "contributor", GITFOAM_BINARY=str(gitfoam_binary),
                           MEMORY_MIRROR_INTERVAL_SEC="3600")
    machine.project("finops")
    image = base64.b64encode(random.Random(7).randbytes(300)).decode()
    machine.write("finops", "diagram.md", f"# the flow\n![flow](data:image/png;base64,{image})\n")
    try:
        machine.run("install", check=True, timeout=120)
        path = "by-project/finops/memory/diagram.md"
        assert file_on(origin, HOST, path) is not None  # our scan let it go
        blocked_log = machine.agentihooks / "logs" / "blocked.log"
        assert wait_for(lambda: blocked_log.exists() and "gitfoam held it back" in blocked_log.read_text(), timeout=20)
        assert file_on(origin, LIVE, path) is None
        machine.write("finops", "diagram.md", "# the flow\nsee docs/flow.png\n")
        assert wait_for(lambda: file_on(origin, LIVE, path) == "# the flow\nsee docs/flow.png\n", timeout=30)
        assert "starting it again so it looks at the file anew" in \
            (machine.agentihooks / "logs" / "gitfoam.log").read_text()
    finally:
        machine.run("stop", timeout=60)
