"""Everything a step needs, built fresh from configuration: settings, role, runner, git, state."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from pipeline.config.ignore import Ignore, load_ignore
from pipeline.config.roles import Role, RoleTable, load_roles, resolve_role
from pipeline.config.settings import Settings, load_settings
from pipeline.config.yamlfile import read_validated, save_validated
from pipeline.console import echo
from pipeline.errors import ConfigError
from pipeline.log import LOGGER, LOG_NAME, setup_logging
from pipeline.masking import mask
from pipeline.mirror.state import State, run_id
from pipeline.projects.identity import Mapping, load_mappings
from pipeline.tools.git import Git
from pipeline.tools.run import Runner


@dataclass
class Context:
    settings: Settings
    roles: RoleTable
    role: Role
    runner: Runner
    git: Git
    state: State
    log: logging.Logger
    mappings: tuple[Mapping, ...] = ()  # the user's identities.yaml
    ignore: Ignore = Ignore()  # the user's mirrorignore
    # project dirs a file watcher saw change; None: look at all of them
    changed_dirs: frozenset[str] | None = None

    @property
    def dry_run(self) -> bool:
        return self.runner.dry_run

    def say(self, message: str) -> None:
        message = mask(message)
        self.runner.echo(message)
        self.log.info(message)

    def require_remote(self) -> str:
        if not self.settings.remote:
            raise ConfigError(
                f"MEMORY_MIRROR_REMOTE is not set. Set it in {self.settings.env_file} "
                "(e.g. MEMORY_MIRROR_REMOTE=git@github.com:<org>/claude-memory-mirror.git), then re-run install."
            )
        return self.settings.remote


def _quiet_logger() -> logging.Logger:
    """A dry run writes no log."""
    logger = logging.getLogger(LOGGER + "-dry-run")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    return logger


# a run's steps share its configuration: read by the first one that needs it, read again by the next run
_run_config: dict[str, tuple[Settings, RoleTable]] = {}


def read_config() -> tuple[Settings, RoleTable]:
    settings = load_settings()
    read_validated(settings.state_dir)
    return settings, load_roles(settings.roles_file)


def run_config() -> tuple[Settings, RoleTable]:
    """Settings and the role table as this run (one tick or fleet command) first read them."""
    if run_id() not in _run_config:
        config = read_config()
        _run_config.clear()
        _run_config[run_id()] = config
    return _run_config[run_id()]


_run_contexts: dict[tuple, Context] = {}


def run_context(**options) -> Context:
    """The context of this run's steps, built by the first and shared by the rest (identities.yaml and the
    ignore file are read once per run too)."""
    key = (run_id(), *sorted(options.items()))
    if key not in _run_contexts:
        context = load_context(**options, config=run_config())
        context.git.keep_reader()
        end_run()
        _run_contexts[key] = context
    return _run_contexts[key]


def end_run() -> None:
    """The run is over: what its steps kept open (a git reader) is closed."""
    for context in _run_contexts.values():
        context.git.close()
    _run_contexts.clear()


def load_context(dry_run: bool = False, role_name: str | None = None, echo: Callable[[str], None] = echo,
                 changed_dirs: frozenset[str] | None = None, log_name: str = LOG_NAME,
                 config: tuple[Settings, RoleTable] | None = None) -> Context:
    settings, table = config or read_config()
    role = table.get(role_name) if role_name else resolve_role(settings, table)
    log = setup_logging(settings.logs_dir / log_name) if not dry_run else _quiet_logger()
    runner = Runner(dry_run=dry_run, echo=echo)
    mappings = load_mappings(settings.identities_file, settings.user_home)
    if not dry_run:
        save_validated(settings.state_dir)
    return Context(
        settings=settings,
        roles=table,
        role=role,
        runner=runner,
        git=Git(runner, settings.mirror_dir, settings.hostname, settings.signing_key),
        state=State(settings.state_dir, dry_run=dry_run),
        log=log,
        mappings=mappings,
        ignore=load_ignore(settings.ignore_file),
        changed_dirs=changed_dirs,
    )
