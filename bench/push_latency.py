"""Push-latency benchmark: how long from a memory file changing to the change being on origin, and what the
two daemons cost when nothing happens.

It builds a throwaway contributor machine in a temp dir (HOME filled by bench/generate.py, a local bare repo
as origin, MEMORY_MIRROR_INTERVAL_SEC=3600 so no periodic tick interferes), runs `memory-sync install`, waits
for the sync daemon and the built-in pusher, then:

  latency   --samples times: write one memory file with unique content, then poll every --poll-ms until the
            host branch gitfoam/<host>/main on origin holds that content (its blob hash at
            by-project/<key>/memory/<file>). On the way it also notes when the mirror's local host branch got
            it, which splits the latency into write -> local commit (sync daemon) and local commit -> origin
            (pusher). Samples are --gap seconds apart (the pusher pushes at most once per 0.3 s).
  breakdown where the time of a sample goes, from the daemons' logs (every command they run is logged with a
            millisecond timestamp as it starts): each step on the critical path, median over the samples.
  idle      --idle-seconds with no change: CPU time of both daemons from /proc/<pid>/stat, their own
            (utime+stime) and that of the commands they ran and waited for (cutime+cstime).

The daemons are stopped at the end (`memory-sync stop`), also on error; the temp dir is deleted unless --keep.

Usage: python bench/push_latency.py [--samples 50] [--idle-seconds 60] [--projects 20 --files 10] [--keep]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import Layout, generate  # noqa: E402

HOSTNAME = "bench"
PREFIX = "gitfoam"
HOST_REF = f"refs/heads/{PREFIX}/{HOSTNAME}/main"
TARGET_P50_MS, TARGET_P95_MS, AIM_MS = 500, 1000, 150
TARGET_IDLE_PCT = 1.0


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def memory_sync_argv(*args: str) -> list[str]:
    found = shutil.which("memory-sync")
    return [found, *args] if found else [sys.executable, "-m", "pipeline", *args]


def machine_env(home: Path, origin: Path) -> dict[str, str]:
    """The benchmarked machine's environment: nothing of the caller's mirror, git or gitfoam setup leaks in,
    so the built-in pusher is used (a gitfoam on PATH would still be picked up by install)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MEMORY_MIRROR_", "GIT_", "GITFOAM_")) and k != "AGENTIHOOKS_HOME"}
    env.update(HOME=str(home), MEMORY_MIRROR_ROLE="contributor", MEMORY_MIRROR_REMOTE=str(origin),
               MEMORY_MIRROR_HOSTNAME=HOSTNAME, MEMORY_MIRROR_INTERVAL_SEC="3600")
    return env


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 50 samples is the 48th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


# --- the machine -------------------------------------------------------------------------------------------

@dataclass
class Machine:
    root: Path
    home: Path
    origin: Path
    layout: Layout
    env: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)
    published_ref: str = HOST_REF  # the branch on origin a sample waits for (gitfoam publishes <prefix>/<host>/live)
    tree_paths: dict[Path, str] = field(default_factory=dict)  # memory file -> its path in the host branch

    @property
    def agentihooks(self) -> Path:
        return self.home / ".agentihooks"

    @property
    def mirror_git(self) -> Path:
        return self.agentihooks / "memory-mirror" / ".git"

    @property
    def logs(self) -> Path:
        return self.agentihooks / "logs"

    def memory_sync(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(memory_sync_argv(*args), env=self.env, cwd=self.home, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise BenchError(f"memory-sync {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
        return done

    def git(self, git_dir: Path, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", f"--git-dir={git_dir}", *args], env=self.env, capture_output=True, text=True)

    def read_ref(self, git_dir: Path, ref: str = HOST_REF) -> str | None:
        """`ref`'s commit in `git_dir` (default the host branch): the loose ref file when there is one (a cheap
        read, fine to do every few ms), else `git rev-parse` (packed refs, reftable)."""
        try:
            return (git_dir / ref).read_text().strip() or None
        except (FileNotFoundError, NotADirectoryError):
            done = self.git(git_dir, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}")
            return done.stdout.strip() or None

    def blob_at(self, git_dir: Path, commit: str, path: str) -> str | None:
        done = self.git(git_dir, "rev-parse", "-q", "--verify", f"{commit}:{path}")
        return done.stdout.strip() or None

    def daemon_pids(self) -> dict[str, int | None]:
        info = json.loads(self.memory_sync("status", "--json").stdout)
        return {name: (entry["pid"] if entry["running"] else None) for name, entry in info["daemons"].items()}


def build_machine(projects: int, files: int) -> Machine:
    root = Path(tempfile.mkdtemp(prefix="mm-push-latency-")).resolve()
    home, origin = root / "home", root / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    layout = generate(home, projects, files)
    return Machine(root, home, origin, layout, machine_env(home, origin))


def wait_until(what: str, predicate, timeout: float, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def install(machine: Machine) -> None:
    start = time.perf_counter()
    done = machine.memory_sync("install")
    log(f"install ({time.perf_counter() - start:.1f} s):\n  " + done.stdout.strip().replace("\n", "\n  "))
    if "built-in" not in done.stdout:
        log("note: install did not report the built-in pusher; the numbers are for whatever pusher it started")

    def both_running():
        pids = machine.daemon_pids()
        return pids if all(pids.get(name) for name in ("sync", "pusher")) else None

    machine.pids = wait_until("both daemons to run", both_running, 30)
    sync_pid = machine.pids["sync"]

    def startup_tick_done():
        text = (machine.logs / "sync-daemon.log").read_text(errors="replace")
        return f"sync-daemon[{sync_pid}] tick ok" in text or f"sync-daemon[{sync_pid}] tick failed" in text

    # the sync daemon ticks once when it starts; the pusher publishes what it finds at start
    wait_until("the sync daemon's start-up tick", startup_tick_done, 120)
    wait_until("origin to have the host branch",
               lambda: machine.read_ref(machine.origin) and
               machine.read_ref(machine.origin) == machine.read_ref(machine.mirror_git), 30)
    time.sleep(1.0)  # let both loops settle into their idle waits
    map_tree_paths(machine)
    log(f"daemons running: sync daemon PID {machine.pids['sync']}, pusher PID {machine.pids['pusher']}")


# --- latency ------------------------------------------------------------------------------------------------

@dataclass
class Sample:
    index: int
    path: str  # in the mirror's tree
    wall_write: float  # time.time() just before the write, to line up with the daemons' logs
    latency: float | None = None  # seconds, write -> on origin
    to_commit: float | None = None  # seconds, write -> the mirror's local host branch has it
    wall_commit: float | None = None
    wall_origin: float | None = None


def map_tree_paths(machine: Machine) -> None:
    """Where each memory file sits in the host branch (by-project/<key>/memory/<name>), found by content in what
    install published rather than assumed: every generated file has a body of its own."""
    listing = machine.git(machine.origin, "ls-tree", "-r", HOST_REF).stdout
    by_blob = {}
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        by_blob.setdefault(meta.split()[2], []).append(path)
    for file in machine.layout.memory_files:
        paths = [p for p in by_blob.get(blob_sha(file.read_bytes()), []) if p.endswith(f"/memory/{file.name}")]
        if len(paths) != 1:
            raise BenchError(f"{file}: {'not found' if not paths else 'ambiguous'} in {HOST_REF} on origin "
                             f"({paths or 'no path with its content'})")
        machine.tree_paths[file] = paths[0]


def pick_file(machine: Machine, i: int) -> Path:
    """Sample i edits file i of project i: a different project dir each time, every file in turn."""
    n = len(machine.layout.claude_dirs)
    files = sorted((machine.layout.claude_dirs[i % n] / "memory").glob("note_*.md"))
    return files[(i // n) % len(files)]


def one_sample(machine: Machine, i: int, poll: float, timeout: float) -> Sample:
    file = pick_file(machine, i)
    path = machine.tree_paths[file]
    base = file.read_text(encoding="utf-8").split("\n- latency sample ", 1)[0].rstrip("\n")
    # words and a decimal counter only: nothing a secret scanner could take for a credential
    content = f"{base}\n- latency sample {i} of this run, at {time.strftime('%H:%M:%S')}\n".encode()
    want = blob_sha(content)
    local_before = machine.read_ref(machine.mirror_git)
    origin_before = machine.read_ref(machine.origin, machine.published_ref)
    sample = Sample(i, path, time.time())
    start = time.perf_counter()
    with open(file, "wb") as handle:
        handle.write(content)
    deadline = start + timeout
    while True:
        now = time.perf_counter()
        if sample.to_commit is None:
            local = machine.read_ref(machine.mirror_git)
            if local != local_before:
                if machine.blob_at(machine.mirror_git, local, path) == want:
                    sample.to_commit, sample.wall_commit = now - start, time.time() - (time.perf_counter() - now)
                else:
                    local_before = local  # a commit without our change (should not happen here)
        origin = machine.read_ref(machine.origin, machine.published_ref)
        if origin != origin_before:
            if machine.blob_at(machine.origin, origin, path) == want:
                sample.latency, sample.wall_origin = now - start, time.time() - (time.perf_counter() - now)
                if sample.to_commit is None:  # both moved within one poll
                    sample.to_commit, sample.wall_commit = sample.latency, sample.wall_origin
                return sample
            origin_before = origin
        if now >= deadline:
            log(f"sample {i}: {path} not on origin after {timeout:.0f} s")
            return sample
        time.sleep(poll)


def measure_latency(machine: Machine, samples: int, warmup: int, gap: float, poll: float,
                    timeout: float) -> tuple[list[Sample], list[Sample]]:
    warm, taken = [], []
    for i in range(warmup + samples):
        sample = one_sample(machine, i, poll, timeout)
        (warm if i < warmup else taken).append(sample)
        label = "warm-up" if i < warmup else f"sample {i - warmup + 1}/{samples}"
        if sample.latency is not None:
            log(f"{label}: {sample.latency * 1000:.0f} ms (local commit after {sample.to_commit * 1000:.0f} ms)"
                f"  {sample.path}")
        time.sleep(gap)
    return warm, taken


# --- where the time goes, from the daemons' logs -------------------------------------------------------------

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (\w+) (.*)$")
_GIT_SUB = re.compile(r"^git(?: --no-pager| -c \S+)* (\S+)(.*)$")


@dataclass
class Event:
    when: float
    who: str  # sync / pusher
    text: str

    @property
    def git_sub(self) -> str | None:
        match = _GIT_SUB.match(self.text[5:]) if self.text.startswith("run: ") else None
        return match.group(1) if match else None

    @property
    def label(self) -> str:
        text = self.text
        if text.startswith("run: "):
            command = text[5:]
            match = _GIT_SUB.match(command)
            if match:
                sub, rest = match.groups()
                if sub == "update-ref":
                    ref = rest.split()[0]
                    return f"{self.who}: git update-ref {'host branch' if ref == HOST_REF else ref}"
                if sub == "ls-tree":
                    return f"{self.who}: git ls-tree {rest.split()[-1]}"
                return f"{self.who}: git {sub}"
            return f"{self.who}: {command.split()[0]}"
        step = text.split(":", 1)[0] if ":" in text else text
        return f"{self.who}: {step} step logs its outcome"


def read_events(path: Path, who: str) -> list[Event]:
    events = []
    if not path.exists():
        return events
    for line in path.read_text(errors="replace").splitlines():
        match = _LINE.match(line)
        if match:  # lines with a millisecond timestamp: the logger's (the daemons' own lines have seconds only)
            stamp, ms, _level, text = match.groups()
            when = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(ms) / 1000
            events.append(Event(when, who, text))
    return events


def critical_path(sample: Sample, sync: list[Event], pusher: list[Event]) -> tuple[list[tuple[str, float]], int] | None:
    """(label, ms) along the way of one sample: the write, the sync daemon's commands up to the update of the
    host branch, then the pusher's commands after it, then origin seen. Each step lasts until the next starts
    (a command's time includes the Python work after it); log stamps are truncated to the ms."""
    if sample.wall_origin is None:
        return None
    start, end = sample.wall_write - 0.001, sample.wall_origin + 0.001
    mine = [e for e in sync if start <= e.when <= end]
    cut = next((k for k, e in enumerate(mine) if e.text.startswith("run: ") and f"update-ref {HOST_REF}" in e.text),
               None)
    if cut is None:
        return None
    mine = mine[:cut + 1]
    theirs = [e for e in pusher if mine[-1].when <= e.when <= end]
    pushed = next((k for k, e in enumerate(theirs) if e.git_sub == "push"), None)
    if pushed is not None:  # the pusher's next loop may start before the bench sees origin move
        theirs = theirs[:pushed + 1]
    events = [Event(sample.wall_write, "bench", "write")] + mine + theirs + [Event(sample.wall_origin, "bench", "")]
    labels = (["write -> first command of the sync daemon (inotify, 50 ms debounce, doit load, context)"]
              + [e.label for e in mine]
              + [e.label for e in theirs])
    if theirs:
        labels[len(mine)] = "sync: git update-ref host branch (+ pusher wakes, inotify)"
        labels[-1] += " (+ bench poll)"
    else:
        labels[-1] += " (+ pusher; no pusher line in the window)"
    steps: dict[str, float] = {}
    for label, a, b in zip(labels, events, events[1:]):
        steps[label] = steps.get(label, 0.0) + max(0.0, b.when - a.when) * 1000
    commands = sum(1 for e in mine + theirs if e.text.startswith("run: "))
    return list(steps.items()), commands


def breakdown(machine: Machine, samples: list[Sample]) -> tuple[list[tuple[str, float, float, int]], int, list[int]]:
    sync = read_events(machine.logs / "sync-daemon.log", "sync")
    pusher = read_events(machine.logs / "gitfoam.log", "pusher")
    order: list[str] = []
    per_label: dict[str, list[float]] = {}
    used = 0
    counts = []
    for sample in samples:
        found = critical_path(sample, sync, pusher)
        if found is None:
            continue
        path, commands = found
        used += 1
        counts.append(commands)
        for label, ms in path:
            if label not in per_label:
                order.append(label)
                per_label[label] = []
            per_label[label].append(ms)
    rows = []
    for label in order:
        values = per_label[label] + [0.0] * (used - len(per_label[label]))
        rows.append((label, statistics.median(values), percentile(values, 95), len(per_label[label])))
    return rows, used, counts


def spawn_cost(machine: Machine, reps: int = 30) -> dict[str, float]:
    """Median ms of one `git rev-parse` in the mirror from this process: through subprocess.run, and through the
    pipeline's own Runner (the `sh` package), as the daemons run every command."""
    from pipeline.tools.run import Runner

    mirror = machine.mirror_git.parent
    argv = ["git", "rev-parse", "-q", "--verify", HOST_REF]
    runner = Runner(echo=lambda *_: None)
    ways = {
        "subprocess.run": lambda: subprocess.run(argv, cwd=mirror, env=machine.env, capture_output=True),
        "pipeline Runner (sh)": lambda: runner.run(*argv, cwd=mirror, env=machine.env),
    }
    result = {}
    for name, call in ways.items():
        call()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        result[name] = statistics.median(times)
    return result


# --- idle cost ------------------------------------------------------------------------------------------------

def cpu_ticks(pid: int) -> tuple[int, int]:
    """(utime+stime, cutime+cstime) of `pid` in clock ticks: /proc/<pid>/stat fields 14-17."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
    utime, stime, cutime, cstime = (int(fields[k]) for k in (11, 12, 13, 14))
    return utime + stime, cutime + cstime


def measure_idle(machine: Machine, seconds: float) -> dict[str, dict[str, float]]:
    tick = os.sysconf("SC_CLK_TCK")
    pids = {"sync daemon": machine.pids["sync"], "pusher": machine.pids["pusher"]}
    before = {name: cpu_ticks(pid) for name, pid in pids.items()}
    start = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - start
    after = {name: cpu_ticks(pid) for name, pid in pids.items()}
    result = {}
    for name in pids:
        own = (after[name][0] - before[name][0]) / tick
        children = (after[name][1] - before[name][1]) / tick
        result[name] = {"own": own, "children": children, "elapsed": elapsed}
    return result


# --- report ---------------------------------------------------------------------------------------------------

def machine_info() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{platform.node() or '?'}, nproc={cores}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {git}, rsync {'yes' if shutil.which('rsync') else 'no'}, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def report(args, machine: Machine, warm: list[Sample], samples: list[Sample], rows, used: int, counts: list[int],
           spawn: dict[str, float], idle: dict | None, load_before: str, wall: float) -> bool:
    done = [s for s in samples if s.latency is not None]
    lost = len(samples) - len(done)
    ms = [s.latency * 1000 for s in done]
    commit_ms = [s.to_commit * 1000 for s in done]
    push_ms = [(s.latency - s.to_commit) * 1000 for s in done]
    print(f"\nMachine: {machine_info()}")
    print(f"Load average before the run: {load_before}")
    print(f"Setup: role contributor, built-in pusher, origin = local bare repo, "
          f"{len(machine.layout.projects)} projects x {len(machine.layout.memory_files) // len(machine.layout.projects)}"
          f" memory files, MEMORY_MIRROR_INTERVAL_SEC=3600; {args.samples} samples ({args.warmup} warm-up not "
          f"counted), {args.gap:.1f} s apart, origin polled every {args.poll_ms:g} ms.")
    ok = True
    if not ms:
        print("\nNo sample reached origin.")
        return False

    def stats(values: list[float]) -> str:
        return (f"{statistics.median(values):.0f} | {percentile(values, 95):.0f} | {max(values):.0f} "
                f"| {statistics.fmean(values):.0f} | {min(values):.0f}")

    print("\n## Change-to-remote latency (ms)\n")
    print("| measure | p50 | p95 | max | mean | min |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| write -> on origin (`{PREFIX}/{HOSTNAME}/main`) | {stats(ms)} |")
    print(f"| write -> local host branch (sync daemon) | {stats(commit_ms)} |")
    print(f"| local host branch -> on origin (pusher) | {stats(push_ms)} |")
    for s in warm:
        if s.latency is not None:
            print(f"\nWarm-up (first change the daemons see, not counted): {s.latency * 1000:.0f} ms "
                  f"(local commit after {s.to_commit * 1000:.0f} ms)")
    slow = sum(1 for v in ms if v > 1000)
    print(f"\nSamples over 1 s: {slow} of {len(ms)}" + (f"; {lost} never reached origin within "
                                                       f"{args.timeout:.0f} s" if lost else ""))
    p50, p95 = statistics.median(ms), percentile(ms, 95)
    verdict_50 = "PASS" if p50 < TARGET_P50_MS else "FAIL"
    verdict_95 = "PASS" if p95 < TARGET_P95_MS and not lost else "FAIL"
    ok &= verdict_50 == "PASS" and verdict_95 == "PASS"
    print(f"Targets: p50 < {TARGET_P50_MS} ms: {p50:.0f} -> {verdict_50}; p95 < {TARGET_P95_MS} ms: {p95:.0f} -> "
          f"{verdict_95}; aim {AIM_MS} ms: {'met' if p50 <= AIM_MS else f'{p50 / AIM_MS:.1f}x over'}")

    if rows:
        total = statistics.median(ms)
        print(f"\n## Where the time goes (from the daemons' logs, {used} samples; ms)\n")
        print("Each step lasts from its log line to the next one on the path (a command's time includes the Python "
              "work after it); medians do not add up exactly to the median latency.\n")
        print("| step on the critical path | median | p95 | share of p50 | seen in |")
        print("|---|---:|---:|---:|---:|")
        for label, med, p95_step, seen in rows:
            print(f"| {label} | {med:.0f} | {p95_step:.0f} | {med / total * 100:.0f}% | {seen}/{used} |")
        print(f"| sum of medians | {sum(r[1] for r in rows):.0f} | | | |")
        if counts:
            print(f"\nCommands on the critical path per sample: median {statistics.median(counts):.0f} "
                  f"(min {min(counts)}, max {max(counts)}), run one after another.")
    if spawn:
        print("One `git rev-parse` in the mirror from a Python process on this machine (median of 30, ms): "
              + ", ".join(f"{name} {value:.1f}" for name, value in spawn.items()) + ".")

    if idle:
        print(f"\n## Idle cost ({args.idle_seconds:g} s, no changes)\n")
        print("| daemon | PID | CPU s (own) | CPU s (commands it ran) | CPU s total | % of one core |")
        print("|---|---:|---:|---:|---:|---:|")
        total_cpu = 0.0
        elapsed = 0.0
        for name, pid_key in (("sync daemon", "sync"), ("pusher", "pusher")):
            entry = idle[name]
            both = entry["own"] + entry["children"]
            total_cpu += both
            elapsed = entry["elapsed"]
            print(f"| {name} | {machine.pids[pid_key]} | {entry['own']:.2f} | {entry['children']:.2f} | {both:.2f} "
                  f"| {both / elapsed * 100:.2f}% |")
        own_total = sum(e["own"] for e in idle.values())
        pct = total_cpu / elapsed * 100
        print(f"| both | | {own_total:.2f} | {total_cpu - own_total:.2f} | {total_cpu:.2f} | {pct:.2f}% |")
        verdict = "PASS" if pct < TARGET_IDLE_PCT else "FAIL"
        ok &= verdict == "PASS"
        print(f"\nTarget: both daemons under {TARGET_IDLE_PCT:g}% of one core in total when idle: {pct:.2f}% -> "
              f"{verdict} (own = /proc/<pid>/stat utime+stime; commands it ran = cutime+cstime, the git commands "
              f"the daemon waited for; resolution 1/{os.sysconf('SC_CLK_TCK')} s)")
    print(f"\nTotal benchmark wall time: {wall:.0f} s")
    return ok


def stop_daemons(machine: Machine) -> None:
    done = machine.memory_sync("stop", check=False)
    log("stop: " + " ".join(done.stdout.split("\n")).strip() + (f" {done.stderr.strip()}" if done.returncode else ""))
    if done.returncode == 0:
        return
    for name, pid in machine.pids.items():  # `stop` failed: end the daemons this bench started, by pid
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
                log(f"sent SIGTERM to the {name} daemon (PID {pid})")
            except ProcessLookupError:
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50, help="latency samples (default 50)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="changes before the samples, not counted (the first change pays one-off imports)")
    parser.add_argument("--idle-seconds", type=float, default=60, help="idle window for the CPU cost (0: skip)")
    parser.add_argument("--projects", "-n", type=int, default=20)
    parser.add_argument("--files", "-m", type=int, default=10, help="memory files per project")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--poll-ms", type=float, default=5, help="how often origin is polled")
    parser.add_argument("--timeout", type=float, default=30, help="give a sample up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (its path is printed)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    machine = build_machine(args.projects, args.files)
    log(f"machine under {machine.root}: {len(machine.layout.memory_files)} memory files")
    ok = False
    try:
        install(machine)
        warm, samples = measure_latency(machine, args.samples, args.warmup, args.gap, args.poll_ms / 1000,
                                        args.timeout)
        rows, used, counts = breakdown(machine, samples)
        spawn = spawn_cost(machine)
        idle = None
        if args.idle_seconds > 0:
            log(f"idle: measuring {args.idle_seconds:g} s with no changes")
            idle = measure_idle(machine, args.idle_seconds)
        ok = report(args, machine, warm, samples, rows, used, counts, spawn, idle, load_before, time.perf_counter() - start)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stop_daemons(machine)
        if args.keep:
            log(f"kept {machine.root} (logs in {machine.logs})")
        else:
            shutil.rmtree(machine.root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
