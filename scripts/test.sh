#!/usr/bin/env bash
# Sets everything up from scratch (scripts/setup.sh), then runs the whole test suite in that environment.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# the real gitfoam for tests/gitfoam, built once per run from its source beside this checkout; CI must have it
if [ -f ../shared/gitfoam/build.sh ]; then
  if TEST_GITFOAM_BINARY=$(bash ../shared/gitfoam/build.sh 2>.venv/gitfoam-build.log); then
    export TEST_GITFOAM_BINARY
  else
    cat .venv/gitfoam-build.log >&2
    [ "${CI:-}" = true ] && { echo "the real gitfoam did not build (above)" >&2; exit 1; }
  fi
fi
# the console scripts (memory-sync, agentihooks) as a user's PATH has them after the install
export PATH="$PWD/.venv/bin:$PATH"
# one worker per core (a serial run keeps one core waiting on its subprocesses); worksteal keeps the long
# load test from holding up the tests queued behind it; -rs prints every skip with its reason
exec .venv/bin/python -m pytest -q -rs -n auto --dist worksteal "$@"
