"""The user's $AGENTIHOOKS_HOME/mirrorignore: memory this machine keeps off the mirror.

gitignore syntax, matched against `<key>/<path inside memory/>` (`by-project/client-x/notes.md`), so `client-x/`
keeps a whole project home and `*.private.md` some files. An ignored path is never published and never written
or deleted by a merge: main's version of it, if any, stays on main untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    import pathspec

@dataclass(frozen=True)
class Ignore:
    spec: pathspec.PathSpec | None = None

    def ignores(self, key: str, rel: str) -> bool:
        return self.spec is not None and self.spec.match_file(f"{key}/{rel}")

    def __bool__(self) -> bool:
        return self.spec is not None


def parse_ignore(text: str, origin: str) -> Ignore:
    """The rules of `text`; a line that is not a valid pattern is an error naming `origin` and its line."""
    import pathspec  # 10 ms of start-up: only a machine with a mirrorignore needs it

    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError as exc:
            raise ConfigError(f"{origin}:{number}: {line.strip()!r} is not a gitignore pattern ({exc}). "
                              "Fix or remove the line.") from None
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return Ignore(spec if any(pattern.include is not None for pattern in spec.patterns) else None)


def load_ignore(path: Path) -> Ignore:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ignore()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}). Fix or remove the file.") from None
    return parse_ignore(text, str(path))
