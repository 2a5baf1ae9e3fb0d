"""The mirror over a real ssh:// remote: a real sshd on 127.0.0.1, real keys, the real CLI on each machine."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Machine, git, main_files, origin_refs
from sshd_server import SshdUnavailable, SshServer, keygen, probe, start_sshd

FIX_HINT = "gh repo create <org>/<name> --private --confirm"


@pytest.fixture(scope="module")
def sshd(tmp_path_factory) -> SshServer:
    try:
        server = start_sshd(tmp_path_factory.mktemp("sshd"))
    except SshdUnavailable as exc:
        pytest.skip(f"no test sshd on this machine: {exc}")
    trouble = probe(server)
    if trouble:
        server.stop()
        pytest.skip(f"the test sshd runs but does not let this user log in with a key: {trouble}")
    yield server
    server.stop()


@pytest.fixture
def ssh_origin(tmp_path) -> Path:
    """The mirror repo as it sits on the ssh server: a bare repo at an absolute path."""
    path = tmp_path / "server" / "claude-memory-mirror.git"
    git("init", "-q", "--bare", str(path))
    return path


def ssh_machine(tmp_path: Path, host: str, role: str, remote: str, ssh_command: str) -> Machine:
    (tmp_path / host / "home").mkdir(parents=True)
    machine = Machine(tmp_path / host, host, role, remote, {"GIT_SSH_COMMAND": ssh_command})
    machine.project("finops")
    return machine


def test_three_machines_sync_through_an_ssh_remote(sshd, ssh_origin, tmp_path):
    url = sshd.url(ssh_origin)
    laptop, build, pod = (ssh_machine(tmp_path, host, role, url, sshd.ssh_command())
                          for host, role in (("laptop", "authority"), ("build-01", "contributor"),
                                             ("pod-1", "consumer")))
    laptop.write("finops", "MEMORY.md", "budget alerts go to #finops\n")
    build.write("finops", "build-notes.md", "runners are on build-01\n")
    pod.write("finops", "local-only.md", "the pod's own note\n")

    installed = laptop.run("install", "--no-start", check=True)
    assert "installed: role authority" in installed.stdout
    assert main_files(ssh_origin) == {"by-project/finops/memory/MEMORY.md": "budget alerts go to #finops\n"}

    build.tick()
    assert build.files("finops") == {"MEMORY.md": "budget alerts go to #finops\n",
                                     "build-notes.md": "runners are on build-01\n"}
    assert main_files(ssh_origin, "gitfoam/build-01/main") == {
        "by-project/finops/memory/MEMORY.md": "budget alerts go to #finops\n",
        "by-project/finops/memory/build-notes.md": "runners are on build-01\n",
    }

    before_pod = origin_refs(ssh_origin)
    pod.tick()
    assert pod.files("finops") == {"MEMORY.md": "budget alerts go to #finops\n",
                                   "local-only.md": "the pod's own note\n"}
    assert origin_refs(ssh_origin) == before_pod  # a consumer never pushes

    laptop.write("finops", "MEMORY.md", "budget alerts go to #finops-alerts\n")
    for machine in (laptop, build, pod):
        machine.tick()
    assert main_files(ssh_origin) == {"by-project/finops/memory/MEMORY.md": "budget alerts go to #finops-alerts\n"}
    assert build.files("finops")["MEMORY.md"] == "budget alerts go to #finops-alerts\n"
    assert pod.files("finops") == {"MEMORY.md": "budget alerts go to #finops-alerts\n",
                                   "local-only.md": "the pod's own note\n"}
    assert {ref for ref in origin_refs(ssh_origin) if ref.startswith("refs/heads/gitfoam/")} == {
        "refs/heads/gitfoam/laptop/main", "refs/heads/gitfoam/build-01/main"}
    assert not any(machine.files("finops").keys() - {"MEMORY.md", "build-notes.md", "local-only.md"}
                   for machine in (laptop, build, pod))  # no conflict siblings


def _seed(origin: Path, scratch: Path) -> None:
    """Give origin a main, as a fleet that has been running for a while has."""
    git("clone", "-q", str(origin), str(scratch))
    memory = scratch / "by-project" / "finops" / "memory"
    memory.mkdir(parents=True)
    (memory / "MEMORY.md").write_text("already on main\n")
    git("add", "-A", cwd=scratch)
    git("commit", "-qm", "seed", cwd=scratch)
    git("push", "-q", "origin", "HEAD:main", cwd=scratch)


def _on_disk(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _objects(origin: Path) -> set[str]:
    return {p.relative_to(origin).as_posix() for p in (origin / "objects").rglob("*") if p.is_file()}


@pytest.mark.parametrize("cause", ["unknown-repo", "missing-key", "key-not-authorized"])
def test_an_unreachable_ssh_remote_stops_with_one_message_and_changes_nothing(sshd, ssh_origin, tmp_path, cause):
    _seed(ssh_origin, tmp_path / "seed")
    url, key, reason = sshd.url(ssh_origin), None, None
    if cause == "unknown-repo":
        missing = ssh_origin.parent / "no-such-mirror.git"
        url, reason = sshd.url(missing), "does not appear to be a git repository"
    elif cause == "missing-key":
        key, reason = tmp_path / "no-such-key", "not accessible"
    else:
        key, reason = tmp_path / "stranger_key", "Permission denied (publickey)"
        keygen(key)
    # a new machine meets the server for the first time: ssh's "Permanently added" note must not hide the reason
    machine = ssh_machine(tmp_path, "laptop", "authority", url,
                          sshd.ssh_command(key, first_contact=tmp_path / "laptop-known_hosts"))
    machine.write("finops", "MEMORY.md", "local notes\n")
    home_before = _on_disk(machine.home / ".claude")
    refs_before, objects_before = origin_refs(ssh_origin), _objects(ssh_origin)

    for command in (("sync-now",), ("install", "--no-start")):
        result = machine.run(*command)
        said = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        assert result.returncode != 0, command
        assert len(said) == 1, said
        assert "cannot reach MEMORY_MIRROR_REMOTE" in said[0]
        assert FIX_HINT in said[0] and "SSH key" in said[0]
        assert reason in said[0]

    assert not machine.mirror.exists()
    assert not machine.trash.exists()
    assert not list(machine.agentihooks.glob("*.pid"))
    assert _on_disk(machine.home / ".claude") == home_before
    assert origin_refs(ssh_origin) == refs_before and _objects(ssh_origin) == objects_before
    assert not (ssh_origin.parent / "no-such-mirror.git").exists()


@pytest.mark.parametrize("port_in", ["url", "ssh-command"])
def test_a_password_in_the_ssh_url_is_never_shown_or_logged(sshd, ssh_origin, tmp_path, port_in):
    secret = "hunter2-not-for-logs"
    if port_in == "url":
        url, ssh_command = f"ssh://nobody:{secret}@127.0.0.1:{sshd.port}{ssh_origin}", sshd.ssh_command()
    else:
        # with the port given to ssh, ssh itself names the login it tried: nobody:<password>@127.0.0.1
        url, ssh_command = f"ssh://nobody:{secret}@127.0.0.1{ssh_origin}", f"{sshd.ssh_command()} -p {sshd.port}"
    machine = ssh_machine(tmp_path, "laptop", "authority", url, ssh_command)
    machine.write("finops", "MEMORY.md", "local notes\n")

    outputs = []
    for command in (("sync-now",), ("install", "--no-start"), ("status",), ("status", "--json")):
        result = machine.run(*command)
        outputs.append(result.stdout + result.stderr)
    assert all("cannot reach MEMORY_MIRROR_REMOTE" in out for out in outputs[:2])
    assert all("ssh://***@127.0.0.1" in out for out in outputs)
    assert not [out for out in outputs if secret in out]
    leaked = [path for path in machine.agentihooks.rglob("*") if path.is_file() and secret in path.read_text()]
    assert not leaked
