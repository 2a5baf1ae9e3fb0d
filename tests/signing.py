"""SSH signing keys for simulated machines: a trusted host signs what it publishes with a key of its own, and the
authority's roster (its ~/.agentihooks/allowed_signers) lists that key under the host's name."""
from __future__ import annotations

import subprocess
from pathlib import Path

SIGNERS = "allowed_signers"  # the shipped trusted tier's `signers:`, under $AGENTIHOOKS_HOME


def new_key(directory: Path, comment: str) -> Path:
    """A fresh ed25519 key pair from the real ssh-keygen; returns the private key's path (.pub beside it)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)], check=True)
    return key


def public(key: Path) -> str:
    """'<type> <base64>' of a private key's public half."""
    return " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])


def enrol(host: str, key: Path, signers: Path) -> None:
    with signers.open("a") as out:
        out.write(f"{host} {public(key)}\n")


def trust_fleet(agentihooks: Path, signers: Path) -> None:
    """Make `signers` the roster keys of the machine whose $AGENTIHOOKS_HOME is `agentihooks`."""
    agentihooks.mkdir(parents=True, exist_ok=True)
    signers.touch()
    (agentihooks / SIGNERS).symlink_to(signers)
