from __future__ import annotations

import argparse

from pipeline.tasks.run import run_tick


def sync_now(args: argparse.Namespace) -> int:
    return run_tick(f"wait={0 if args.no_wait else args.wait}")
