"""The folder tree is the architecture: each layer imports only from itself and the layers below it, the rules do no
I/O, and no module grows past what one reading holds."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "pipeline"
# lowest first; the modules at the top of the package (errors, console, log, crash, masking, faults) are under all
LAYERS = ["rules", "disk", "config", "tools", "projects", "mirror", "trust", "steps", "fleet", "tasks", "services",
          "commands", "cli", "__main__"]
BASE = {"errors", "console", "log", "crash", "masking", "faults"}
# what a decision may import: the standard library's pure parts, its own layer, and the secret rules' plugins
PURE_IMPORTS = {"__future__", "enum", "re", "dataclasses", "difflib", "functools", "fnmatch", "typing", "unicodedata",
                "detect_secrets"}
MODULE_LINES = 300


def _modules():
    return sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py")


def _layer(parts: list[str]) -> int:
    return -1 if parts[0] in BASE else LAYERS.index(parts[0])


def _pipeline_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("pipeline.")]
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_own_layer_or_below(path):
    mine = _layer(list(path.relative_to(PACKAGE).with_suffix("").parts))
    upward = [f"line {line}: {module}" for line, module in _pipeline_imports(path)
              if _layer(module.split(".")[1:]) > mine]
    assert not upward, f"{path.relative_to(REPO_ROOT)} imports a higher layer: {upward}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "rules").glob("[!_]*.py")), ids=lambda path: path.name)
def test_a_rule_imports_nothing_that_does_io(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    impure = {name for name in imported
              if name.split(".")[0] not in PURE_IMPORTS and not name.startswith("pipeline.rules.")}
    assert not impure, f"rules/{path.name} imports {sorted(impure)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_module_fits_one_reading(path):
    assert len(path.read_text().splitlines()) <= MODULE_LINES
