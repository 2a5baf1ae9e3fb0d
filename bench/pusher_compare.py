"""gitfoam against the built-in pusher, in one run: write -> branch on origin latency and idle CPU of each.

For each pusher it builds the same throwaway contributor machine as bench/push_latency.py (a local bare origin,
--projects x --files generated memory files, ticks an hour apart so only the watcher and the pusher act), runs
`memory-sync install`, takes --samples writes and waits for each on the branch that pusher publishes (the
built-in one: gitfoam/<host>/main; gitfoam: gitfoam/<host>/live), then measures --idle-seconds with nothing to
do: CPU of the sync daemon and the pusher, with everything they run (gitfoam runs as the pusher's child).

Usage: python bench/pusher_compare.py --gitfoam PATH [--samples 30] [--idle-seconds 60]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from push_latency import (PREFIX, HOSTNAME, build_machine, cpu_ticks, install, log, measure_latency,  # noqa: E402
                          percentile, stop_daemons)


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants alive now."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except FileNotFoundError:
            pass
    return found


def idle_percent(pids: list[int], seconds: float) -> float:
    """CPU of these process trees (their own and what they waited for), as % of one core."""
    trees = [p for pid in pids for p in process_tree(pid)]
    before = sum(sum(cpu_ticks(pid)) for pid in trees)
    start = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - start
    after = sum(sum(cpu_ticks(pid)) for pid in trees if Path(f"/proc/{pid}").exists())
    return 100 * (after - before) / os.sysconf("SC_CLK_TCK") / elapsed


def run_one(pusher: str, args) -> dict:
    machine = build_machine(args.projects, args.files)
    if pusher == "gitfoam":
        machine.env["GITFOAM_BINARY"] = str(args.gitfoam)
        machine.published_ref = f"refs/heads/{PREFIX}/{HOSTNAME}/live"
    try:
        install(machine)
        _, samples = measure_latency(machine, args.samples, 1, args.gap, 0.005, 30)
        latencies = [s.latency for s in samples if s.latency is not None]
        idle = idle_percent([machine.pids["sync"], machine.pids["pusher"]], args.idle_seconds)
        return {"latencies": latencies, "lost": len(samples) - len(latencies), "idle": idle}
    finally:
        stop_daemons(machine)
        shutil.rmtree(machine.root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gitfoam", type=Path, required=True, help="the gitfoam binary")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--projects", "-n", type=int, default=20)
    parser.add_argument("--files", "-m", type=int, default=10)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args(argv)
    results = {pusher: run_one(pusher, args) for pusher in ("built-in", "gitfoam")}
    print("| pusher | branch | samples | p50 ms | p95 ms | max ms | not arrived | idle CPU, % of a core |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for pusher, result in results.items():
        values = [v * 1000 for v in result["latencies"]] or [float("nan")]
        branch = f"{PREFIX}/{HOSTNAME}/{'live' if pusher == 'gitfoam' else 'main'}"
        print(f"| {pusher} | {branch} | {len(result['latencies'])} | {percentile(values, 50):.0f} | "
              f"{percentile(values, 95):.0f} | {max(values):.0f} | {result['lost']} | {result['idle']:.2f} |")
    log(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
