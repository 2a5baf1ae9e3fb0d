#!/usr/bin/env bash
# Installs what Memory Mirror and its tests need, from scratch:
#   - git, rsync and OpenSSH (tests/ssh runs a real sshd) from the distribution when missing;
#   - a fresh virtual environment in .venv (removed and made again on every run, so a dependency the package
#     does not declare fails here, not on a user's machine) holding this package and its test extras.
# Prints nothing on success; scripts/test.sh and scripts/demo.sh run everything with .venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for tool in git rsync; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
# sshd lives in /usr/sbin, which is not on every PATH
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
for tool in ssh ssh-keygen; do command -v "$tool" >/dev/null 2>&1 || { missing+=(openssh-client); break; }; done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rm -rf .venv
python3 -m venv .venv
# a regular (not editable) install: the package as a user gets it, with its data files
if ! PIP_ROOT_USER_ACTION=ignore .venv/bin/python -m pip install -q --disable-pip-version-check '.[test]' \
     >.venv/pip.log 2>&1; then
  cat .venv/pip.log >&2
  exit 1
fi
