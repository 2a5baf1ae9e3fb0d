"""A real OpenSSH server on 127.0.0.1 for the tests: its own config, keys and port, run in the foreground."""
from __future__ import annotations

import ctypes
import getpass
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# sshd re-executes itself and insists on an absolute path; /usr/sbin is often not on a non-root PATH
_SBIN_PATH = os.pathsep.join(["/usr/sbin", "/usr/local/sbin", "/sbin", os.environ.get("PATH", "")])
_PRIVSEP_DIR = Path("/run/sshd")


class SshdUnavailable(Exception):
    """This machine cannot run a test sshd; the message says why."""


@dataclass
class SshServer:
    process: subprocess.Popen
    port: int
    user: str
    workdir: Path
    client_key: Path
    known_hosts: Path

    @property
    def log(self) -> Path:
        return self.workdir / "sshd.log"

    def url(self, path: Path | str, user: str | None = None) -> str:
        return f"ssh://{user or self.user}@127.0.0.1:{self.port}{path}"

    def ssh_command(self, key: Path | str | None = None, first_contact: Path | None = None) -> str:
        """The GIT_SSH_COMMAND of a client offering only `key` (the authorized one by default) that trusts this
        server already, or, given `first_contact` (its own empty known_hosts), meets it for the first time."""
        trust = (["-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={first_contact}"]
                 if first_contact else
                 ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={self.known_hosts}"])
        # -F /dev/null: ssh reads ~/.ssh/config of the passwd home, not $HOME, so the tester's own would apply
        return shlex.join([
            "ssh", "-F", "/dev/null", "-i", str(key or self.client_key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", *trust, "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10",
        ])

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no sshd log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_parent() -> None:
    # a test run that is killed must not leave an sshd listening on the machine
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
                   check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def _ensure_privsep_dir(sshd: str) -> None:
    # as root, sshd chroots its pre-auth child into /run/sshd and refuses to start without it (a fresh
    # container has /run empty); unprivileged, it skips privilege separation and needs nothing
    if os.geteuid() != 0 or _PRIVSEP_DIR.is_dir():
        return
    try:
        _PRIVSEP_DIR.mkdir(mode=0o755, parents=True)
    except OSError as exc:
        raise SshdUnavailable(f"{sshd} needs {_PRIVSEP_DIR} and it cannot be created: {exc}") from None


def start_sshd(workdir: Path, attempts: int = 3) -> SshServer:
    sshd = shutil.which("sshd", path=_SBIN_PATH)
    if sshd is None:
        raise SshdUnavailable("sshd not found (install openssh-server: scripts/setup.sh does)")
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            raise SshdUnavailable(f"{tool} not found (install openssh-client: scripts/setup.sh does)")
    _ensure_privsep_dir(sshd)
    workdir.mkdir(parents=True, exist_ok=True)
    host_key, client_key = workdir / "host_key", workdir / "client_key"
    keygen(host_key)
    keygen(client_key)
    authorized = workdir / "authorized_keys"
    shutil.copy(client_key.with_suffix(".pub"), authorized)
    user = getpass.getuser()
    failure = ""
    # the port is free when picked but may be taken before sshd binds it; another one is tried then
    for _ in range(attempts):
        port = _free_port()
        config = workdir / "sshd_config"
        config.write_text("\n".join([
            "ListenAddress 127.0.0.1",
            f"Port {port}",
            f"HostKey {host_key}",
            f"AuthorizedKeysFile {authorized}",
            f"PidFile {workdir / 'sshd.pid'}",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            f"AllowUsers {user}",
            "LogLevel VERBOSE",
            "",
        ]))
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise SshdUnavailable(f"{sshd} rejects its test config: {check.stderr.strip()}")
        log = (workdir / "sshd.log").open("ab")
        process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()
        known_hosts = workdir / "known_hosts"
        key_type, key = host_key.with_suffix(".pub").read_text().split()[:2]
        known_hosts.write_text(f"[127.0.0.1]:{port} {key_type} {key}\n")
        server = SshServer(process, port, user, workdir, client_key, known_hosts)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if _banner(port):
                return server
            time.sleep(0.05)
        server.stop()
        failure = server.log_tail()
    raise SshdUnavailable(f"{sshd} did not start listening on 127.0.0.1 (tried {attempts} ports): {failure}")


def probe(server: SshServer) -> str | None:
    """None when a plain `ssh <user>@127.0.0.1 true` logs in with the client key, else why not."""
    done = subprocess.run(shlex.split(server.ssh_command()) + ["-p", str(server.port), f"{server.user}@127.0.0.1",
                                                               "true"],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if done.returncode == 0:
        return None
    return f"ssh {server.user}@127.0.0.1 exits {done.returncode}: {done.stderr.strip()}\nsshd log:\n{server.log_tail()}"
