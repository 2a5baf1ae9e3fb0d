from __future__ import annotations

import errno


class FatalError(RuntimeError):
    """An error the user can fix; its message says how. Printed as one line, no traceback."""


class ConfigError(FatalError):
    """Configuration (.env, environment, roles.yaml, remote) is invalid."""


class InvalidRolesError(ConfigError):
    """roles.yaml does not match its schema or does not make sense."""


class GuardError(FatalError):
    """A tree about to be committed or pushed holds a path that must never leave the machine."""


class DiskFullError(FatalError):
    """A write failed because its filesystem is full (or the user's quota is used up)."""


RETRY = "then re-run `memory-sync sync-now`"
FREE_SPACE = f"Free some space, {RETRY}; no file was left half-written."


def from_os_error(exc: OSError, step: str) -> FatalError:
    """An OSError a step did not expect, as the one line the user sees: what failed, where, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"{step}: no space left on device{' writing' + where if where else ''}. {FREE_SPACE}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return FatalError(f"{step}: cannot write{where}: {exc.strerror}. Make it writable for this user, {RETRY}.")
    return FatalError(f"{step}: {exc.strerror or exc}{':' + where if where else ''}. Fix that, {RETRY}.")


def disk_full_in(stderr: bytes, step: str) -> DiskFullError | None:
    """git or rsync failing for want of space says so on stderr; that is the whole story the user needs."""
    text = stderr.decode("utf-8", "replace")
    if "No space left on device" not in text and "Disk quota exceeded" not in text:
        return None
    first = next(line.strip() for line in text.splitlines() if "No space" in line or "quota" in line)
    return DiskFullError(f"{step}: no space left on device ({first}). {FREE_SPACE}")
