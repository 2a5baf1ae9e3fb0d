#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# one worker per core (a serial run keeps one core waiting on its subprocesses); worksteal keeps the long
# load test from holding up the tests queued behind it; -rs prints every skip with its reason
python3 -m pytest -q -rs -n auto --dist worksteal "$@"
