"""The package as a user installs it: a wheel holds the modules of the source and nothing else, whatever an earlier
build left in the tree, and every module of the installed package imports."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import REPO_ROOT

SHIPPED = ["pipeline", "schemas", "roles.yaml", "pyproject.toml", "README.md"]


def _source_modules() -> set[str]:
    return {path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "pipeline").rglob("*.py")}


def test_a_wheel_built_over_an_older_build_holds_exactly_the_sources_modules(tmp_path):
    tree = tmp_path / "checkout"
    for name in SHIPPED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, tree / name)
    # what `pip install .` of an earlier version leaves behind: a module since moved away
    (tree / "build" / "lib" / "pipeline").mkdir(parents=True)
    (tree / "build" / "lib" / "pipeline" / "context.py").write_text("from pipeline.config import Settings\n")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(tree)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name for name in names if name.endswith(".py")} == _source_modules()
    assert {"pipeline/data/roles.yaml", "pipeline/data/roles.schema.json",
            "pipeline/data/identities.schema.json"} <= set(names)


def test_every_module_of_the_installed_package_imports(tmp_path):
    # -I: the installed package, not this checkout (which is on sys.path when run from the repo)
    probe = ("import importlib, pkgutil, pipeline\n"
             "names = [m.name for m in pkgutil.walk_packages(pipeline.__path__, 'pipeline.')"
             " if not m.name.endswith('__main__')]\n"
             "for name in names:\n"
             "    importlib.import_module(name)\n"
             "print('\\n'.join(names))\n")
    done = subprocess.run([sys.executable, "-I", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = {path.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for path in _source_modules()}
    assert set(done.stdout.split()) == expected - {"pipeline", "pipeline.__main__"}
