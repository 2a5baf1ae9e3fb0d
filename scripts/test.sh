#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# one worker per core: most tests wait on git and subprocesses; worksteal keeps the long load test from
# holding up a worker's queue
python3 -m pytest -q -n auto --dist worksteal "$@"
