"""A fleet of simulated machines ticking at once against one origin: build it, run rounds, check convergence.

Shared by bench/load_bench.py (which reports timings) and tests/load/test_load.py (which asserts correctness
only). Every machine is its own HOME with its own hostname and role, driving the real `memory-sync` CLI as a
subprocess; origin is one local bare repo.

The fleet (see Config.mix):
  authority    one machine (`laptop`) that holds the lease and pushes main
  standby      a misconfigured second authority (`desktop`): it must stand down (exit 3) every tick and never
               push main; its edits live on its host branch only
  trusted      contributors on the shipped trusted roster (`build-NN`): they tick, then propose; the authority
               merges their clean proposals on its own tick
  contributor  plain contributors (`dev-NN`): they tick, then propose; a person (Reviewer) merges their
               proposals into main while the fleet ticks, as a PR merge on GitHub would
  consumer     read-only pods (`pod-NN`): they only fetch and merge main, and never edit

Every project exists on every machine (same names, so the same keys, at different paths) with the same initial
memory, as a fleet that has synced before. Each memory file has exactly one owner, the only machine that ever
edits it, so any conflict sibling is spurious: no two machines ever change one file.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "tests"), str(REPO)]  # the machines run this checkout's pipeline too
import signing  # noqa: E402
from generate import Layout, generate  # noqa: E402

from pipeline.disk.fsops import blob_id  # noqa: E402

PREFIX = "gitfoam"
MIRROR_ROOT = "by-project"
CONFLICT = re.compile(r"\.conflict-[^/]*$")  # a.conflict-<host>-<epoch>.md, or without the extension
LEASE_INVALIDATED = "authority push lease invalidated"
ROLE_OF_KIND = {"authority": "authority", "standby": "authority", "trusted": "trusted",
                "contributor": "contributor", "consumer": "consumer"}


@dataclass
class Config:
    machines: int = 30
    projects: int = 200
    files: int = 2  # memory files per project at the start
    rounds: int = 3
    edits: int = 3  # existing files each editing machine changes per round
    new_files: int = 1  # files each editing machine adds per round
    consumers: int = 6
    trusted: int = 12
    standby: int = 1  # extra authorities, which must stand down
    review: bool = True  # a person merges plain contributors' proposals while the fleet ticks
    workers: int = 0  # processes at once; 0 = one per machine, all at once
    max_settle: int = 6
    seed: int = 1
    # ticks are driven by rounds, not a timer: an interval longer than any round keeps the lease from
    # going stale between two rounds on a slow machine (3 intervals would otherwise be 3 minutes)
    interval: int = 600

    def mix(self) -> list[tuple[str, str]]:
        """(hostname, kind) for every machine."""
        plain = self.machines - 1 - self.standby - self.trusted - self.consumers
        if plain < 0:
            raise ValueError(f"{self.machines} machines cannot hold 1 authority, {self.standby} standby, "
                             f"{self.trusted} trusted and {self.consumers} consumers")
        hosts = [("laptop", "authority")]
        hosts += [("desktop" if i == 1 else f"desktop-{i}", "standby") for i in range(1, self.standby + 1)]
        hosts += [(f"build-{i:02d}", "trusted") for i in range(1, self.trusted + 1)]
        hosts += [(f"dev-{i:02d}", "contributor") for i in range(1, plain + 1)]
        hosts += [(f"pod-{i:02d}", "consumer") for i in range(1, self.consumers + 1)]
        return hosts

    def describe(self) -> str:
        counts: dict[str, int] = {}
        for _, kind in self.mix():
            counts[kind] = counts.get(kind, 0) + 1
        parts = [f"{counts.get(k, 0)} {k}" for k in ("authority", "standby", "trusted", "contributor", "consumer")]
        return (f"{self.machines} machines ({', '.join(parts)}; standby = a second authority that must stand "
                f"down), {self.projects} projects x {self.files} memory files each, {self.rounds} rounds of "
                f"{self.edits} edits + {self.new_files} new file per editing machine, "
                f"{'a person merges plain contributors PRs during the rounds' if self.review else 'no PR merges'}, "
                f"{self.workers or self.machines} processes at once")


def git(*args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check, env=env)


def clean_env() -> dict[str, str]:
    """The caller's environment without anything of its own mirror or git setup."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("MEMORY_MIRROR_", "GIT_", "GITFOAM_", "AGENTIHOOKS_"))}


@dataclass
class Host:
    name: str
    kind: str
    root: Path
    env: dict[str, str]
    layout: Layout | None = None
    owned: list[tuple[str, str]] = field(default_factory=list)  # (key, rel) this machine may edit
    wrote: dict[tuple[str, str], bytes] = field(default_factory=dict)  # its last write of each file
    encoded: dict[str, str] = field(default_factory=dict)  # key -> its Claude project dir name here
    unproposed: bool = False

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def logs(self) -> Path:
        return self.home / ".agentihooks" / "logs"

    @property
    def edits(self) -> bool:
        return self.kind != "consumer"

    @property
    def proposes(self) -> bool:
        return self.kind in ("trusted", "contributor")

    def memory(self, key: str) -> Path:
        return self.layout.claude_projects / self.encoded[key] / "memory"


@dataclass
class Job:
    phase: str
    host: str
    kind: str
    verb: str
    seconds: float
    code: int
    out: str
    err: str

    @property
    def expected_stand_down(self) -> bool:
        return self.kind == "standby" and self.verb == "sync-now" and self.code == 3

    @property
    def failed(self) -> bool:
        return self.code != 0 and not self.expected_stand_down

    @property
    def lease_invalidated(self) -> bool:
        return LEASE_INVALIDATED in self.out or LEASE_INVALIDATED in self.err

    @property
    def pushed_main(self) -> bool:
        return "push: main -> " in self.out

    @property
    def main_push(self) -> str:
        """What this authority tick did with main."""
        if self.pushed_main:
            return "pushed"
        if self.lease_invalidated:
            return "lease invalidated"
        if "push: main already up to date" in self.out:
            return "up to date"
        return f"exit {self.code}" if self.code else "-"


class Reviewer:
    """A person merging the plain contributors' latest proposals into main, as a PR merge on GitHub does:
    a merge commit on the current main, pushed without force; when main moved meanwhile, fetch and redo."""

    def __init__(self, root: Path, origin: Path, hosts: list[str]):
        self.repo = root / "reviewer.git"
        self.origin = origin
        self.hosts = set(hosts)
        self.env = {**clean_env(), "HOME": str(root), "GIT_AUTHOR_NAME": "reviewer", "GIT_AUTHOR_EMAIL": "r@r",
                    "GIT_COMMITTER_NAME": "reviewer", "GIT_COMMITTER_EMAIL": "r@r", "GIT_CONFIG_NOSYSTEM": "1"}
        git("init", "-q", "--bare", str(self.repo), env=self.env)
        self.done: set[str] = set()
        self.merged = self.retries = self.left = 0
        self.errors: list[str] = []

    def _git(self, *args: str, check: bool = True):
        return git(*args, cwd=self.repo, check=check, env=self.env)

    def pass_once(self) -> None:
        listed = self._git("ls-remote", str(self.origin), "refs/heads/proposal/*").stdout.split("\n")
        latest: dict[str, tuple[str, str]] = {}
        for line in filter(None, listed):
            sha, ref = line.split("\t")
            host = ref.split("/")[3]
            if host in self.hosts and (host not in latest or ref > latest[host][0]):
                latest[host] = (ref, sha)
        for ref, sha in latest.values():
            if sha not in self.done:
                self._merge(ref, sha)

    def _merge(self, ref: str, sha: str) -> None:
        self._git("fetch", "-q", str(self.origin), f"+{ref}:refs/review/{sha}")
        for _ in range(50):
            self._git("fetch", "-q", str(self.origin), "+refs/heads/main:refs/heads/main")
            main = self._git("rev-parse", "main").stdout.strip()
            if self._git("merge-base", "--is-ancestor", sha, main, check=False).returncode == 0:
                break
            merged = self._git("merge-tree", "--write-tree", main, sha, check=False)
            if merged.returncode != 0:
                self.left += 1
                self.errors.append(f"{ref} does not merge cleanly:\n{merged.stdout}{merged.stderr}")
                break
            tree = merged.stdout.split("\n")[0]
            commit = self._git("commit-tree", tree, "-p", main, "-p", sha, "-m",
                               f"Merge pull request: {ref[len('refs/heads/'):]}").stdout.strip()
            push = self._git("push", "--porcelain", str(self.origin), f"{commit}:refs/heads/main", check=False)
            if push.returncode == 0:
                self.merged += 1
                break
            self.retries += 1  # main moved since it was fetched (the authority pushed): merge again on top
        self.done.add(sha)

    def run_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.pass_once()
            except subprocess.CalledProcessError as exc:
                self.errors.append(f"{exc.cmd}: {exc.stderr}")
            stop.wait(0.5)


@dataclass
class Phase:
    name: str
    jobs: list[Job]
    wall: float
    reviewer_merged: int = 0
    reviewer_retries: int = 0

    def ticks(self) -> list[Job]:
        return [job for job in self.jobs if job.verb == "sync-now"]


@dataclass
class Convergence:
    """What the end state should be, and where it is not.

    expected main: the initial files of every key, with the last write of every file whose owner reaches main
      (the authority; trusted hosts through their proposals; plain contributors through merged PRs when a person
      reviews); anything else on main is unexpected, except conflict siblings, which are counted on their own.
    lost: a machine's last write of a file missing from its own host branch on origin (every editing machine
      publishes its host branch), or from main when its owner reaches main.
    machines: every machine's memory for every key equals main's files for that key, except the files whose
      owner never reaches main (a standby authority; plain contributors when nobody reviews), which on their
      owner's machine hold the owner's last write.
    converged: nothing lost, main exactly as expected, every machine equal to it as above.
    """

    lost: list[str] = field(default_factory=list)
    main_wrong: list[str] = field(default_factory=list)
    main_extra: list[str] = field(default_factory=list)
    machines_off: dict[str, list[str]] = field(default_factory=dict)
    conflict_siblings: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return not (self.lost or self.main_wrong or self.main_extra or self.machines_off)

    def summary(self, limit: int = 5) -> str:
        lines = []
        for label, items in (("lost", self.lost), ("main differs", self.main_wrong),
                             ("unexpected on main", self.main_extra)):
            if items:
                lines.append(f"{label} ({len(items)}): " + "; ".join(items[:limit]))
        for host, items in sorted(self.machines_off.items())[:limit]:
            lines.append(f"{host} differs from main ({len(items)}): " + "; ".join(items[:limit]))
        if self.conflict_siblings:
            lines.append(f"conflict siblings ({len(self.conflict_siblings)}): "
                         + "; ".join(self.conflict_siblings[:limit]))
        return "\n".join(lines) or "converged"


class Fleet:
    def __init__(self, root: Path, config: Config, log=lambda message: None):
        self.root = root
        self.config = config
        self.log = log
        self.origin = root / "origin.git"
        self.hosts: list[Host] = []
        self.initial: dict[tuple[str, str], bytes] = {}
        self.phases: list[Phase] = []
        self.reviewer: Reviewer | None = None
        self.settle_rounds: int | None = None
        self.edit_count = 0

    # --- setup ---
    def build(self) -> None:
        git("init", "-q", "--bare", str(self.origin))
        for name, kind in self.config.mix():
            root = self.root / name
            env = {**clean_env(), "HOME": str(root / "home"), "MEMORY_MIRROR_HOSTNAME": name,
                   "MEMORY_MIRROR_ROLE": ROLE_OF_KIND[kind], "MEMORY_MIRROR_REMOTE": str(self.origin),
                   "MEMORY_MIRROR_INTERVAL_SEC": str(self.config.interval),
                   # this checkout's pipeline, whatever the installed package points at
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
            if kind == "trusted":  # signs its proposals; every authority has its key on the roster
                key = signing.new_key(root / "keys", name)
                signing.enrol(name, key, self.root / signing.SIGNERS)
                env["MEMORY_MIRROR_SIGNING_KEY"] = str(key)
            elif kind in ("authority", "standby"):
                signing.trust_fleet(root / "home" / ".agentihooks", self.root / signing.SIGNERS)
            self.hosts.append(Host(name, kind, root, env))
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(self._populate, self.hosts))
        first = self.hosts[0]
        for key in first.encoded:
            memory = first.memory(key)
            for path in sorted(memory.iterdir()):
                self.initial[(key, path.name)] = path.read_bytes()
        editors = [host for host in self.hosts if host.edits]
        for index, item in enumerate(sorted(self.initial)):
            editors[index % len(editors)].owned.append(item)
        if self.config.review:
            plain = [host.name for host in self.hosts if host.kind == "contributor"]
            self.reviewer = Reviewer(self.root, self.origin, plain)

    def _populate(self, host: Host) -> None:
        # the same seed on every machine: the same initial memory, as a fleet that synced before
        host.layout = generate(host.home, self.config.projects, self.config.files, seed=0)
        for project, claude_dir in zip(host.layout.projects, host.layout.claude_dirs):
            (project / ".git").mkdir(exist_ok=True)
            host.encoded[project.name] = claude_dir.name

    # --- running ---
    def _run(self, host: Host, verb: str, phase: str) -> Job:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipeline", verb], env=host.env, cwd=host.home,
                              capture_output=True, text=True)
        return Job(phase, host.name, host.kind, verb, time.perf_counter() - start, done.returncode, done.stdout,
                   done.stderr)

    def _machine_turn(self, host: Host, phase: str) -> list[Job]:
        jobs = [self._run(host, "sync-now", phase)]
        if host.proposes and host.unproposed and jobs[0].code == 0:
            jobs.append(self._run(host, "propose", phase))
            if jobs[-1].code == 0:
                host.unproposed = False
        return jobs

    def run_phase(self, name: str, hosts: list[Host] | None = None) -> Phase:
        hosts = self.hosts if hosts is None else hosts
        stop = threading.Event()
        watcher = None
        merged0, retries0 = (self.reviewer.merged, self.reviewer.retries) if self.reviewer else (0, 0)
        if self.reviewer:
            watcher = threading.Thread(target=self.reviewer.run_until, args=(stop,), daemon=True)
            watcher.start()
        start = time.perf_counter()
        workers = self.config.workers or len(hosts)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda host: self._machine_turn(host, name), hosts))
        wall = time.perf_counter() - start
        if watcher:
            stop.set()
            watcher.join()
            self.reviewer.pass_once()  # what was proposed at the very end is merged before the next round
        phase = Phase(name, [job for jobs in results for job in jobs], wall)
        if self.reviewer:
            phase.reviewer_merged = self.reviewer.merged - merged0
            phase.reviewer_retries = self.reviewer.retries - retries0
        self.phases.append(phase)
        failed = sum(job.failed for job in phase.jobs)
        self.log(f"{name}: {len(phase.ticks())} ticks in {wall:.1f} s{f', {failed} failed' if failed else ''}")
        return phase

    def edit(self, round_no: int) -> int:
        count = 0
        for host in self.hosts:
            if not host.edits:
                continue
            rng = random.Random(f"{self.config.seed}/{host.name}/{round_no}")
            for key, rel in rng.sample(host.owned, min(self.config.edits, len(host.owned))):
                path = host.memory(key) / rel
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(f"- {host.name} round {round_no}: {rng.getrandbits(48):012x}\n")
                host.wrote[(key, rel)] = path.read_bytes()
                count += 1
            for n in range(self.config.new_files):
                key = rng.choice(host.owned)[0]
                rel = f"{host.name}-r{round_no}-{n}.md"
                path = host.memory(key) / rel
                path.write_text(f"# learned on {host.name} in round {round_no}\n\n- {rng.getrandbits(48):012x}\n")
                host.owned.append((key, rel))
                host.wrote[(key, rel)] = path.read_bytes()
                count += 1
            host.unproposed = True
        self.edit_count += count
        return count

    def run(self) -> None:
        """Seed (the authority alone, as its install would), the fleet joins at once, the edit rounds, then
        settle rounds without edits until the fleet has converged (or max_settle)."""
        self.run_phase("seed", [self.hosts[0]])
        self.run_phase("join")
        for round_no in range(1, self.config.rounds + 1):
            edits = self.edit(round_no)
            self.log(f"round {round_no}: {edits} edits")
            self.run_phase(f"round {round_no}")
        for settle in range(1, self.config.max_settle + 1):
            self.run_phase(f"settle {settle}")
            state = self.check()
            if state.converged:
                self.settle_rounds = settle
                return
            self.log(f"settle {settle}: not yet: {state.summary(3)}")

    # --- checking ---
    def _tree(self, ref: str) -> dict[str, str]:
        listed = git("ls-tree", "-r", "-z", ref, cwd=self.origin, check=False)
        if listed.returncode != 0:
            return {}
        entries = {}
        for record in filter(None, listed.stdout.split("\0")):
            meta, path = record.split("\t", 1)
            entries[path] = meta.split()[2]
        return entries

    def _reaches_main(self, host: Host) -> bool:
        return host.kind in ("authority", "trusted") or (host.kind == "contributor" and self.config.review)

    def check(self) -> Convergence:
        state = Convergence()
        main = self._tree("main")
        expected = {f"{MIRROR_ROOT}/{key}/memory/{rel}": blob_id(data) for (key, rel), data in self.initial.items()}
        own: dict[str, dict[str, str]] = {}  # host -> path -> blob, for owners that never reach main
        for host in self.hosts:
            if not host.wrote:
                continue
            branch = self._tree(f"{PREFIX}/{host.name}/main")
            for (key, rel), data in host.wrote.items():
                path, blob = f"{MIRROR_ROOT}/{key}/memory/{rel}", blob_id(data)
                if branch.get(path) != blob:
                    state.lost.append(f"{host.name}:{path} not on its host branch")
                if self._reaches_main(host):
                    expected[path] = blob
                else:
                    own.setdefault(host.name, {})[path] = blob
        for path, blob in sorted(expected.items()):
            if main.get(path) != blob:
                state.main_wrong.append(f"{path} {'missing' if path not in main else 'stale'}")
        for path in sorted(set(main) - set(expected)):
            (state.conflict_siblings if CONFLICT.search(path) else state.main_extra).append(path)
        by_key: dict[str, dict[str, str]] = {}
        for path, blob in main.items():
            _, key, _, rel = path.split("/", 3)
            by_key.setdefault(key, {})[rel] = blob
        for host in self.hosts:
            mine = own.get(host.name, {})
            off = []
            for key in host.encoded:
                want = dict(by_key.get(key, {}))
                for path, blob in mine.items():
                    _, owner_key, _, rel = path.split("/", 3)
                    if owner_key == key:
                        want[rel] = blob
                have = {}
                memory = host.memory(key)
                for dirpath, _, names in os.walk(memory):
                    for name in names:
                        full = Path(dirpath) / name
                        have[full.relative_to(memory).as_posix()] = blob_id(full.read_bytes())
                for rel in sorted(set(want) | set(have)):
                    if want.get(rel) != have.get(rel):
                        what = "missing" if rel not in have else "extra" if rel not in want else "differs"
                        off.append(f"{key}/{rel} {what}")
                        if CONFLICT.search(rel) and rel not in want:
                            state.conflict_siblings.append(f"{host.name}:{key}/{rel}")
            if off:
                state.machines_off[host.name] = off
        return state

    def logged(self, needle: str) -> int:
        """Occurrences of `needle` in every machine's logs."""
        count = 0
        for host in self.hosts:
            for log_file in host.logs.glob("*.log") if host.logs.is_dir() else ():
                count += log_file.read_text(errors="replace").count(needle)
        return count

    def files_written(self) -> int:
        return sum(len(host.wrote) for host in self.hosts)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")
