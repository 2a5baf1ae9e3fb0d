"""Which external commands one in-process tick runs, by kind of tick: a count that no load on the machine blurs.

Every command goes through the pipeline's Runner (sh), each costing a process start of its own (6-10 ms with sh on
2 cores, more under load), so the count is what a tick costs beyond its Python work. It builds the tick bench's
machine (bench/tick_bench.py: NxM, authority, local bare origin), seeds it, settles it with a few ticks, then runs
and lists: a no-change tick, a 1% edit tick, the tick after it, and a watcher-informed daemon tick.

Usage: python bench/tick_commands.py [--size 20x10] [--before REV]   (--code DIR: that `pipeline` package)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tick_bench  # noqa: E402

# git's -c settings the Git wrapper passes on every call: left out, so each line shows the git command itself
_NOISE = ("-c", "--no-pager")


def _name(cmd: tuple[str, ...]) -> str:
    words = [part for i, part in enumerate(cmd) if part not in _NOISE and (i == 0 or cmd[i - 1] != "-c")]
    return " ".join(words[:2])


def count(size: str) -> list[tuple[str, list[str]]]:
    from pipeline.tools import run

    seen: list[str] = []
    original_run = run.Runner.run

    def counted_run(self, *cmd, **kwargs):
        seen.append(_name(cmd))
        return original_run(self, *cmd, **kwargs)

    run.Runner.run = counted_run
    if hasattr(run.Runner, "start"):  # a long-lived command kept for a run's reads
        original_start = run.Runner.start

        def counted_start(self, *cmd, **kwargs):
            seen.append(f"{_name(cmd)} (kept)")
            return original_start(self, *cmd, **kwargs)

        run.Runner.start = counted_start
    n, m = tick_bench.parse_sizes(size)[0]
    machine = tick_bench.build_machine(n, m)
    try:
        machine.whole_tick()
        for _ in range(3):
            machine.in_process_tick()
        kinds = []
        for label, before, extra in (("no-change", None, ()), ("1% edit", machine.edit_one_percent, ()),
                                     ("after the edit", None, ()), ("daemon, watcher saw nothing", None, ("changed=",))):
            if before:
                before()
            seen.clear()
            machine.in_process_tick(*extra)
            kinds.append((label, list(seen)))
        return kinds
    finally:
        shutil.rmtree(machine.root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="20x10", help="NxM (default 20x10)")
    parser.add_argument("--before", metavar="REV", help="also list the commands of commit REV's pipeline")
    parser.add_argument("--code", metavar="DIR", help="count the pipeline package in DIR")
    args = parser.parse_args(argv)
    if args.code:
        tick_bench.CODE["dir"] = str(Path(args.code).resolve())
        sys.path.insert(0, tick_bench.CODE["dir"])
    if args.before:
        from before import export
        import tempfile

        with tempfile.TemporaryDirectory(prefix="mm-bench-before-") as tmp:
            code = export(args.before, Path(tmp))
            print(f"## {args.before}\n", flush=True)
            subprocess.run([sys.executable, __file__, "--size", args.size, "--code", str(code)], check=True)
        print("\n## this checkout\n", flush=True)
    print(f"| tick at {args.size} | commands | which |\n|---|---:|---|")
    for label, commands in count(args.size):
        print(f"| {label} | {len(commands)} | {'; '.join(commands)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
