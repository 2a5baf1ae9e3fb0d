"""Generate N projects x M memory files under a HOME, laid out the way Claude Code lays them out.

For project i (1-based) it creates:

    $HOME/work/p0001/pyproject.toml                      the real project dir, with a marker (key by-project/p0001)
    $HOME/.claude/projects/<encoded>/memory/note_000.md  M markdown files of a few hundred bytes (synced)
    $HOME/.claude/projects/<encoded>/<uuid>.jsonl        a transcript next to memory/ (must NOT sync)
    $HOME/.claude/projects/<encoded>/ctx_refresh_1.json  a context snapshot (must NOT sync)
    $HOME/.claude/projects/<encoded>/todos/<uuid>.json   a todo list (must NOT sync)

where <encoded> is the project's absolute path with every character outside [A-Za-z0-9] replaced by '-'.

As a module:  generate(home, projects=20, files=10) -> Layout;  edit_files(layout, count, seed) -> paths edited
As a script:  python bench/generate.py HOME [--projects N] [--files M] [--seed S]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_WORDS = ("memory", "project", "prefers", "always", "never", "test", "build", "deploy", "branch", "review",
          "python", "rust", "config", "cache", "retry", "timeout", "user", "style", "commit", "lint")


def encode_path(path: str | os.PathLike) -> str:
    """Claude Code's project dir name for an absolute path."""
    return _NOT_ALNUM.sub("-", os.fspath(path))


@dataclass
class Layout:
    home: Path
    projects: list[Path] = field(default_factory=list)  # real project dirs
    claude_dirs: list[Path] = field(default_factory=list)  # ~/.claude/projects/<encoded>/
    memory_files: list[Path] = field(default_factory=list)  # every synced file
    excluded_files: list[Path] = field(default_factory=list)  # every file that must never sync

    @property
    def claude_projects(self) -> Path:
        return self.home / ".claude" / "projects"


def _body(rng: random.Random, title: str) -> str:
    lines = [f"# {title}", ""]
    while sum(len(line) + 1 for line in lines) < rng.randint(250, 450):
        lines.append("- " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 10))))
    return "\n".join(lines) + "\n"


def generate(home: str | os.PathLike, projects: int = 20, files: int = 10, seed: int = 0) -> Layout:
    """Create `projects` projects with `files` memory files each under `home` (which must be absolute)."""
    home = Path(home).resolve()
    rng = random.Random(seed)
    layout = Layout(home)
    claude_root = layout.claude_projects
    claude_root.mkdir(parents=True, exist_ok=True)
    for i in range(1, projects + 1):
        name = f"p{i:04d}"
        project = home / "work" / name
        project.mkdir(parents=True, exist_ok=True)
        (project / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
        claude_dir = claude_root / encode_path(project)
        memory = claude_dir / "memory"
        memory.mkdir(parents=True, exist_ok=True)
        for j in range(files):
            path = memory / f"note_{j:03d}.md"
            path.write_text(_body(rng, f"{name} note {j}"))
            layout.memory_files.append(path)
        transcript = claude_dir / f"{uuid.UUID(int=rng.getrandbits(128))}.jsonl"
        transcript.write_text("".join(json.dumps({"type": "user", "n": n, "text": "secret transcript"}) + "\n"
                                      for n in range(5)))
        ctx_refresh = claude_dir / "ctx_refresh_1.json"
        ctx_refresh.write_text(json.dumps({"context": "must not sync"}) + "\n")
        todos = claude_dir / "todos"
        todos.mkdir(exist_ok=True)
        todo = todos / f"{uuid.UUID(int=rng.getrandbits(128))}.json"
        todo.write_text(json.dumps([{"content": "must not sync", "status": "pending"}]) + "\n")
        layout.excluded_files += [transcript, ctx_refresh, todo]
        layout.projects.append(project)
        layout.claude_dirs.append(claude_dir)
    return layout


def edit_files(layout: Layout, count: int, seed: int) -> list[Path]:
    """Edit `count` distinct memory files (content and size change); returns the edited paths."""
    rng = random.Random(seed)
    chosen = rng.sample(layout.memory_files, min(count, len(layout.memory_files)))
    for path in chosen:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"- edit {seed} {rng.getrandbits(32):08x}\n")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", help="the HOME to populate (created when missing)")
    parser.add_argument("--projects", "-n", type=int, default=20)
    parser.add_argument("--files", "-m", type=int, default=10, help="memory files per project")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    layout = generate(args.home, args.projects, args.files, args.seed)
    print(f"{len(layout.projects)} projects, {len(layout.memory_files)} memory files, "
          f"{len(layout.excluded_files)} files that must not sync, under {layout.home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
