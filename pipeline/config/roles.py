"""The role table: load roles.yaml, validate it (schema, then meaning), resolve this machine's role."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config.settings import Settings
from pipeline.config.yamlfile import Located, load, validator
from pipeline.errors import ConfigError, InvalidRolesError

STEPS = ("resolve", "snapshot", "commit", "seed", "fetch", "accept-trusted", "merge", "resnapshot", "push")
# step -> steps that must run before it in the same role
_NEEDS = {
    "snapshot": ("resolve",),
    "commit": ("snapshot",),
    "seed": ("commit",),
    "fetch": (),
    "accept-trusted": ("fetch",),
    "merge": ("resolve", "fetch"),
    "resnapshot": ("merge", "commit"),
    "push": ("commit",),
}


def with_implied_steps(steps: tuple[str, ...], may: frozenset[str]) -> tuple[str, ...]:
    """The steps of a role in a version 1 table, written before seeding and the trusted merge were steps: there,
    `may: [seed]` seeded main from the fetch step and a push-main role merged trusted proposals in it. Such a table
    keeps doing both."""
    implied = set(steps)
    if "seed" in may and "commit" in steps:
        implied.add("seed")
    if "push-main" in may and "fetch" in steps:
        implied.add("accept-trusted")
    return tuple(step for step in STEPS if step in implied) if implied != set(steps) else steps


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    steps: tuple[str, ...]
    may: frozenset[str]
    exclusive: bool = False
    auto_merge: bool = False
    hosts: tuple[str, ...] = ()  # the roster of a trust tier: host names or globs
    keys: tuple[tuple[str, str], ...] = ()  # (host or glob, SSH public key) listed in roles.yaml itself
    signers: str | None = None  # an allowed-signers file with more (host or glob, key) lines

    def can(self, ability: str) -> bool:
        return ability in self.may

    @property
    def pushes_main(self) -> bool:
        return "push" in self.steps and self.can("push-main")

    @property
    def daemons(self) -> tuple[str, ...]:
        """What `start` runs for this role: the sync daemon ticks and watches, the pusher publishes."""
        return (("sync",) if {"fetch", "snapshot"} & set(self.steps) else ()) + \
            (("pusher",) if "push" in self.steps else ())


@dataclass(frozen=True)
class RoleTable:
    source: Path
    roles: dict[str, Role]
    legacy_modes: dict[str, str]

    def get(self, name: str) -> Role:
        if name not in self.roles:
            raise ConfigError(
                f"unknown role {name!r}: {self.source} defines {', '.join(self.roles)}. "
                "Set MEMORY_MIRROR_ROLE to one of them, or add the role to that file."
            )
        return self.roles[name]


_VALIDATOR = validator("roles.schema.json")
_SSH_PUBLIC_KEY = re.compile(r"^(?:ssh|ecdsa|sk)-\S+ [A-Za-z0-9+/]+=*(?:\s|$)")
# every step of a tick loads the table: parse and check each version of the file once per process
_loaded: dict[tuple[Path, int, int], RoleTable] = {}


def load_roles(path: Path) -> RoleTable:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InvalidRolesError(f"{path}: roles file not found. Fix MEMORY_MIRROR_ROLES_FILE or create it.") from None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _loaded:
        data, located = load(path, _VALIDATOR, "roles.schema.json", InvalidRolesError)
        _loaded[key] = _build(located, data)
    return _loaded[key]


def _build(located: Located, data: dict) -> RoleTable:
    path = located.path
    raw_roles: dict[str, dict] = data["roles"]
    version = data["version"]

    def flatten(name: str, seen: tuple[str, ...]) -> dict:
        spec = raw_roles[name]
        parent = spec.get("extends")
        if parent is None:
            return dict(spec)
        if parent not in raw_roles:
            raise InvalidRolesError(
                f"{located.where(['roles', name, 'extends'])}: role {name!r} extends unknown role {parent!r}; "
                f"defined roles: {', '.join(raw_roles)}."
            )
        if parent in seen:
            raise InvalidRolesError(
                f"{located.where(['roles', name, 'extends'])}: role {name!r} extends itself through "
                f"{' -> '.join(seen + (parent,))}. Remove the cycle."
            )
        return {**flatten(parent, seen + (parent,)), **{k: v for k, v in spec.items() if k != "extends"}}

    roles = {}
    for name in raw_roles:
        spec = flatten(name, (name,))
        may, steps = frozenset(spec.get("may", ())), tuple(spec.get("steps", ()))
        _check_version(located, name, version, steps, may)
        role = Role(
            name=name,
            description=spec.get("description", ""),
            steps=with_implied_steps(steps, may) if version == 1 else steps,
            may=may - {"seed"},
            exclusive=bool(spec.get("exclusive", False)),
            auto_merge=bool(spec.get("auto_merge", False)),
            hosts=tuple(spec.get("hosts", ())),
            keys=tuple(spec["hosts"].items()) if isinstance(spec.get("hosts"), dict) else (),
            signers=spec.get("signers"),
        )
        _check_meaning(located, role)
        roles[name] = role
    legacy = dict(data.get("legacy_modes", {}))
    for mode, target in legacy.items():
        if target not in roles:
            raise InvalidRolesError(
                f"{located.where(['legacy_modes', mode])}: legacy mode {mode!r} maps to unknown role "
                f"{target!r}; defined roles: {', '.join(roles)}."
            )
    return RoleTable(source=path, roles=roles, legacy_modes=legacy)


def _check_version(located: Located, name: str, version: int, steps: tuple[str, ...], may: frozenset[str]) -> None:
    if version == 1 and {"seed", "accept-trusted"} & set(steps):
        raise InvalidRolesError(f"{located.where(['roles', name, 'steps'])}: role {name!r}: the steps seed and "
                                "accept-trusted need `version: 2` at the top of the file.")
    if version == 2 and "seed" in may:
        raise InvalidRolesError(f"{located.where(['roles', name, 'may'])}: role {name!r}: in a version 2 table seeding "
                                "is a step: list seed in steps (after commit), not in may.")


def _check_meaning(located: Located, role: Role) -> None:
    def fail(key: str, message: str) -> None:
        raise InvalidRolesError(f"{located.where(['roles', role.name, key])}: role {role.name!r}: {message}")

    order = [STEPS.index(step) for step in role.steps]
    if order != sorted(order):
        fail("steps", f"steps {list(role.steps)} are out of order; they run in the order {' -> '.join(STEPS)}.")
    for step in role.steps:
        missing = [need for need in _NEEDS.get(step, ()) if need not in role.steps]
        if missing:
            fail("steps", f"step {step!r} needs {' and '.join(repr(m) for m in missing)} before it in steps.")
    if "accept-trusted" in role.steps and not role.can("push-main"):
        fail("steps", "step 'accept-trusted' needs push-main in may: only the role that publishes main merges "
                      "proposals into it.")
    if role.can("push-main") and "fetch" not in role.steps:
        fail("may", "push-main needs 'fetch' in steps (main is pushed with a lease on what was fetched).")
    for needed in ("merge", "resnapshot", "push"):
        if role.can("push-main") and needed not in role.steps:
            fail("may", f"push-main needs {needed!r} in steps (main is only pushed with what was merged from it).")
    if role.auto_merge and not role.hosts:
        fail("hosts", "auto_merge: true needs a roster of hosts (names or globs) the authority trusts.")
    for host, key in role.keys:
        if not _SSH_PUBLIC_KEY.match(key):
            raise InvalidRolesError(
                f"{located.where(['roles', role.name, 'hosts', host])}: role {role.name!r}: the key of {host} is not "
                "an SSH public key; paste the first two fields of its .pub file (ssh-ed25519 AAAA...).")
    if role.auto_merge and not role.keys and not role.signers:
        fail("hosts", "auto_merge: true needs each host's SSH signing key: list hosts as `<host>: <public key>`, "
                      "or name an allowed-signers file with `signers:`.")


def resolve_role(settings: Settings, table: RoleTable) -> Role:
    """ROLE wins over MODE; MODE and ENABLED=true map through legacy_modes; nothing set means off."""
    if settings.role_name:
        return table.get(settings.role_name)
    if settings.mode:
        if settings.mode not in table.legacy_modes:
            raise ConfigError(
                f"unknown MEMORY_MIRROR_MODE {settings.mode!r}: {table.source} maps "
                f"{', '.join(table.legacy_modes) or 'no modes'}. Set MEMORY_MIRROR_ROLE instead."
            )
        return table.get(table.legacy_modes[settings.mode])
    if settings.enabled:
        return table.get(table.legacy_modes.get("write", "contributor"))
    return table.get("off")
