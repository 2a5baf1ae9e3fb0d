from __future__ import annotations


class FatalError(RuntimeError):
    """An error the user can fix; its message says how. Printed as one line, no traceback."""


class ConfigError(FatalError):
    """Configuration (.env, environment, roles.yaml, remote) is invalid."""


class InvalidRolesError(ConfigError):
    """roles.yaml does not match its schema or does not make sense."""


class GuardError(FatalError):
    """A tree about to be committed or pushed holds a path that must never leave the machine."""
