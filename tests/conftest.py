"""Fixtures: real git, a bare repo as origin, several machines simulated as separate HOME dirs."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import signing
from pipeline.rules.claude_names import claude_form, dir_name

REPO_ROOT = Path(__file__).resolve().parents[1]
GITFOAM_BUILD = REPO_ROOT.parent / "shared" / "gitfoam" / "build.sh"


def pytest_collection_modifyitems(items):
    """The slow tests first: run on several workers, they then finish alongside the rest instead of after it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No test reads or writes the real HOME, or inherits the developer's mirror or git settings."""
    for name in list(os.environ):
        if name.startswith(("MEMORY_MIRROR_", "AGENTIHOOKS_", "GITFOAM_", "GIT_", "CLAUDE_")):
            monkeypatch.delenv(name)
    home = tmp_path / "default-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture(scope="session")
def gitfoam_binary() -> Path:
    """The real gitfoam: built by scripts/test.sh (TEST_GITFOAM_BINARY), else built here from its source."""
    given = os.environ.get("TEST_GITFOAM_BINARY")
    if given:
        return Path(given)
    if not GITFOAM_BUILD.is_file():
        pytest.skip(f"the real gitfoam cannot be built here: no {GITFOAM_BUILD}")
    built = subprocess.run(["bash", str(GITFOAM_BUILD)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"the real gitfoam could not be built: {built.stderr.strip()[-500:]}")
    return Path(built.stdout.strip().splitlines()[-1])


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    """Poll until `predicate()` holds; the timeout only bounds a broken run, it is not a speed target."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def encode(path: Path | str) -> str:
    """The dir name Claude Code gives a project on this platform (the rule is pinned by tests/test_naming.py)."""
    return dir_name(claude_form(str(path), sys.platform))


@dataclass
class Machine:
    """One simulated machine: its own HOME, hostname and role, driving the real `memory-sync` CLI."""

    root: Path
    hostname: str
    role: str
    remote: str
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def agentihooks(self) -> Path:
        return self.home / ".agentihooks"

    @property
    def projects(self) -> Path:
        return self.home / ".claude" / "projects"

    @property
    def mirror(self) -> Path:
        return self.agentihooks / "memory-mirror"

    @property
    def trash(self) -> Path:
        return self.agentihooks / "trash"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()}
        env.update(HOME=str(self.home), MEMORY_MIRROR_HOSTNAME=self.hostname, MEMORY_MIRROR_REMOTE=self.remote)
        if self.role:
            env["MEMORY_MIRROR_ROLE"] = self.role
        env.update(self.extra_env)
        return env

    def project(self, name: str, marker: str = "pyproject.toml", where: str = "dev") -> Path:
        """Create a project repo at ~/<where>/<name> with a marker and its Claude dir; returns its memory dir."""
        root = self.home / where / name
        root.mkdir(parents=True, exist_ok=True)
        (root / ".git").mkdir(exist_ok=True)
        (root / marker).touch()
        claude = self.projects / encode(root)
        claude.mkdir(parents=True, exist_ok=True)
        return claude / "memory"

    def memory(self, name: str, where: str = "dev") -> Path:
        return self.projects / encode(self.home / where / name) / "memory"

    def write(self, name: str, rel: str, text: str) -> Path:
        path = self.memory(name) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def run(self, *args: str, check: bool = False, cwd: Path | None = None,
            timeout: float | None = None) -> subprocess.CompletedProcess:
        """`timeout` turns a command that would wait forever (a prompt, a network stall) into a failure."""
        result = subprocess.run([sys.executable, "-m", "pipeline", *args], env=self.env(), cwd=cwd or self.home,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"memory-sync {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def doit(self, *args: str) -> subprocess.CompletedProcess:
        """`doit <args>` from the repo root, as a developer runs the task graph."""
        result = subprocess.run([sys.executable, "-m", "doit", *args], env=self.env(), cwd=REPO_ROOT,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"doit {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def tick(self) -> subprocess.CompletedProcess:
        return self.run("sync-now", check=True)

    def files(self, name: str) -> dict[str, str]:
        memory = self.memory(name)
        if not memory.is_dir():
            return {}
        return {p.relative_to(memory).as_posix(): p.read_text() for p in sorted(memory.rglob("*")) if p.is_file()}


@pytest.fixture
def origin(tmp_path) -> Path:
    path = tmp_path / "origin.git"
    git("init", "-q", "--bare", str(path))
    return path


def new_machine(root: Path, hostname: str, role: str, origin: Path, **extra_env: str) -> Machine:
    """A machine under `root`; one of the trusted tier signs with a key of its own, which every authority beside
    it (sharing root's parent) has on its roster."""
    (root / "home").mkdir(parents=True)
    machine = Machine(root, hostname, role, str(origin), dict(extra_env))
    fleet_signers = root.parent / signing.SIGNERS
    if role == "trusted" and "MEMORY_MIRROR_SIGNING_KEY" not in extra_env:
        key = signing.new_key(root / "keys", hostname)
        signing.enrol(hostname, key, fleet_signers)
        machine.extra_env["MEMORY_MIRROR_SIGNING_KEY"] = str(key)
    if role == "authority":
        signing.trust_fleet(machine.agentihooks, fleet_signers)
    return machine


@pytest.fixture
def make_machine(tmp_path, origin):
    def make(hostname: str, role: str, **extra_env: str) -> Machine:
        return new_machine(tmp_path / hostname, hostname, role, origin, **extra_env)

    return make


def origin_refs(origin: Path) -> dict[str, str]:
    out = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=origin)
    return dict(line.split() for line in out.splitlines())


def main_files(origin: Path, ref: str = "main") -> dict[str, str]:
    """The files of `ref` as of one commit: a daemon may move the branch while they are read."""
    commit = git("rev-parse", f"{ref}^{{commit}}", cwd=origin).strip()
    names = git("-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", commit, cwd=origin).splitlines()
    return {name: git("show", f"{commit}:{name}", cwd=origin) for name in names}


def commit_by_hand(origin: Path, path: str, text: str) -> None:
    """A person (or a merged PR) puts `text` at `path` on origin's main, from a clone of their own."""
    work = Path(tempfile.mkdtemp(prefix="person-", dir=origin.parent))
    git("clone", "-q", "-b", "main", str(origin), str(work / "clone"))
    (work / "clone" / path).parent.mkdir(parents=True, exist_ok=True)
    (work / "clone" / path).write_text(text)
    git("add", "-A", cwd=work / "clone")
    git("commit", "-qm", "edit by hand", cwd=work / "clone")
    git("push", "-q", "origin", "HEAD:main", cwd=work / "clone")


def trashed(machine: Machine) -> list[str]:
    """The names of the files in a machine's trash."""
    return sorted(p.name for p in machine.trash.rglob("*") if p.is_file()) if machine.trash.exists() else []


def every_path_on(origin: Path) -> set[str]:
    """Every path in every commit of every ref on origin."""
    paths: set[str] = set()
    for commit in git("rev-list", "--all", cwd=origin).split():
        paths.update(git("-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", commit, cwd=origin).splitlines())
    return paths


@pytest.fixture
def fleet(make_machine):
    """The spec's three kinds of machine on one origin, each with the project finops."""
    laptop = make_machine("laptop", "authority")
    build = make_machine("build-01", "contributor")
    pod = make_machine("pod-1", "consumer")
    for machine in (laptop, build, pod):
        machine.project("finops")
    return laptop, build, pod


def seeded_authority(make_machine, seed: str = "v1\n") -> Machine:
    """The authority `laptop`, having seeded main with the project finops and its MEMORY.md."""
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", seed)
    laptop.tick()
    return laptop


def authority_and(make_machine, host: str, role: str, seed: str = "v1\n") -> tuple[Machine, Machine]:
    """A seeded authority, and one more machine with finops that joined with a tick."""
    laptop = seeded_authority(make_machine, seed)
    other = make_machine(host, role)
    other.project("finops")
    other.tick()
    return laptop, other


def round_trip(laptop: Machine, builder: Machine) -> None:
    """The authority publishes, a trusted builder merges main and proposes, the authority merges that in."""
    laptop.tick()
    builder.tick()
    builder.run("propose", check=True)
    laptop.tick()
    builder.tick()


def trusted_pair(make_machine, **files: str) -> tuple[Machine, Machine]:
    """A seeded authority and the trusted build-07, both holding `files` of finops (`notes_md` is notes.md)."""
    laptop, builder = authority_and(make_machine, "build-07", "trusted")
    for rel, text in files.items():
        laptop.write("finops", rel.replace("_", "."), text)
    laptop.tick()
    builder.tick()
    return laptop, builder


def proposal_refs(origin: Path) -> dict[str, str]:
    return {ref: sha for ref, sha in origin_refs(origin).items() if ref.startswith("refs/heads/proposal/")}


@pytest.fixture
def make_fleet(tmp_path_factory):
    """A fresh origin and three machines (an authority, two trusted contributors) per call, for property tests
    that need a new fleet for each example."""
    def make():
        root = tmp_path_factory.mktemp("fleet")
        origin = root / "origin.git"
        git("init", "-q", "--bare", str(origin))
        machines = []
        for host, role in (("laptop", "authority"), ("build-1", "trusted"), ("build-2", "trusted")):
            machine = new_machine(root / host, host, role, origin)
            machine.project("finops")
            machines.append(machine)
        return machines, origin

    return make
