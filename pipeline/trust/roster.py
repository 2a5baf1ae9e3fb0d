"""The authority's roster: which hosts a trust tier covers, and the SSH keys their proposals must be signed with.

A proposal branch names its host, and a name is only a claim: the keys come from the authority's own
roles.yaml (`hosts: {<host>: <key>}`) or the allowed-signers file it names (`signers:`), never from origin.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from pipeline.config.roles import Role, RoleTable
from pipeline.config.settings import Settings
from pipeline.errors import ConfigError


def roster_role(host: str, table: RoleTable) -> Role | None:
    """The auto-merge role whose roster lists this host, if any."""
    for role in table.roles.values():
        if role.auto_merge and any(fnmatchcase(host, pattern) for pattern in role.hosts):
            return role
    return None


def signers_file(role: Role, settings: Settings) -> Path | None:
    if role.signers is None:
        return None
    path = Path(role.signers).expanduser()
    return path if path.is_absolute() else settings.home / path


def _principals_match(principals: str, host: str) -> bool:
    # an allowed-signers principal list is comma-separated patterns; a leading '!' negates one
    patterns = principals.split(",")
    return any(fnmatchcase(host, p) for p in patterns if not p.startswith("!")) and \
        not any(fnmatchcase(host, p[1:]) for p in patterns if p.startswith("!"))


def parse_signers(text: str, host: str) -> list[str]:
    """The public keys an allowed-signers text lists for `host` ("<principals> [options] <type> <key>" lines)."""
    keys = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith("#") or not _principals_match(fields[0], host):
            continue
        # options (namespaces=, valid-after=, cert-authority) sit between the principals and the key
        at = next((i for i, field in enumerate(fields[1:], 1) if _is_key_type(field)), None)
        if at is not None and at + 1 < len(fields):
            keys.append(f"{fields[at]} {fields[at + 1]}")
    return keys


def _is_key_type(field: str) -> bool:
    return field.startswith(("ssh-", "ecdsa-", "sk-"))


def host_keys(role: Role, settings: Settings, host: str) -> list[str]:
    """Every public key the roster lists for `host`."""
    keys = [key for pattern, key in role.keys if fnmatchcase(host, pattern)]
    path = signers_file(role, settings)
    if path is not None and path.exists():
        try:
            keys += parse_signers(path.read_text(encoding="utf-8"), host)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the allowed-signers file of role {role.name} ({exc}).") from None
    return list(dict.fromkeys(" ".join(key.split()[:2]) for key in keys))


def allowed_signers(host: str, keys: list[str]) -> str:
    """An allowed-signers text that lets exactly `keys` sign, each as `host`."""
    return "".join(f"{host} {key}\n" for key in keys)
