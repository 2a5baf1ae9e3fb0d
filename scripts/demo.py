#!/usr/bin/env python3
"""Memory Mirror, end to end: three simulated machines share Claude Code memory through one git remote.

    python3 scripts/demo.py              # in a fresh temp dir, removed afterwards
    python3 scripts/demo.py --dir DIR    # in DIR (created; must be empty), kept afterwards to poke around
    python3 scripts/demo.py --verbose    # show every line of every tick, not only the news

Everything happens under one directory: a bare repo `origin.git` stands in for the remote, and each machine
is a directory with its own HOME, its own MEMORY_MIRROR_HOSTNAME and its own role:

    laptop    authority    the operator's machine, pushes main
    build-01  contributor  publishes gitfoam/build-01/main, merges main
    pod-1     consumer     only fetches and merges main

Every tick is the real CLI (`memory-sync sync-now`, run as `python -m pipeline sync-now`). The demo asserts
everything it shows and exits non-zero when an expectation fails.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = "finops"
KEY = f"by-project/{PROJECT}"
WIDTH = 78


# ---------------------------------------------------------------------------------------------- output helpers

def heading(title: str) -> None:
    print()
    print("=" * WIDTH)
    print(f" {title}")
    print("=" * WIDTH)


def say(text: str) -> None:
    print()
    for paragraph in textwrap.dedent(text).strip().split("\n\n"):
        print(textwrap.fill(" ".join(paragraph.split()), WIDTH))


def block(lines: list[str], indent: str = "    | ") -> None:
    for line in lines:
        print(f"{indent}{line}".rstrip())


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def __call__(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"  [ok]   {what}")
        else:
            self.failed.append(what)
            print(f"  [FAIL] {what}" + (f"\n         {detail}" if detail else ""))
        return ok


check = Checks()


# ---------------------------------------------------------------------------------------------- the machines

def encode_path(path: str) -> str:
    """What Claude Code names a project dir: every char of the absolute path that is not [A-Za-z0-9] -> '-'."""
    return re.sub(r"[^A-Za-z0-9]", "-", path)


def clean_env() -> dict[str, str]:
    """The caller's environment without anything that would leak into a simulated machine."""
    drop = ("MEMORY_MIRROR_", "AGENTIHOOKS_", "GIT_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@dataclass
class Machine:
    name: str
    role: str
    root: Path  # the machine's own directory inside the demo dir
    project_rel: str  # the project checkout, relative to HOME
    session_rel: str  # where Claude Code was started (the project root or a dir inside it)
    remote: Path
    verbose: bool = False
    ticks: int = field(default=0)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def project(self) -> Path:
        return self.home / self.project_rel

    @property
    def session_dir(self) -> Path:
        return self.home / self.session_rel

    @property
    def claude_dir(self) -> Path:
        return self.home / ".claude" / "projects" / encode_path(str(self.session_dir))

    @property
    def memory(self) -> Path:
        return self.claude_dir / "memory"

    @property
    def agentihooks(self) -> Path:
        return self.home / ".agentihooks"

    @property
    def trash(self) -> Path:
        return self.agentihooks / "trash"

    @property
    def env(self) -> dict[str, str]:
        env = clean_env()
        env.update(
            HOME=str(self.home),
            AGENTIHOOKS_HOME=str(self.agentihooks),
            MEMORY_MIRROR_ROLE=self.role,
            MEMORY_MIRROR_REMOTE=str(self.remote),
            MEMORY_MIRROR_HOSTNAME=self.name,
        )
        return env

    def short(self, text: str) -> str:
        """Paths in output: this machine's HOME as ~, its Claude project dir as <project-dir>, the demo dir as $DEMO."""
        return (text.replace(str(self.claude_dir), "~/.claude/projects/<project-dir>")
                .replace(str(self.home), "~").replace(str(self.root.parent), "$DEMO"))

    def setup(self) -> None:
        """A git checkout of the project (agent.yml marks its root) and the Claude dir of a session in it."""
        self.project.mkdir(parents=True)
        subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(self.project)],
                       env=self.env, check=True)
        (self.project / "agent.yml").write_text(f"name: {PROJECT}\nowner: platform-team\n")
        self.session_dir.mkdir(parents=True, exist_ok=True)
        self.claude_dir.mkdir(parents=True)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=300)

    def tick(self) -> list[str]:
        """One `memory-sync sync-now`; prints the lines that carry news (all of them with --verbose)."""
        self.ticks += 1
        done = self.cli("sync-now")
        lines = [self.short(line) for line in done.stdout.splitlines() if line.strip()]
        errors = [self.short(line) for line in done.stderr.splitlines() if line.strip()]
        shown = lines if self.verbose else [line for line in lines if is_news(line)]
        print(f"\n  $ memory-sync sync-now      # on {self.name} ({self.role}), tick {self.ticks}")
        block(shown or ["(nothing new)"])
        block(errors, indent="    ! ")
        check(done.returncode == 0, f"{self.name}: tick {self.ticks} exited 0",
              f"exit code {done.returncode}")
        return lines

    # --- memory files ---------------------------------------------------------------------------------------
    def write(self, rel: str, text: str) -> None:
        path = self.memory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read(self, rel: str) -> str | None:
        try:
            return (self.memory / rel).read_text()
        except FileNotFoundError:
            return None

    def files(self) -> list[str]:
        if not self.memory.is_dir():
            return []
        return sorted(p.relative_to(self.memory).as_posix() for p in self.memory.rglob("*") if p.is_file())

    def show(self, *, contents: bool = True, only: tuple[str, ...] = ()) -> None:
        files = self.files()
        print(f"\n  {self.name}: ~/.claude/projects/<project-dir>/memory/"
              + ("" if files else "  (empty)" if self.memory.is_dir() else "  (does not exist yet)"))
        for rel in files:
            print(f"    {rel}" + ("    <- not memory: never synced" if rel.endswith(".jsonl") else ""))
            if contents and (not only or rel in only or any(rel.startswith(o.split(".")[0]) for o in only)):
                block((self.memory / rel).read_text().splitlines(), indent="        | ")


NOISE = re.compile(
    r"^(resolve: |commit: nothing changed|merge: up to date|fetch: origin/main unchanged|"
    r"push: .*already up to date|snapshot: \d+ keys, 0 files changed)"
)


def realign(lines: list[str]) -> list[str]:
    """Columns separated by 2+ spaces, aligned again (after paths in them were shortened)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines if line.strip()]
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows), default=0))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def is_news(line: str) -> bool:
    return not NOISE.match(line)


def git(*args: str, cwd: Path) -> str:
    env = clean_env()
    env.update(GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd), LC_ALL="C")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def origin_files(origin: Path, ref: str = "main") -> list[str]:
    return git("ls-tree", "-r", "--name-only", ref, cwd=origin).splitlines()


def origin_refs(origin: Path) -> list[str]:
    return git("for-each-ref", "--format=%(refname:short)", cwd=origin).splitlines()


# ---------------------------------------------------------------------------------------------- the story

NOTES_V1 = """\
# Deploy notes (finops)
- Deploys go through the `release` pipeline; never `kubectl apply` by hand.
- Staging is refreshed from prod every Monday 06:00 UTC.
"""
NOTES_V2 = NOTES_V1 + "- Rollback: `make rollback ENV=prod` (takes ~4 min).\n"
NOTES_V3_LAPTOP = NOTES_V2 + "- Freeze window: no prod deploys Fri 15:00 to Mon 09:00.\n"
NOTES_V3_BUILD = NOTES_V2.replace("~4 min", "~90 s since the new image cache") + \
    "- CI: the integration stage needs the `finops-ci` service account.\n"
INDEX = """\
# Memory index
- [Deploy notes](deploy_notes.md): how finops ships
- [Legacy cluster](legacy_cluster.md): the old eu-1 cluster
"""
LEGACY = "# Legacy cluster\neu-1 still serves the reporting API; do not decommission before Q3.\n"
TRANSCRIPT = '{"type":"user","message":"our prod DB password is hunter2"}\n'


def step_0(origin: Path, machines: list[Machine]) -> None:
    heading("Step 0 - the stage: one origin, three machines, one project at three paths")
    git("init", "-q", "--bare", str(origin), cwd=origin.parent)
    say(f"""
        origin: a bare git repo at {origin.name} stands in for the fleet's remote
        (MEMORY_MIRROR_REMOTE). Each machine has its own HOME and its own checkout of the
        '{PROJECT}' project (a git repo whose root holds agent.yml), at a different path on
        each machine. Claude Code keeps a session's memory in
        ~/.claude/projects/<encoded cwd>/memory/, where <encoded cwd> is the absolute
        working dir with every non-alphanumeric char turned into '-'; on pod-1 Claude
        runs in a subdirectory of the project.
    """)
    for machine in machines:
        machine.setup()
    for machine in machines:
        print(f"\n  {machine.name} ({machine.role})  HOME=$DEMO/{machine.name}/home")
        print(f"    project checkout   ~/{machine.project_rel}   (agent.yml, .git)")
        print(f"    Claude Code cwd    ~/{machine.session_rel}")
        print(f"    Claude project dir ~/.claude/projects/{machine.claude_dir.name}/")

    say("""
        Next to memory/ Claude also keeps things that must never leave a machine: session
        transcripts (*.jsonl) and todos/. Every machine gets some, plus a stray .jsonl
        inside memory/ itself. They are checked for on origin in step 5.
    """)
    for machine in machines:
        (machine.claude_dir / "6f1c2d3e-transcript.jsonl").write_text(TRANSCRIPT)
        (machine.claude_dir / "todos").mkdir()
        (machine.claude_dir / "todos" / "session-todos.json").write_text('[{"content":"rotate hunter2"}]\n')
    machines[0].memory.mkdir()
    machines[0].write("scratch.jsonl", TRANSCRIPT)

    say("""
        `memory-sync identities` shows how each machine maps its Claude dir to a mirror key:
        the name of the project root (found by its markers), not the path. So all three
        share one key, and their memory is one memory.
    """)
    for machine in machines:
        done = machine.cli("identities")
        print(f"\n  $ memory-sync identities    # on {machine.name}")
        block(realign(machine.short(done.stdout).splitlines()))
        check(done.returncode == 0 and f" {KEY} " in done.stdout,
              f"{machine.name}: {machine.claude_dir.name} -> {KEY}", done.stdout + done.stderr)


def step_1(origin: Path, laptop: Machine, build: Machine, pod: Machine) -> None:
    heading("Step 1 - laptop writes memory; the pod gets it on its next tick")
    say("""
        Claude on the laptop saves two memories and an index. The laptop's tick snapshots
        memory/ into its mirror, finds no main on origin yet, and seeds it (the authority
        may seed); then pod-1 and build-01 tick and merge main into their own memory dirs.
    """)
    laptop.write("MEMORY.md", INDEX)
    laptop.write("deploy_notes.md", NOTES_V1)
    laptop.write("legacy_cluster.md", LEGACY)
    laptop.show(only=("deploy_notes.md",))
    pod.show()
    laptop.tick()
    print("\n  origin main now holds:")
    block(origin_files(origin), indent="    ")
    check(f"{KEY}/memory/deploy_notes.md" in origin_files(origin), "origin main has by-project/finops/memory/deploy_notes.md")
    pod.tick()
    build.tick()
    pod.show(only=("deploy_notes.md",))
    for machine in (pod, build):
        check(machine.read("deploy_notes.md") == NOTES_V1, f"{machine.name} has deploy_notes.md, same text as laptop")
        check(machine.read("MEMORY.md") == INDEX and machine.read("legacy_cluster.md") == LEGACY,
              f"{machine.name} has MEMORY.md and legacy_cluster.md too")


def step_2(origin: Path, laptop: Machine, build: Machine, pod: Machine) -> None:
    heading("Step 2 - laptop edits a memory; the others get the edit")
    say("Claude on the laptop learns how to roll back and adds a line to deploy_notes.md.")
    laptop.write("deploy_notes.md", NOTES_V2)
    laptop.tick()
    pod.tick()
    build.tick()
    pod.show(only=("deploy_notes.md",))
    for machine in (pod, build):
        check(machine.read("deploy_notes.md") == NOTES_V2, f"{machine.name}: deploy_notes.md has the rollback line")
    check(not any(".conflict-" in f for m in (laptop, build, pod) for f in m.files()),
          "no conflict files anywhere: an edit of an unchanged file is simply taken")


def step_3(origin: Path, laptop: Machine, build: Machine, pod: Machine) -> None:
    heading("Step 3 - laptop and build-01 edit the same file differently: both texts kept")
    say("""
        Between two ticks, Claude on build-01 corrects the rollback time and adds a CI
        note, while Claude on the laptop adds a freeze window. The laptop ticks first, so
        main gets the laptop's text. When build-01 ticks, its file changed AND main's
        changed since the last merge: it keeps its own text in deploy_notes.md and writes
        main's next to it as deploy_notes.conflict-build-01-<epoch>.md. Nothing is
        overwritten; Claude (or a person) reconciles the two later.
    """)
    build.write("deploy_notes.md", NOTES_V3_BUILD)
    laptop.write("deploy_notes.md", NOTES_V3_LAPTOP)
    laptop.tick()
    build.tick()
    build.show(only=("deploy_notes.md",))
    siblings = [f for f in build.files() if re.fullmatch(r"deploy_notes\.conflict-build-01-\d+\.md", f)]
    check(build.read("deploy_notes.md") == NOTES_V3_BUILD, "build-01: deploy_notes.md still holds build-01's own edit")
    check(len(siblings) == 1, "build-01: one conflict sibling deploy_notes.conflict-build-01-<epoch>.md",
          f"files: {build.files()}")
    if siblings:
        check(build.read(siblings[0]) == NOTES_V3_LAPTOP, f"build-01: {siblings[0]} holds the laptop's text (main's)")

    say("""
        build-01 is a contributor: it never pushes main. Its own edit, and the conflict
        sibling, are published on its host branch for the authority to pick up; main keeps
        the laptop's text, and that is what the pod (which edited nothing) receives.
    """)
    print("\n  $ git ls-tree -r --name-only gitfoam/build-01/main     # on origin")
    host_files = origin_files(origin, "gitfoam/build-01/main")
    block(host_files, indent="    ")
    check(any(".conflict-build-01-" in f for f in host_files) and f"{KEY}/memory/deploy_notes.md" in host_files,
          "origin gitfoam/build-01/main has build-01's deploy_notes.md and its conflict sibling")
    main_notes = git("show", f"main:{KEY}/memory/deploy_notes.md", cwd=origin)
    check(main_notes == NOTES_V3_LAPTOP, "origin main: deploy_notes.md is the laptop's text")
    pod.tick()
    check(pod.read("deploy_notes.md") == NOTES_V3_LAPTOP and not any(".conflict-" in f for f in pod.files()),
          "pod-1: took the laptop's text, no conflict (it had not edited the file)")
    say("The laptop ticks again: main holds its own text, so there is nothing to merge.")
    laptop.tick()
    check(laptop.read("deploy_notes.md") == NOTES_V3_LAPTOP, "laptop: its own text is untouched")


def step_4(origin: Path, laptop: Machine, build: Machine, pod: Machine) -> None:
    heading("Step 4 - laptop deletes a memory; the others move it to their trash")
    say("""
        eu-1 is gone, so Claude on the laptop deletes legacy_cluster.md. A deletion that
        comes from main is never an unlink: each machine moves its (unchanged) copy to
        $AGENTIHOOKS_HOME/trash/<key>/<time>/.
    """)
    (laptop.memory / "legacy_cluster.md").unlink()
    laptop.tick()
    check(f"{KEY}/memory/legacy_cluster.md" not in origin_files(origin), "origin main no longer has legacy_cluster.md")
    for machine in (pod, build):
        machine.tick()
    for machine in (pod, build):
        machine.show(contents=False)
        trashed = sorted(p for p in machine.trash.rglob("legacy_cluster.md*") if p.is_file())
        print(f"  {machine.name}: ~/.agentihooks/trash/")
        block([p.relative_to(machine.trash).as_posix() for p in trashed] or ["(empty)"], indent="    ")
        check(machine.read("legacy_cluster.md") is None, f"{machine.name}: legacy_cluster.md is gone from memory/")
        check(len(trashed) == 1 and trashed[0].read_text() == LEGACY
              and trashed[0].relative_to(machine.trash).as_posix().startswith(f"{KEY}/"),
              f"{machine.name}: it is in ~/.agentihooks/trash/{KEY}/<time>/ with its text intact",
              f"trash: {[str(p) for p in trashed]}")


def step_5(origin: Path, machines: list[Machine]) -> None:
    heading("Step 5 - transcripts and todos never reach origin")
    say("""
        Every machine still has its transcript and todos next to memory/ (and the laptop a
        stray scratch.jsonl inside memory/), yet origin has memory files only: in main and
        in every host branch.
    """)
    laptop = machines[0]
    print("\n  laptop: ~/.claude/projects/<project-dir>/")
    local = sorted(p.relative_to(laptop.claude_dir).as_posix() for p in laptop.claude_dir.rglob("*") if p.is_file())
    block(local, indent="    ")
    print("\n  $ git ls-tree -r main      # on origin")
    block(git("ls-tree", "-r", "main", cwd=origin).splitlines(), indent="    ")
    refs = origin_refs(origin)
    print("\n  $ git for-each-ref         # on origin")
    block(refs, indent="    ")
    leaked = [f"{ref}:{path}" for ref in refs for path in origin_files(origin, ref)
              if path.endswith(".jsonl") or "/todos/" in f"/{path}" or not path.startswith(f"{KEY}/memory/")]
    check(not leaked, "no .jsonl, no todos/, nothing outside by-project/finops/memory/ in any ref on origin",
          f"leaked: {leaked}")
    check(set(refs) == {"main", "gitfoam/laptop/main", "gitfoam/build-01/main", "mirror/authority-lease"},
          "origin refs: main, the host branches of laptop and build-01, and the laptop's authority lease "
          "(pod-1, a consumer, pushes nothing)",
          f"refs: {refs}")
    check(all((m.claude_dir / "6f1c2d3e-transcript.jsonl").is_file() for m in machines)
          and (laptop.memory / "scratch.jsonl").is_file(), "the transcripts are still there locally, untouched")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="work in DIR (created, must be empty) and keep it afterwards")
    parser.add_argument("--verbose", "-v", action="store_true", help="show every line of every tick")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    if shutil.which("git") is None:
        print("error: git is not installed (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    if args.dir:
        root = args.dir.resolve()
        if root.exists() and any(root.iterdir()):
            parser.error(f"{root} is not empty; give a new or empty directory")
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="memory-mirror-demo-")).resolve()
    origin = root / "origin.git"
    laptop = Machine("laptop", "authority", root / "laptop", "dev/finops", "dev/finops", origin, args.verbose)
    build = Machine("build-01", "contributor", root / "build-01", "ci/workspace/finops", "ci/workspace/finops",
                    origin, args.verbose)
    pod = Machine("pod-1", "consumer", root / "pod-1", "srv/agents/finops", "srv/agents/finops/services/billing",
                  origin, args.verbose)
    machines = [laptop, build, pod]
    print(f"Memory Mirror demo in {root}  (shown as $DEMO below)")
    try:
        step_0(origin, machines)
        step_1(origin, laptop, build, pod)
        step_2(origin, laptop, build, pod)
        step_3(origin, laptop, build, pod)
        step_4(origin, laptop, build, pod)
        step_5(origin, machines)
    except (OSError, subprocess.SubprocessError) as exc:  # a broken step: say so, never "all passed"
        detail = getattr(exc, "stderr", None) or ""
        check(False, f"the demo stopped: {exc}", str(detail).strip())
    finally:
        heading("Result")
        total = check.passed + len(check.failed)
        if check.failed:
            print(f"  {len(check.failed)} of {total} checks FAILED:")
            block(check.failed, indent="    - ")
        else:
            print(f"  all {total} checks passed ({sum(m.ticks for m in machines)} ticks)")
        if args.dir:
            print(f"  kept {root}: each machine's HOME is {root}/<machine>/home, origin is {origin}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
