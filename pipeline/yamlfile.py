"""Our YAML files (roles.yaml, identities.yaml): parsed with libyaml when present, checked against their
JSON Schema, and every error names the file, the line and the key path."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import jsonschema
import yaml

from pipeline.errors import ConfigError

SCHEMAS = Path(__file__).resolve().parent / "data"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema_name).read_text(encoding="utf-8")))


class Located:
    """A loaded file's text, to find the line of a key path when (and only when) there is an error to report."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text

    def line_of(self, keys: list) -> int | None:
        node = yaml.compose(self.text, Loader=_LOADER)
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


def load(path: Path, schema: jsonschema.Draft202012Validator, schema_name: str,
         error: Callable[[str], ConfigError]) -> tuple[Any, Located]:
    """Parse and validate; raises `error(message)` for unreadable, non-YAML or off-schema files."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read it ({exc}).") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML ({problem}). Fix the syntax.") from None
    located = Located(path, text)
    problems = sorted(schema.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        first = problems[0]
        raise error(f"{located.where(list(first.absolute_path))}: {first.message}. "
                    f"See schemas/{schema_name} for the allowed shape.")
    return data, located
