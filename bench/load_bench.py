"""Load benchmark: many simulated machines ticking at once against one origin, then a convergence check.

Builds one local bare repo as origin and --machines machines (each its own HOME with --projects projects of
--files-per-project memory files; the role mix is printed), seeds main from the authority, lets the fleet join
at once, then runs --rounds rounds: every editing machine changes a few of the files it owns and every machine
runs `memory-sync sync-now` at the same moment (contributors then `propose`), while a person merges the plain
contributors' proposals into main. Settle rounds without edits follow until the fleet has converged. It reports
tick times, failures, lease invalidations and retries, and the convergence check (tests/load/loadfleet.py).

Usage: python bench/load_bench.py [--machines 30] [--projects 200] [--rounds 3] [--files-per-project 2]
                                  [--workers 0] [--keep]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "load"))
from loadfleet import Config, Fleet, LEASE_INVALIDATED, median, percentile  # noqa: E402


def machine_line() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"Machine: nproc={os.cpu_count()}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {git}, load average {load}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def phase_table(fleet: Fleet) -> list[str]:
    rows = ["| phase | ticks | p50 ms | p95 ms | max ms | proposes | failed | stood down | lease invalidated "
            "| PRs merged | PR push retries | authority's main | wall s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for phase in fleet.phases:
        ticks = [job.seconds for job in phase.ticks()]
        rows.append(
            f"| {phase.name} | {len(ticks)} | {ms(median(ticks))} | {ms(percentile(ticks, 95))} | {ms(max(ticks))} "
            f"| {sum(job.verb == 'propose' for job in phase.jobs)} | {sum(job.failed for job in phase.jobs)} "
            f"| {sum(job.expected_stand_down for job in phase.jobs)} "
            f"| {sum(job.lease_invalidated for job in phase.jobs)} | {phase.reviewer_merged} "
            f"| {phase.reviewer_retries} "
            f"| {', '.join(job.main_push for job in phase.ticks() if job.kind == 'authority')} | {phase.wall:.1f} |")
    return rows


def authority_retries(fleet: Fleet) -> int:
    """Authority ticks that pushed main right after a tick that could not (lease invalidated, or failed)."""
    ticks = [job for phase in fleet.phases for job in phase.ticks() if job.kind == "authority"]
    return sum(1 for before, after in zip(ticks, ticks[1:])
               if (before.lease_invalidated or before.failed) and after.pushed_main)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    parser.add_argument("--machines", type=int, default=defaults.machines)
    parser.add_argument("--projects", type=int, default=defaults.projects, help="projects per machine")
    parser.add_argument("--files-per-project", type=int, default=defaults.files, help="initial memory files")
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="rounds with edits")
    parser.add_argument("--edits", type=int, default=defaults.edits,
                        help="existing files each editing machine changes per round")
    parser.add_argument("--new-files", type=int, default=defaults.new_files,
                        help="files each editing machine adds per round")
    parser.add_argument("--consumers", type=int, default=defaults.consumers)
    parser.add_argument("--trusted", type=int, default=defaults.trusted)
    parser.add_argument("--standby", type=int, default=defaults.standby,
                        help="second authorities, which must stand down")
    parser.add_argument("--no-review", action="store_true",
                        help="nobody merges the plain contributors' proposals (their edits stay on their branches)")
    parser.add_argument("--workers", type=int, default=0, help="processes at once (0: every machine at once)")
    parser.add_argument("--max-settle", type=int, default=defaults.max_settle)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (its path is printed)")
    args = parser.parse_args(argv)
    config = Config(machines=args.machines, projects=args.projects, files=args.files_per_project,
                    rounds=args.rounds, edits=args.edits, new_files=args.new_files, consumers=args.consumers,
                    trusted=args.trusted, standby=args.standby, review=not args.no_review, workers=args.workers,
                    max_settle=args.max_settle, seed=args.seed)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    print(machine_line())
    print(f"Fleet: {config.describe()}")
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="mm-load-")).resolve(), config, log)
    try:
        fleet.build()
        log(f"built {config.machines} machines x {config.projects} projects under {fleet.root}")
        fleet.run()
        state = fleet.check()
        logged_invalidations = fleet.logged(f"WARNING {LEASE_INVALIDATED}")
    finally:
        if args.keep:
            log(f"kept {fleet.root}")
        else:
            fleet.cleanup()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime

    measured = [job for phase in fleet.phases if phase.name.startswith(("round", "settle")) for job in phase.ticks()]
    seconds = [job.seconds for job in measured]
    failed = [job for phase in fleet.phases for job in phase.jobs if job.failed]
    stood_down = sum(job.expected_stand_down for phase in fleet.phases for job in phase.jobs)
    invalidated = sum(job.lease_invalidated for phase in fleet.phases for job in phase.jobs)
    reviewer = fleet.reviewer
    settle = fleet.settle_rounds if fleet.settle_rounds is not None else f"> {config.max_settle}"

    at_once = "all machines at once" if not config.workers else f"{config.workers} at once"
    print(f"\nPer phase (every tick a `memory-sync sync-now` subprocess, {at_once}; "
          f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}):\n")
    print("\n".join(phase_table(fleet)))
    print("\nSummary (tick times over the edit and settle rounds; seed and join are in the table above):\n")
    print("| machines x projects x rounds | ticks | p50 ms | p95 ms | max ms | failures | stood down (expected) "
          "| lease invalidated | retries (authority / PR merges) | settle rounds | converged | edits (files) | "
          "conflict siblings | wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    print(f"| {config.machines} x {config.projects} x {config.rounds} | {len(seconds)} | {ms(median(seconds))} "
          f"| {ms(percentile(seconds, 95))} | {ms(max(seconds))} | {len(failed)} | {stood_down} "
          f"| {invalidated} (logs: {logged_invalidations}) "
          f"| {authority_retries(fleet)} / {reviewer.retries if reviewer else 0} | {settle} "
          f"| {'yes' if state.converged else 'NO'} | {fleet.edit_count} ({fleet.files_written()}) "
          f"| {len(state.conflict_siblings)} | {wall:.0f} |")
    processes = sum(len(phase.jobs) for phase in fleet.phases)
    print(f"\nCPU of every subprocess (user+sys, the reviewer's git included): {cpu:.0f} s for {processes} "
          f"memory-sync runs, {cpu / max(processes, 1):.2f} s each; {os.cpu_count()} cores")
    if reviewer:
        print(f"PRs merged by the reviewer: {reviewer.merged}, left (not clean): {reviewer.left}")
    print("Converged: nothing lost (every machine's last write of each file is on its host branch), main holds "
          "exactly the initial files plus the last write of every file whose owner reaches main (authority, "
          "trusted, reviewed contributors), and every machine's memory equals main's for every key (plus its own "
          "writes where it owns files that never reach main: the standby authority; plain contributors with "
          "--no-review).")
    if not state.converged or state.conflict_siblings:
        print(f"\nConvergence check:\n{state.summary(10)}")
    for job in failed[:5]:
        print(f"\nFailed: {job.phase} {job.host} ({job.kind}) {job.verb} exit {job.code}:\n{job.out[-1500:]}"
              f"{job.err[-1500:]}")
    return 0 if state.converged and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
