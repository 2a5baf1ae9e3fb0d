"""Merging files changed on both sides: the whole-file rule (a conflict sibling for any file two machines changed)
against the line-level merge with MEMORY.md merged by entry, on the same random fleet, in one run.

Three machines (an authority `laptop` and two trusted builders `build-1`, `build-2`) share --projects projects,
each with a notes.md of 20 lines and a MEMORY.md index. For --rounds rounds, every machine edits random lines of
random notes (one line each time, a text never written before) and now and then saves a new memory (a topic
file plus its index entry); then each machine ticks, the builders propose (the authority merges their clean
proposals), the authority ticks, and the builders tick again. Two quiet rounds end it. The same seeds drive
both variants; the whole-file rule runs from a checkout of --old-rev (the last commit before the line-level
merge), the line-level merge from this checkout.

Reported per variant: conflict siblings created; lines lost (a line a user wrote and nobody overwrote that is
in no file, sibling, trash entry or commit on origin: must be 0 for both); index entries missing from the
MEMORY.md Claude loads; whether the fleet converged; and the median time of a tick (whole command).

Usage: python bench/merge_bench.py [--projects 20] [--rounds 50] [--seed 1] [--old-rev 87caa8d]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import encode_path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HOSTS = (("laptop", "authority"), ("build-1", "trusted"), ("build-2", "trusted"))
LINES = 20


class Node:
    def __init__(self, root: Path, host: str, role: str, origin: Path, code: Path, projects: int):
        self.host, self.home = host, root / host
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("MEMORY_MIRROR_", "GIT_", "GITFOAM_"))}
        self.env.update(HOME=str(self.home), MEMORY_MIRROR_ROLE=role, MEMORY_MIRROR_REMOTE=str(origin),
                        MEMORY_MIRROR_HOSTNAME=host, PYTHONPATH=str(code))
        self.memory = []
        for i in range(projects):
            project = self.home / "dev" / f"p{i:03d}"
            project.mkdir(parents=True)
            (project / "pyproject.toml").touch()
            (project / ".git").mkdir()
            memory = self.home / ".claude" / "projects" / encode_path(project) / "memory"
            memory.mkdir(parents=True)
            self.memory.append(memory)
        self.tick_seconds: list[float] = []

    def run(self, *args: str) -> None:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipeline", *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True)
        if args[0] == "sync-now":
            self.tick_seconds.append(time.perf_counter() - start)
        if done.returncode not in (0, 3):
            raise RuntimeError(f"{self.host}: {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")


def settle(nodes: list[Node]) -> None:
    laptop, builders = nodes[0], nodes[1:]
    for node in nodes:
        node.run("sync-now")
    for node in builders:
        node.run("propose")
    laptop.run("sync-now")
    for node in builders:
        node.run("sync-now")


def texts_everywhere(root: Path, nodes: list[Node], origin: Path) -> set[str]:
    """Every line in every memory file, sibling and trash entry of every machine, and in every blob on origin."""
    lines: set[str] = set()
    for node in nodes:
        for base in (node.home / ".claude" / "projects", node.home / ".agentihooks" / "trash"):
            for path in base.rglob("*.md") if base.exists() else []:
                lines.update(path.read_text(errors="replace").splitlines())
    blobs = subprocess.run(["git", f"--git-dir={origin}", "cat-file", "--batch-all-objects", "--batch"],
                           capture_output=True).stdout.decode(errors="replace")
    lines.update(blobs.splitlines())
    return lines


def run_variant(code: Path, args, label: str) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"merge-bench-{label}-"))
    origin = root / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    nodes = [Node(root, host, role, origin, code, args.projects) for host, role in HOSTS]
    rng = random.Random(args.seed)
    laptop = nodes[0]
    for memory in laptop.memory:
        (memory / "notes.md").write_text("".join(f"line {n}: as first written\n" for n in range(LINES)))
        (memory / "MEMORY.md").write_text("# Memory Index\n\n")
    try:
        for _ in range(2):
            settle(nodes)
        standing: set[str] = set()
        entries: list[tuple[int, str]] = []
        for number in range(args.rounds):
            for who, node in enumerate(nodes):
                for _ in range(rng.randint(1, 3)):
                    project = rng.randrange(args.projects)
                    path = node.memory[project] / "notes.md"
                    lines = path.read_text().splitlines(keepends=True)
                    line = rng.randrange(min(LINES, len(lines)))
                    standing.discard(lines[line].rstrip("\n"))
                    lines[line] = f"line {line}: round {number} by {node.host}\n"
                    standing.add(lines[line].rstrip("\n"))
                    path.write_text("".join(lines))
                if rng.random() < 0.3:
                    project = rng.randrange(args.projects)
                    topic = f"topic-{number}-{node.host}.md"
                    (node.memory[project] / topic).write_text(f"what {node.host} learned in round {number}\n")
                    entry = f"- [{topic}]({topic}) — from {node.host}"
                    index = node.memory[project] / "MEMORY.md"
                    index.write_text(index.read_text() + entry + "\n")
                    entries.append((project, entry))
            settle(nodes)
            print(f"{label}: round {number + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for _ in range(2):
            settle(nodes)
        found = texts_everywhere(root, nodes, origin)
        siblings = {path.relative_to(node.home / ".claude" / "projects").as_posix().split("/", 1)[1]
                    for node in nodes for path in (node.home / ".claude" / "projects").rglob("*.conflict-*")}
        views = [{(i, p.name): p.read_bytes() for i, memory in enumerate(node.memory) for p in memory.rglob("*")
                  if p.is_file()} for node in nodes]
        missing = sum(1 for project, entry in entries
                      if entry not in (laptop.memory[project] / "MEMORY.md").read_text().splitlines())
        ticks = [t for node in nodes for t in node.tick_seconds]
        return {"siblings": len(siblings), "lost": len(standing - found), "missing_entries": missing,
                "entries": len(entries), "converged": views[0] == views[1] == views[2],
                "tick_ms": statistics.median(ticks) * 1000, "ticks": len(ticks)}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--old-rev", default="87caa8d", help="a commit with the whole-file rule")
    args = parser.parse_args(argv)
    old = Path(tempfile.mkdtemp(prefix="merge-bench-old-code-"))
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.old_rev, "pipeline", "roles.yaml", "schemas"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        results = {"whole-file rule": run_variant(old, args, "whole-file"),
                   "line-level + index by entry": run_variant(REPO, args, "line-level")}
    finally:
        shutil.rmtree(old, ignore_errors=True)
    print(f"3 machines x {args.projects} projects x {args.rounds} rounds, seed {args.seed}")
    print("| merge | conflict siblings | lines lost | index entries missing from MEMORY.md | converged | "
          "tick, median ms (whole command) |")
    print("|---|---:|---:|---:|---|---:|")
    for label, r in results.items():
        print(f"| {label} | {r['siblings']} | {r['lost']} | {r['missing_entries']} of {r['entries']} | "
              f"{'yes' if r['converged'] else 'NO'} | {r['tick_ms']:.0f} ({r['ticks']} ticks) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
