#!/usr/bin/env bash
# Installs what Memory Mirror and its tests need: git, rsync and OpenSSH (tests/ssh runs a real sshd) from
# the distribution when missing, then this package with its test extras.
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
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
