"""Our YAML files (roles.yaml, identities.yaml): parsed with libyaml when present, checked against their
JSON Schema, and every error names the file, the line and the key path.

A text that passed its schema once is known by its digest (of schema and text) and is neither parsed nor checked
again: its data is kept with the digest in the state dir, so a command whose files did not change imports neither
yaml nor jsonschema (some 15 and 40 ms).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from pipeline.errors import ConfigError

SCHEMAS = Path(__file__).resolve().parents[1] / "data"
VALIDATED = "validated.json"
KEPT_TEXTS = 16  # the files' latest versions; an older one comes back rarely and is only parsed again


def _yaml():
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Schema:
    """A JSON Schema of ours, read and compiled the first time a text must be checked against it."""

    def __init__(self, name: str):
        self.name = name
        self.text = (SCHEMAS / name).read_text(encoding="utf-8")
        self._validator = None

    def iter_errors(self, data: Any):
        if self._validator is None:
            import jsonschema

            self._validator = jsonschema.Draft202012Validator(json.loads(self.text))
        return self._validator.iter_errors(data)

    def digest(self, text: str) -> str:
        return hashlib.sha256(f"{len(self.text)}:{self.text}{text}".encode()).hexdigest()


def validator(schema_name: str) -> Schema:
    return Schema(schema_name)


# digest -> data (as JSON) of texts that passed their schema: read from the state dir, written back by a run that added one
_valid: dict[str, dict[str, Any] | bool] = {"data": {}, "added": False}


def read_validated(state_dir: Path) -> None:
    try:
        known = json.loads((state_dir / VALIDATED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}  # a cache only: an unreadable one means parsing and checking again
    _valid["data"] = known if isinstance(known, dict) else {}
    _valid["added"] = False


def save_validated(state_dir: Path) -> None:
    """Keep the data where the state already is (a machine not set up yet gets no file of ours)."""
    if _valid["added"] and state_dir.is_dir():
        from pipeline.disk.fsops import atomic_write

        kept = dict(list(_valid["data"].items())[-KEPT_TEXTS:])
        with contextlib.suppress(OSError):  # a cache: a full disk only means checking again next time
            atomic_write(state_dir / VALIDATED, json.dumps(kept).encode())
        _valid["added"] = False


class Located:
    """A loaded file's text, to find the line of a key path when (and only when) there is an error to report."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text

    def line_of(self, keys: list) -> int | None:
        yaml, loader = _yaml()
        node = yaml.compose(self.text, Loader=loader)
        line = node.start_mark.line + 1 if node is not None else None
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                match = next((v for k, v in node.value if k.value == str(key)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                match = node.value[key]
            else:
                match = None
            if match is None:
                break
            node = match
            line = node.start_mark.line + 1
        return line

    def where(self, keys: list) -> str:
        line = self.line_of(keys)
        return f"{self.path}{f':{line}' if line else ''}: {' -> '.join(str(k) for k in keys) or '(top level)'}"


def load(path: Path, schema: Schema, schema_name: str,
         error: Callable[[str], ConfigError]) -> tuple[Any, Located]:
    """Parse and validate; raises `error(message)` for unreadable, non-YAML or off-schema files."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read it ({exc}).") from None
    located = Located(path, text)
    digest = schema.digest(text)
    if digest in _valid["data"]:
        return json.loads(_valid["data"][digest]), located  # a copy of its own: a caller may change it
    yaml, loader = _yaml()
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML ({problem}). Fix the syntax.") from None
    problems = sorted(schema.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        first = problems[0]
        raise error(f"{located.where(list(first.absolute_path))}: {first.message}. "
                    f"See schemas/{schema_name} for the allowed shape.")
    kept = json.dumps(data)
    if json.loads(kept) == data:  # kept as JSON: only data that comes back the same
        _valid["data"][digest] = kept
        _valid["added"] = True
    return data, located
