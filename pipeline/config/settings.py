"""Settings: $AGENTIHOOKS_HOME/.env, overridden by the environment, checked before any step runs."""
from __future__ import annotations

import io
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dotenv.parser import parse_stream

from pipeline.errors import ConfigError
from pipeline.masking import mask

PACKAGE_ROLES_FILE = Path(__file__).resolve().parents[1] / "data" / "roles.yaml"

DEFAULTS = {
    "MEMORY_MIRROR_BRANCH_PREFIX": "gitfoam",
    "MEMORY_MIRROR_INTERVAL_SEC": "60",
    "MEMORY_MIRROR_SWEEP_IDLE_DAYS": "15",
    "MEMORY_MIRROR_MAX_FILE_BYTES": str(10 * 1024 * 1024),
}
_TRUE = {"1", "true", "yes", "on"}
# a host name becomes part of a branch name (<prefix>/<host>/main) and of conflict file names
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def breaks_ref_name(part: str) -> str | None:
    """What in `part` git refuses in a branch name (git check-ref-format), beyond the characters the patterns
    above already keep out; None when it is fine."""
    if ".." in part:
        return "'..'"
    for segment in part.split("/"):
        if segment.endswith(".lock"):
            return f"a part ending in '.lock' ({segment})"
        if segment.endswith("."):
            return f"a part ending in '.' ({segment})"
    return None


@dataclass(frozen=True)
class Settings:
    user_home: Path
    home: Path
    env_file: Path
    role_name: str | None  # MEMORY_MIRROR_ROLE as given
    mode: str | None  # MEMORY_MIRROR_MODE as given (legacy)
    enabled: bool  # MEMORY_MIRROR_ENABLED=true (v1)
    remote: str | None
    mirror_dir: Path
    prefix: str
    interval: int
    sweep_idle_days: int
    max_file_bytes: int
    gitfoam_binary: Path | None
    gitfoam_local_source: Path | None
    claude_dir: Path  # CLAUDE_CONFIG_DIR, else ~/.claude: Claude Code's settings, projects and agent memory
    claude_projects: Path
    hostname: str
    roles_file: Path
    signing_key: Path | None = None  # MEMORY_MIRROR_SIGNING_KEY: an SSH private key; commits that leave are signed

    @property
    def masked_remote(self) -> str:
        return mask(self.remote or "(not set)")

    @property
    def identities_file(self) -> Path:
        return self.home / "identities.yaml"

    @property
    def agent_memory(self) -> Path:
        """Where Claude Code keeps each subagent's memory (user scope): agent-memory/<agent>/."""
        return self.claude_dir / "agent-memory"

    @property
    def ignore_file(self) -> Path:
        return self.home / "mirrorignore"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def trash_dir(self) -> Path:
        return self.home / "trash"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def host_branch(self) -> str:
        return f"{self.prefix}/{self.hostname}/main"

    @property
    def live_branch(self) -> str:
        """What gitfoam publishes, beside the host branch: this machine's latest snapshot, without history."""
        return f"{self.prefix}/{self.hostname}/live"

    @property
    def gitfoam_dir(self) -> Path:
        return self.home / "gitfoam"


def _expand(value: str, home: Path) -> Path:
    if value.startswith("~"):
        value = str(home) + value[1:]
    return Path(value)


def read_env_file(path: Path) -> dict[str, str]:
    """Variables of a .env file; a line that does not parse is an error naming its line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}). Fix or remove the file.") from None
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(
                f"{path}:{binding.original.line}: cannot parse {binding.original.string.strip()!r}. "
                "Each line must be KEY=value (or a # comment)."
            )
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} is not valid: it must be a whole number >= {minimum}.")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    user_home = Path(environ.get("HOME") or Path.home())
    home = _expand(environ.get("AGENTIHOOKS_HOME") or str(user_home / ".agentihooks"), user_home)
    env_file = home / ".env"
    merged = {**DEFAULTS, **read_env_file(env_file), **{k: v for k, v in environ.items() if v != ""}}

    def get(name: str) -> str | None:
        value = merged.get(name)
        return value.strip() if value is not None and value.strip() else None

    def path(name: str, default: Path | None) -> Path | None:
        value = get(name)
        return _expand(value, user_home) if value else default

    hostname = get("MEMORY_MIRROR_HOSTNAME") or socket.gethostname().split(".")[0]
    if not _HOST_RE.match(hostname) or breaks_ref_name(hostname):
        raise ConfigError(
            f"MEMORY_MIRROR_HOSTNAME={hostname!r} is not valid: use letters, digits, '.', '_' or '-' "
            "(it becomes part of a branch name)."
        )
    prefix = get("MEMORY_MIRROR_BRANCH_PREFIX")
    reserved = prefix.split("/")[0] in ("proposal", "mirror", "main")
    if not _PREFIX_RE.match(prefix) or reserved or breaks_ref_name(prefix):
        why = f"git refuses {breaks_ref_name(prefix)} in a branch name; " if _PREFIX_RE.match(prefix) and \
            breaks_ref_name(prefix) else ""
        raise ConfigError(
            f"MEMORY_MIRROR_BRANCH_PREFIX={prefix!r} is not valid: {why}use a branch-name prefix such as "
            "'gitfoam' (letters, digits, '.', '_', '-', parts separated by '/'; not main, proposal or mirror)."
        )
    claude_dir = path("CLAUDE_CONFIG_DIR", user_home / ".claude")
    signing_key = path("MEMORY_MIRROR_SIGNING_KEY", None)
    if signing_key is not None and not signing_key.is_file():
        raise ConfigError(
            f"MEMORY_MIRROR_SIGNING_KEY={signing_key} is not a file: point it at an SSH private key "
            "(ssh-keygen -t ed25519 -f ~/.ssh/memory-mirror), or unset it to commit unsigned."
        )
    user_roles = home / "roles.yaml"
    roles_file = path("MEMORY_MIRROR_ROLES_FILE", user_roles if user_roles.exists() else PACKAGE_ROLES_FILE)
    return Settings(
        user_home=user_home,
        home=home,
        env_file=env_file,
        role_name=get("MEMORY_MIRROR_ROLE"),
        mode=get("MEMORY_MIRROR_MODE"),
        enabled=(get("MEMORY_MIRROR_ENABLED") or "").lower() in _TRUE,
        remote=get("MEMORY_MIRROR_REMOTE"),
        mirror_dir=path("MEMORY_MIRROR_DIR", home / "memory-mirror"),
        prefix=prefix,
        interval=_int("MEMORY_MIRROR_INTERVAL_SEC", get("MEMORY_MIRROR_INTERVAL_SEC"), 1),
        sweep_idle_days=_int("MEMORY_MIRROR_SWEEP_IDLE_DAYS", get("MEMORY_MIRROR_SWEEP_IDLE_DAYS"), 0),
        max_file_bytes=_int("MEMORY_MIRROR_MAX_FILE_BYTES", get("MEMORY_MIRROR_MAX_FILE_BYTES"), 1),
        gitfoam_binary=path("GITFOAM_BINARY", None),
        gitfoam_local_source=path("GITFOAM_LOCAL_SOURCE", None),
        claude_dir=claude_dir,
        claude_projects=path("MEMORY_MIRROR_CLAUDE_PROJECTS", claude_dir / "projects"),
        hostname=hostname,
        roles_file=roles_file,
        signing_key=signing_key,
    )
