"""Tick benchmark: what one `memory-sync sync-now` costs, against `git status` on the mirror as the floor.

For each size NxM (N projects x M memory files, bench/generate.py) it builds a throwaway machine in a temp
dir (HOME, a local bare repo as origin, role authority), seeds with one tick, warms up, then takes the
median of --reps repetitions of:

  whole no-change   `memory-sync sync-now` as a subprocess, nothing changed since the last tick
  whole 1%          the same after editing 1% of the memory files
  in-proc no-change run_tasks("tick", "wait=0") inside this process (as a daemon would), nothing changed
  in-proc 1%        the same after editing 1% of the memory files
  git status        `git status` in $AGENTIHOOKS_HOME/memory-mirror (subprocess), the floor
  after-change      (extra) the tick right after a 1% tick, with nothing new to sync; every 1% rep is
                    followed by one, so each 1% tick starts from a settled mirror

Usage: python bench/tick_bench.py [--sizes 20x10,200x20,500x20] [--reps 7] [--warmup 2] [--profile] [--before REV]
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import Layout, generate, edit_files  # noqa: E402

DEFAULT_SIZES = "20x10,200x20,500x20"
HOSTNAME = "bench"


class BenchError(RuntimeError):
    pass


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.replace(" ", ",").split(","):
        if part:
            n, _, m = part.lower().partition("x")
            sizes.append((int(n), int(m)))
    return sizes


# --code: the `pipeline` package measured, when not this checkout's (bench/before.py: an earlier commit's)
CODE: dict[str, str] = {}


def pipeline_module(name: str, before_layout: str):
    """A module of the measured pipeline package: by its name in the layered package, or, for --before a commit made
    before the layers, by the name it had then."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return importlib.import_module(before_layout)


def memory_sync_cmd() -> list[str]:
    found = None if CODE else shutil.which("memory-sync")
    return [found, "sync-now"] if found else [sys.executable, "-m", "pipeline", "sync-now"]


def machine_env(home: Path, origin: Path) -> dict[str, str]:
    """The environment of the benchmarked machine: nothing of the caller's mirror or git setup leaks in. A user's
    install has its modules compiled: PYTHONDONTWRITEBYTECODE (set on some CI machines) is left out, or every
    whole command would measure Python compiling the package (about 50 ms more)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MEMORY_MIRROR_", "GIT_", "GITFOAM_"))
           and k not in ("AGENTIHOOKS_HOME", "PYTHONDONTWRITEBYTECODE")}
    env.update(HOME=str(home), MEMORY_MIRROR_ROLE="authority", MEMORY_MIRROR_REMOTE=str(origin),
               MEMORY_MIRROR_HOSTNAME=HOSTNAME, **({"PYTHONPATH": CODE["dir"]} if CODE else {}))
    return env


@contextlib.contextmanager
def environment(env: dict[str, str]):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Machine:
    root: Path
    home: Path
    origin: Path
    layout: Layout
    env: dict[str, str]
    edits: int = 0

    @property
    def mirror(self) -> Path:
        return self.home / ".agentihooks" / "memory-mirror"

    def edit_one_percent(self) -> int:
        count = max(1, round(len(self.layout.memory_files) / 100))
        self.edits += 1
        edit_files(self.layout, count, seed=self.edits)
        return count

    # --- one measurement each, in seconds ---
    def whole_tick(self) -> float:
        start = time.perf_counter()
        done = subprocess.run(memory_sync_cmd(), env=self.env, cwd=self.home, capture_output=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise BenchError(f"memory-sync sync-now exited {done.returncode}:\n{done.stdout.decode()}"
                             f"{done.stderr.decode()}")
        return elapsed

    def in_process_tick(self, *extra: str) -> float:
        run_tasks = pipeline_module("pipeline.tasks.run", "pipeline.commands.run_tasks").run_tasks

        out, err = io.StringIO(), io.StringIO()
        with environment(self.env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            start = time.perf_counter()
            code = run_tasks("tick", "wait=0", *extra)
            elapsed = time.perf_counter() - start
        if code != 0:
            raise BenchError(f"in-process tick returned {code}:\n{out.getvalue()}{err.getvalue()}")
        return elapsed

    def git_status(self) -> float:
        # the mirror's commits are written from its work tree without git's index: the floor is `git status` with
        # an index and HEAD that match the work tree, which this makes first (not timed)
        for step in (["add", "-A", "-f"], ["commit", "-q", "--allow-empty", "--no-verify", "-m", "floor"]):
            subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@bench", *step], cwd=self.mirror,
                           env=self.env, capture_output=True, check=True)
        start = time.perf_counter()
        done = subprocess.run(["git", "status"], cwd=self.mirror, env=self.env, capture_output=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise BenchError(f"git status exited {done.returncode}: {done.stderr.decode()}")
        return elapsed


def build_machine(n: int, m: int) -> Machine:
    root = Path(tempfile.mkdtemp(prefix=f"mm-bench-{n}x{m}-")).resolve()
    home, origin = root / "home", root / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    layout = generate(home, n, m)
    return Machine(root, home, origin, layout, machine_env(home, origin))


@dataclass
class StepTimer:
    """Wraps pipeline.tasks.graph.run_step (a whole doit action: context, lock, step) and each step's run()
    (the step body alone), in this process only, to split an in-process tick into where its time goes."""

    actions: dict[str, list[float]] = field(default_factory=dict)
    bodies: dict[str, list[float]] = field(default_factory=dict)
    _depth: int = 0

    @contextlib.contextmanager
    def installed(self):
        graph = pipeline_module("pipeline.tasks.graph", "pipeline.graph")
        steps = pipeline_module("pipeline.config.roles", "pipeline.roles").STEPS
        modules = {step: importlib.import_module(f"pipeline.steps.{step.replace('-', '_')}") for step in steps}
        originals = {step: module.run for step, module in modules.items()}
        original_action = graph.run_step

        def timed_action(step, first, last):
            start = time.perf_counter()
            try:
                return original_action(step, first, last)
            finally:
                self.actions.setdefault(step, []).append(time.perf_counter() - start)

        def timed_body(step, run):
            def wrapper(ctx):
                self._depth += 1
                start = time.perf_counter()
                try:
                    return run(ctx)
                finally:
                    self._depth -= 1
                    if self._depth == 0:  # resnapshot calls snapshot.run and commit.run: count it once
                        self.bodies.setdefault(step, []).append(time.perf_counter() - start)
            return wrapper

        graph.run_step = timed_action
        for step, module in modules.items():
            module.run = timed_body(step, originals[step])
        try:
            yield self
        finally:
            graph.run_step = original_action
            for step, module in modules.items():
                module.run = originals[step]


def med_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_size(n: int, m: int, reps: int, warmup: int, log) -> dict:
    t0 = time.perf_counter()
    machine = build_machine(n, m)
    log(f"[{n}x{m}] generated {len(machine.layout.memory_files)} memory files under {machine.home}")
    seed = machine.whole_tick()
    log(f"[{n}x{m}] seed tick {seed * 1000:.0f} ms")
    for _ in range(warmup):
        machine.whole_tick()
    whole_nc, status, whole_pct = [], [], []
    for _ in range(reps):
        status.append(machine.git_status())
        whole_nc.append(machine.whole_tick())
    edited = 0
    whole_after = []
    for _ in range(reps):
        edited = machine.edit_one_percent()
        whole_pct.append(machine.whole_tick())
        whole_after.append(machine.whole_tick())
    log(f"[{n}x{m}] whole-command cells done")
    for _ in range(warmup):
        machine.in_process_tick()
    timer = StepTimer()
    inproc_nc, inproc_pct = [], []
    with timer.installed():
        for _ in range(reps):
            status.append(machine.git_status())
            inproc_nc.append(machine.in_process_tick())
    inproc_after = []
    edit_timer = StepTimer()
    for _ in range(reps):
        machine.edit_one_percent()
        with edit_timer.installed():
            inproc_pct.append(machine.in_process_tick())
        inproc_after.append(machine.in_process_tick())
    # the sync daemon's periodic tick: its file watcher said which dirs changed (here: none), so the tick
    # skips the stat walk of every memory dir (a full walk still runs every FULL_SCAN_EVERY ticks)
    daemon_nc = []
    for _ in range(reps):
        status.append(machine.git_status())
        daemon_nc.append(machine.in_process_tick("changed="))
    log(f"[{n}x{m}] in-process cells done ({time.perf_counter() - t0:.0f} s for this size)")
    return {
        "size": f"{n}x{m}", "files": n * m, "edited": edited, "machine": machine, "seed": seed * 1000,
        "whole_nc": med_ms(whole_nc), "whole_pct": med_ms(whole_pct),
        "inproc_nc": med_ms(inproc_nc), "inproc_pct": med_ms(inproc_pct), "status": med_ms(status),
        "actions": {s: med_ms(v) for s, v in timer.actions.items()},
        "bodies": {s: med_ms(v) for s, v in timer.bodies.items()},
        "edit_actions": {s: med_ms(v) for s, v in edit_timer.actions.items()},
        "edit_bodies": {s: med_ms(v) for s, v in edit_timer.bodies.items()},
        "whole_after": med_ms(whole_after), "inproc_after": med_ms(inproc_after), "daemon_nc": med_ms(daemon_nc),
    }


def startup_floor(machine, reps: int) -> dict[str, float]:
    """What any whole command pays before its first step, on this machine: Python starting, and Python importing
    sh and doit (the runner and the task graph every tick is built on)."""
    def timed(code: str) -> float:
        runs = []
        for _ in range(reps):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=machine.env, cwd=machine.home, check=True)
            runs.append(time.perf_counter() - start)
        return med_ms(runs)

    return {"python": timed("pass"), "sh+doit": timed("import sh, doit.doit_cmd")}


def print_floor(floor: dict[str, float], first: dict) -> None:
    print(f"\nProcess start-up on this machine (median ms): python alone {floor['python']:.0f}; python importing sh "
          f"and doit {floor['sh+doit']:.0f}. Whole no-change at {first['size']}: {first['whole_nc']:.0f}, "
          f"{first['whole_nc'] - floor['sh+doit']:.0f} over that floor.")


def print_table(results: list[dict], reps: int, warmup: int) -> None:
    print(f"\nMachine: {platform.node() or '?'}, nproc={os.cpu_count()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, "
          f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"rsync {'yes' if shutil.which('rsync') else 'no (pure-Python copy)'}, "
          f"load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Role authority, origin = local bare repo; 1 seed tick, {warmup} warm-up ticks per mode; "
          f"median of {reps} repetitions per cell; times in ms.\n")
    print("| size (projects x files) | files | edited (1%) | git status | first tick (whole) | whole no-change "
          "| whole 1% "
          "| in-proc no-change | in-proc 1% | in-proc no-change / git status | whole 1% / no-change "
          "| in-proc 1% / no-change |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['size']} | {r['files']} | {r['edited']} | {r['status']:.1f} | {r['seed']:.0f} | {r['whole_nc']:.0f} "
              f"| {r['whole_pct']:.0f} | {r['inproc_nc']:.0f} | {r['inproc_pct']:.0f} "
              f"| {r['inproc_nc'] / r['status']:.1f}x | {r['whole_pct'] / r['whole_nc']:.2f}x "
              f"| {r['inproc_pct'] / r['inproc_nc']:.2f}x |")
    print("\nExtra: the tick right after a 1% tick, with nothing new to sync (median ms):\n")
    print("| size | whole after-change | in-proc after-change | in-proc after-change / in-proc no-change |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['size']} | {r['whole_after']:.0f} | {r['inproc_after']:.0f} "
              f"| {r['inproc_after'] / r['inproc_nc']:.2f}x |")
    print("\nThe sync daemon's periodic no-change tick, told by its file watcher that nothing changed "
          "(no stat walk; median ms):\n")
    print("| size | git status | daemon no-change | daemon no-change / git status |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['size']} | {r['status']:.1f} | {r['daemon_nc']:.0f} | {r['daemon_nc'] / r['status']:.1f}x |")
    last = results[-1]
    for label, value in (("in-process no-change tick (full stat walk)", last["inproc_nc"]),
                         ("daemon no-change tick (watcher-informed)", last["daemon_nc"])):
        verdict = "PASS" if value <= 3 * last["status"] else "FAIL"
        print(f"\nTarget: {label} at {last['size']} within 3x of git status: "
              f"{value / last['status']:.1f}x -> {verdict}")

    for label, prefix, total in (("no-change", "", "inproc_nc"), ("1% edit", "edit_", "inproc_pct")):
        print(f"\nIn-process {label} tick, where the time goes (median ms; action = doit action incl. "
              "load_context/lock/check_remote, body = the step's run()):\n")
        steps = list(dict.fromkeys(s for r in results for s in r[f"{prefix}actions"]))
        print("| size | " + " | ".join(f"{s} action / body" for s in steps) + " | doit+rest | total |")
        print("|---|" + "---:|" * (len(steps) + 2))
        for r in results:
            cells = [f"{r[f'{prefix}actions'].get(s, 0):.0f} / {r[f'{prefix}bodies'].get(s, 0):.0f}" for s in steps]
            rest = r[total] - sum(r[f"{prefix}actions"].values())
            print(f"| {r['size']} | " + " | ".join(cells) + f" | {rest:.0f} | {r[total]:.0f} |")


BEFORE_AFTER = (("seed", "first tick (seed), whole command"), ("whole_nc", "whole no-change"),
                ("whole_pct", "whole 1%"), ("inproc_nc", "in-proc no-change"), ("inproc_pct", "in-proc 1%"),
                ("inproc_after", "in-proc after-change"), ("daemon_nc", "daemon no-change"))


def print_before_after(before: list[dict], after: list[dict], rev: str) -> None:
    """Each figure of this run beside the same figure of `rev` (measured just before, same machine), both
    beside `git status` on their own mirror."""
    print(f"\nBefore ({rev}) and after (this checkout), median ms; git status on each run's mirror:\n")
    print("| size | measure | before | after | after / before | git status before / after "
          "| before / git status | after / git status |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for old, new in zip(before, after):
        for key, label in BEFORE_AFTER:
            print(f"| {new['size']} | {label} | {old[key]:.0f} | {new[key]:.0f} | {new[key] / old[key]:.2f}x "
                  f"| {old['status']:.1f} / {new['status']:.1f} | {old[key] / old['status']:.1f}x "
                  f"| {new[key] / new['status']:.1f}x |")


def profile_tick(machine: Machine, top: int, ticks: int = 3) -> None:
    """cProfile `ticks` in-process no-change ticks; print the top functions by cumulative time (pipeline code
    and the libraries it calls) and by own time. Times are totals over the ticks, profiler overhead included."""
    machine.in_process_tick()  # settle: the tick after a changed one is not a no-change tick
    profiler = cProfile.Profile()
    walls = []
    for _ in range(ticks):
        profiler.enable()
        walls.append(machine.in_process_tick())
        profiler.disable()
    print(f"\ncProfile of {ticks} in-process no-change ticks at {machine.root.name} "
          f"(wall per tick under the profiler: {', '.join(f'{w * 1000:.0f}' for w in walls)} ms):")
    sections = (
        ("cumulative", r"pipeline/|yaml/__init__|jsonschema/validators|sh/__init__.py:1471|doit_cmd.py", "pipeline "
         "code and the library entry points it calls"),
        ("tottime", None, "everything"),
    )
    for order, restriction, label in sections:
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream).sort_stats(order)
        stats.print_stats(*([restriction, top] if restriction else [top]))
        text = stream.getvalue()
        print(f"\n--- top {top} by {order} ({label}) ---")
        print(text[text.find("   ncalls"):].rstrip().replace(site_prefix(), "").replace(str(REPO) + "/", ""))


def site_prefix() -> str:
    import doit
    return str(Path(doit.__file__).resolve().parent.parent) + "/"


REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated NxM (default {DEFAULT_SIZES})")
    parser.add_argument("--reps", type=int, default=7, help="repetitions per cell; the median is reported")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up ticks per mode after the seed tick")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile one in-process no-change tick at the last size")
    parser.add_argument("--top", type=int, default=25, help="rows of the profile to print")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (their paths are printed)")
    parser.add_argument("--before", metavar="REV",
                        help="first measure commit REV's pipeline the same way, and print before/after")
    parser.add_argument("--code", metavar="DIR", help="measure the pipeline package in DIR (bench/before.py)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)
    if args.code:
        CODE["dir"] = str(Path(args.code).resolve())
        sys.path.insert(0, CODE["dir"])
    before = None
    if args.before:
        from before import measure

        before = measure(args.before, Path(__file__).name,
                         ["--sizes", args.sizes, "--reps", str(args.reps), "--warmup", str(args.warmup)])

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    start = time.perf_counter()
    results = []
    try:
        for n, m in parse_sizes(args.sizes):
            results.append(bench_size(n, m, args.reps, args.warmup, log))
        print_table(results, args.reps, args.warmup)
        if results:
            print_floor(startup_floor(results[0]["machine"], args.reps), results[0])
        if before:
            print_before_after(before, results, args.before)
        if args.json:
            Path(args.json).write_text(json.dumps([{k: v for k, v in r.items() if k != "machine"} for r in results]))
        if args.profile and results:
            profile_tick(results[-1]["machine"], args.top)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for r in results:
            if args.keep:
                log(f"kept {r['machine'].root}")
            else:
                shutil.rmtree(r["machine"].root, ignore_errors=True)
    print(f"\nTotal benchmark wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
