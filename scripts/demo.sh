#!/usr/bin/env bash
# Sets everything up, then runs the end-to-end demo: three simulated machines sharing Claude Code memory
# through one bare git repo. Arguments go to scripts/demo.py (--dir DIR keeps the demo's files, -v shows all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
