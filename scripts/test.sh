#!/usr/bin/env bash
# Sets everything up from scratch (scripts/setup.sh), then runs the whole test suite in that environment.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# one worker per core (a serial run keeps one core waiting on its subprocesses); worksteal keeps the long
# load test from holding up the tests queued behind it; -rs prints every skip with its reason
# the console scripts (memory-sync, agentihooks) as a user's PATH has them after the install
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest -q -rs -n auto --dist worksteal "$@"
